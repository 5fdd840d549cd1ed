import { Command, Option } from 'commander';
import { TokenService, tokenProvider } from '../../auth/tokens.js';
import { getApiSettings, getAuthSettings, getWorkerSettings } from '../../config/settings.js';
import { ConfigurationError } from '../../settings-engine/index.js';
import { LocalStack, StackError, type UnexpectedExit } from '../../stack/local-stack.js';
import { CLI_TOKEN_SUBJECT } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { integerOption } from '../options.js';

const UP = 'up';

/** Every line of every child, prefixed with its name in a column. */
function prefixedOutput(names: readonly string[]): (name: string, line: string) => void {
  const width = Math.max(UP.length, ...names.map((name) => name.length));
  return (name, line) => void process.stdout.write(`${name.padEnd(width)} | ${line}\n`);
}

async function runStack(counts: { training: number; backtesting: number }): Promise<number> {
  const api = getApiSettings();
  const auth = getAuthSettings();
  const firstWorkerPort = getWorkerSettings().port;
  const names = ['backend', ...Array.from({ length: counts.training }, (_, i) => `training-${i + 1}`), ...Array.from({ length: counts.backtesting }, (_, i) => `backtesting-${i + 1}`)];
  const output = prefixedOutput(names);
  const say = (line: string) => output(UP, line);

  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopRequested = false;
  const stopAll = (code: number) => {
    if (stopRequested) return;
    stopRequested = true;
    void stack.stop().then(() => {
      if (stack.processes.length > 0) say('stopped');
      finish(code);
    });
  };

  const stack = new LocalStack({
    ...counts,
    apiHost: api.host,
    apiPort: api.port,
    firstWorkerPort,
    env: process.env,
    token: tokenProvider(new TokenService(auth.jwtSecret, auth.tokenExpireMinutes), CLI_TOKEN_SUBJECT, 'cli'),
    output,
    onUnexpectedExit: (exit: UnexpectedExit) => {
      if (stopRequested) return;
      say(`${exit.name} exited unexpectedly (${exit.signal ?? `code ${exit.code}`}); stopping the rest`);
      stopAll(ExitCode.Failure);
    },
  });

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      say(`${signal} again: killing everything`);
      stack.kill();
      return;
    }
    say(`${signal}: stopping workers, then the backend`);
    stopAll(ExitCode.Ok);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    say(`starting the backend on port ${api.port}, ${counts.training} training and ${counts.backtesting} backtesting worker(s) from port ${firstWorkerPort}`);
    await stack.start();
    const summary = stack.processes.map((child) => `${child.name} :${child.port} (pid ${child.pid})`).join(', ');
    say(`ready: ${summary}; API ${stack.apiBaseUrl}; Ctrl-C stops all`);
  } catch (error) {
    if (!(error instanceof StackError)) throw error;
    if (!stopRequested) {
      process.stderr.write(`error: ${error.message}\n`);
      stopAll(ExitCode.Failure);
    }
  }
  const code = await finished;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}

export function upCommand(): Command {
  return new Command('up')
    .description('Run the local stack (backend + workers, embedded store) as child processes; Ctrl-C stops all')
    .addOption(new Option('--training <n>', 'training workers').argParser(integerOption(0, 100)).default(1))
    .addOption(new Option('--backtesting <n>', 'backtesting workers').argParser(integerOption(0, 100)).default(1))
    .addHelpText(
      'after',
      '\nPorts: the backend on KTRDR_API_PORT (8000), workers on KTRDR_WORKER_PORT (5003) and the next ones.\nThe data of the embedded store goes to KTRDR_DB_DIR and KTRDR_CHECKPOINT_DIR.',
    )
    .action(async (options: { training: number; backtesting: number }) => {
      try {
        process.exitCode = await runStack(options);
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = ExitCode.Failure;
      }
    });
}
