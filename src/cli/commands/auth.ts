import { Command, Option } from 'commander';
import { AuthError, TokenService } from '../../auth/tokens.js';
import { getAuthSettings } from '../../config/settings.js';
import { CLI_TOKEN_SUBJECT, reportFailure } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { numberOption } from '../options.js';

function tokenCommand(): Command {
  return new Command('token')
    // Role cli only: workers (remote ones too) and the backend mint their own tokens from the shared secret.
    .description('Print a cli-role bearer token for the backend API (signed with KTRDR_AUTH_JWT_SECRET): curl -H "Authorization: Bearer $(ktrdr auth token)" …')
    .addOption(new Option('--expire-minutes <m>', 'lifetime, at most KTRDR_AUTH_TOKEN_EXPIRE_MINUTES (the default)').argParser(numberOption(0)))
    .option('--subject <name>', 'who the token is for', CLI_TOKEN_SUBJECT)
    .action(async (options: { expireMinutes?: number; subject: string }) => {
      try {
        const auth = getAuthSettings();
        const tokens = new TokenService(auth.jwtSecret, auth.tokenExpireMinutes);
        process.stdout.write(`${await tokens.issue(options.subject, 'cli', options.expireMinutes)}\n`);
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

export function authCommand(): Command {
  return new Command('auth').description('Tokens for the backend API').addCommand(tokenCommand());
}
