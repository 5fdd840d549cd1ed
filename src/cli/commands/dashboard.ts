/**
 * `ktrdr dashboard [--open]`: the URL of the operator dashboard with a fresh cli token in its fragment.
 *
 * The fragment (`#token=…`) never leaves the browser: it is not sent to the backend, so it appears in no access
 * log or proxy; the page moves it to sessionStorage (this tab only) and removes it from the address bar.
 */
import { spawn } from 'node:child_process';
import { Command, Option } from 'commander';
import { AuthError, TokenService } from '../../auth/tokens.js';
import { getApiClientSettings, getAuthSettings } from '../../config/settings.js';
import { CLI_TOKEN_SUBJECT, reportFailure } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { numberOption } from '../options.js';

/** The dashboard is served at the root of the backend whose API is at KTRDR_API_CLIENT_BASE_URL (…/api/v1). */
export function dashboardUrl(apiBaseUrl: string, token: string): string {
  const url = new URL(apiBaseUrl);
  const root = url.pathname.replace(/\/api\/v1\/?$/, '/').replace(/\/?$/, '/');
  return `${url.origin}${root}#token=${encodeURIComponent(token)}`;
}

/** The platform's "open this URL" command; a failure only means the operator opens the printed URL by hand. */
function openInBrowser(url: string): Promise<boolean> {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description('Print the operator dashboard URL with a fresh token in its fragment (kept by the page for this tab only)')
    .option('--open', 'also open it in the default browser')
    .addOption(new Option('--expire-minutes <m>', 'token lifetime, at most KTRDR_AUTH_TOKEN_EXPIRE_MINUTES (the default)').argParser(numberOption(0)))
    .action(async (options: { open?: boolean; expireMinutes?: number }) => {
      try {
        const auth = getAuthSettings();
        const tokens = new TokenService(auth.jwtSecret, auth.tokenExpireMinutes);
        const token = await tokens.issue(CLI_TOKEN_SUBJECT, 'cli', options.expireMinutes);
        const url = dashboardUrl(getApiClientSettings().baseUrl, token);
        process.stdout.write(`${url}\n`);
        if (options.open && !(await openInBrowser(url))) {
          process.stderr.write('warning: could not start a browser (xdg-open / open / start); open the URL above by hand\n');
        }
        process.exitCode = ExitCode.Ok;
      } catch (error) {
        if (error instanceof AuthError) {
          process.stderr.write(`error: --expire-minutes: ${error.message}\n`);
          process.exitCode = ExitCode.Usage;
          return;
        }
        process.exitCode = reportFailure(error, null);
      }
    });
}
