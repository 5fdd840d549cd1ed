import { Command, Option } from 'commander';
import { TokenService } from '../../auth/tokens.js';
import { getAuthSettings } from '../../config/settings.js';
import { CLI_TOKEN_SUBJECT, reportFailure } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { numberOption } from '../options.js';

function tokenCommand(): Command {
  return new Command('token')
    .description('Print a bearer token for the backend API (signed with KTRDR_AUTH_JWT_SECRET): curl -H "Authorization: Bearer $(ktrdr auth token)" …')
    .addOption(new Option('--expire-minutes <m>', 'lifetime (default KTRDR_AUTH_TOKEN_EXPIRE_MINUTES)').argParser(numberOption(0)))
    .option('--subject <name>', 'who the token is for', CLI_TOKEN_SUBJECT)
    .action(async (options: { expireMinutes?: number; subject: string }) => {
      try {
        const auth = getAuthSettings();
        const tokens = new TokenService(auth.jwtSecret, auth.tokenExpireMinutes);
        process.stdout.write(`${await tokens.issue(options.subject, 'cli', options.expireMinutes)}\n`);
        process.exitCode = ExitCode.Ok;
      } catch (error) {
        process.exitCode = reportFailure(error, null);
      }
    });
}

export function authCommand(): Command {
  return new Command('auth').description('Tokens for the backend API').addCommand(tokenCommand());
}
