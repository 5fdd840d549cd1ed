import { Argument, Command, InvalidArgumentError } from 'commander';
import { packageVersion } from '../common/version.js';
import { completionScript, SHELLS, type Shell } from './completion.js';

/**
 * Every top-level command, in the order `ktrdr --help` lists them, each loaded
 * only when it is needed: `ktrdr config check` should not pay for loading the
 * HTTP client, the token library or the strategy parser.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  up: async () => (await import('./commands/up.js')).upCommand(),
  ps: async () => (await import('./commands/up.js')).psCommand(),
  down: async () => (await import('./commands/up.js')).downCommand(),
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

/** The environment variable `--backend` overrides for this process (the settings read it like any other). */
export const BASE_URL_VARIABLE = 'KTRDR_API_CLIENT_BASE_URL';

function urlOption(value: string): string {
  try {
    const url = new URL(value.trim());
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.trim();
  } catch {
    // fall through to the usage error
  }
  throw new InvalidArgumentError(`'${value}' is not an http(s) URL (e.g. http://localhost:8000/api/v1).`);
}

/** The first word that is not a global option or its value: the command asked for. */
function requestedCommand(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--backend') i++;
    else if (!word.startsWith('-')) return word;
  }
  return undefined;
}

/** The program for `argv`: only the command it names, or all of them (help, completion, an unknown name). */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('ktrdr')
    .description('Train and backtest trading strategies on a fleet of workers coordinated by one backend.')
    .version(packageVersion())
    .option('--backend <url>', `the backend API base URL, …/api/v1 (overrides ${BASE_URL_VARIABLE})`, urlOption)
    .option('-q, --quiet', 'print only results and errors (no progress, no "started …" lines)')
    .option('--no-progress', 'no progress bar or progress lines while following an operation');
  program.hook('preAction', (_program, action) => {
    const backend = action.optsWithGlobals<{ backend?: string }>().backend;
    // The settings are read from the environment; the option is that one variable, for this process only.
    if (backend !== undefined) process.env[BASE_URL_VARIABLE] = backend;
  });
  const requested = requestedCommand(argv);
  // `ktrdr --version` prints and exits before any command runs: it needs none of them.
  if (requested === undefined && argv.slice(2).some((word) => word === '--version' || word === '-V')) return program;
  const names = requested !== undefined && Object.hasOwn(COMMANDS, requested) ? [requested] : Object.keys(COMMANDS);
  for (const command of await Promise.all(names.map((name) => (COMMANDS[name] as () => Promise<Command>)()))) {
    program.addCommand(command);
  }
  if (requested === undefined || !Object.hasOwn(COMMANDS, requested)) program.addCommand(completionCommand(program));
  applyToAll(program, (command) => command.showHelpAfterError('(run with --help for usage)').exitOverride());
  return program;
}

function completionCommand(program: Command): Command {
  return new Command('completion')
    .description('Print a shell completion script (bash or zsh); e.g. source <(ktrdr completion bash)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: Shell) => {
      process.stdout.write(completionScript(program, shell));
    });
}

/** Commands built with `new Command()` inherit nothing: give every level the same error handling. */
function applyToAll(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyToAll(sub, apply);
}
