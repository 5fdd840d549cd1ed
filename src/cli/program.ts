import { Command } from 'commander';
import { packageVersion } from '../common/version.js';
import { configCommand } from './commands/config.js';
import { workerCommand } from './commands/worker.js';
import { workersCommand } from './commands/workers.js';
import { opsCommand } from './commands/ops.js';
import { dummyCommand } from './commands/dummy.js';
import { authCommand } from './commands/auth.js';
import { upCommand } from './commands/up.js';
import { backendCommand } from './commands/backend.js';
import { dataCommand } from './commands/data.js';
import { strategyCommand } from './commands/strategy.js';
import { trainCommand } from './commands/train.js';
import { backtestCommand } from './commands/backtest.js';
import { modelsCommand } from './commands/models.js';

export function buildProgram(): Command {
  const program = new Command('ktrdr')
    .description('Train and backtest trading strategies on a fleet of workers coordinated by one backend.')
    .version(packageVersion());
  program.addCommand(configCommand());
  program.addCommand(backendCommand());
  program.addCommand(workerCommand());
  program.addCommand(workersCommand());
  program.addCommand(opsCommand());
  program.addCommand(dummyCommand());
  program.addCommand(authCommand());
  program.addCommand(upCommand());
  program.addCommand(dataCommand());
  program.addCommand(strategyCommand());
  program.addCommand(trainCommand());
  program.addCommand(backtestCommand());
  program.addCommand(modelsCommand());
  applyToAll(program, (command) => command.showHelpAfterError('(run with --help for usage)').exitOverride());
  return program;
}

/** Commands built with `new Command()` inherit nothing: give every level the same error handling. */
function applyToAll(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyToAll(sub, apply);
}
