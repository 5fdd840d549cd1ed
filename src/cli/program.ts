import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { configCommand } from './commands/config.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('ktrdr')
    .description('Train and backtest trading strategies on a fleet of workers coordinated by one backend.')
    .version(packageVersion());
  program.addCommand(configCommand());
  applyToAll(program, (command) => command.showHelpAfterError('(run with --help for usage)').exitOverride());
  return program;
}

/** Commands built with `new Command()` inherit nothing: give every level the same error handling. */
function applyToAll(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyToAll(sub, apply);
}
