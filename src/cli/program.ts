import { Command } from 'commander';
import { packageVersion } from '../common/version.js';

/**
 * Every top-level command, in the order `ktrdr --help` lists them, each loaded
 * only when it is needed: `ktrdr config check` should not pay for loading the
 * HTTP client, the token library or the strategy parser.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  up: async () => (await import('./commands/up.js')).upCommand(),
  backend: async () => (await import('./commands/backend.js')).backendCommand(),
  worker: async () => (await import('./commands/worker.js')).workerCommand(),
  train: async () => (await import('./commands/train.js')).trainCommand(),
  backtest: async () => (await import('./commands/backtest.js')).backtestCommand(),
  models: async () => (await import('./commands/models.js')).modelsCommand(),
  data: async () => (await import('./commands/data.js')).dataCommand(),
  strategy: async () => (await import('./commands/strategy.js')).strategyCommand(),
  ops: async () => (await import('./commands/ops.js')).opsCommand(),
  workers: async () => (await import('./commands/workers.js')).workersCommand(),
  dummy: async () => (await import('./commands/dummy.js')).dummyCommand(),
  dashboard: async () => (await import('./commands/dashboard.js')).dashboardCommand(),
  auth: async () => (await import('./commands/auth.js')).authCommand(),
  config: async () => (await import('./commands/config.js')).configCommand(),
};

/** The program for `argv`: only the command it names, or all of them (help, an unknown name). */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('ktrdr')
    .description('Train and backtest trading strategies on a fleet of workers coordinated by one backend.')
    .version(packageVersion());
  const requested = argv[2];
  const names = requested !== undefined && Object.hasOwn(COMMANDS, requested) ? [requested] : Object.keys(COMMANDS);
  for (const command of await Promise.all(names.map((name) => (COMMANDS[name] as () => Promise<Command>)()))) {
    program.addCommand(command);
  }
  applyToAll(program, (command) => command.showHelpAfterError('(run with --help for usage)').exitOverride());
  return program;
}

/** Commands built with `new Command()` inherit nothing: give every level the same error handling. */
function applyToAll(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyToAll(sub, apply);
}
