/**
 * `ktrdr up` (the local stack as a supervisor), `ktrdr down` and `ktrdr ps`.
 *
 * The foreground `up` owns its children: any signal, a closed stdout (`ktrdr up | head -2`)
 * or its own crash stops them, and a SIGKILL of it is noticed by the children themselves
 * (see src/stack/local-stack.ts). `up --detach` starts the same supervisor in the
 * background with its output in KTRDR_DATA_DIR/ktrdr-up.log and returns once it is ready;
 * `ps` and `down` find it through KTRDR_DATA_DIR/ktrdr-up.json (src/stack/stack-state.ts).
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { TokenService, tokenProvider } from '../../auth/tokens.js';
import { errorText } from '../../common/errors.js';
import { cliEntry } from '../../common/package-root.js';
import { sleep } from '../../common/sleep.js';
import { getApiSettings, getAuthSettings, getDataSettings, getWorkerSettings, validateAll } from '../../config/settings.js';
import { ConfigurationError } from '../../settings-engine/index.js';
import { LocalStack, StackError, type UnexpectedExit, type WorkerRestart } from '../../stack/local-stack.js';
import {
  processAlive,
  readStackState,
  removeStackState,
  STACK_LOG_FILE,
  stackStatePath,
  writeStackState,
  type StackState,
} from '../../stack/stack-state.js';
import { CLI_TOKEN_SUBJECT } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { integerOption } from '../options.js';

const UP = 'up';
/** How often `up --detach` and `down` look at the state file and the supervisor's pid. */
const POLL_MS = 100;
/** `up --detach` waits this long for the stack to be ready; `down` this long for it to stop before SIGKILL. */
const DETACH_READY_MS = 180_000;
const DOWN_MS = 60_000;

interface UpOptions {
  readonly training: number;
  readonly backtesting: number;
  readonly detach?: boolean;
  /** Set by `up --detach` for the supervisor it starts: where its output goes (recorded in the state file). */
  readonly logFile?: string;
}

/** Every line of every child, prefixed with its name in a column; nothing once stdout is closed. */
function prefixedOutput(names: readonly string[], isClosed: () => boolean): (name: string, line: string) => void {
  const width = Math.max(UP.length, ...names.map((name) => name.length));
  return (name, line) => {
    if (!isClosed()) process.stdout.write(`${name.padEnd(width)} | ${line}\n`);
  };
}

const childNames = (counts: UpOptions) => [
  'backend',
  ...Array.from({ length: counts.training }, (_, i) => `training-${i + 1}`),
  ...Array.from({ length: counts.backtesting }, (_, i) => `backtesting-${i + 1}`),
];

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ?? `code ${exit.code}`;
}

async function runStack(counts: UpOptions, logFile: string | null): Promise<number> {
  // One check of the settings, one insecure-default warning: the children are told it was given.
  validateAll('all');
  const api = getApiSettings();
  const auth = getAuthSettings();
  const dataDir = getDataSettings().dir;
  const firstWorkerPort = getWorkerSettings().port;

  const running = await readStackState(dataDir);
  if (running) {
    process.stderr.write(
      `error: a stack is already running on ${dataDir} (ktrdr up, pid ${running.pid}, API ${running.api_url}): ` +
        '`ktrdr ps` shows it, `ktrdr down` stops it\n',
    );
    return ExitCode.Failure;
  }

  let stdoutClosed = false;
  const output = prefixedOutput(childNames(counts), () => stdoutClosed);
  const say = (line: string) => output(UP, line);
  const startedAt = new Date().toISOString();

  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopRequested = false;
  const stopAll = (code: number) => {
    if (stopRequested) return;
    stopRequested = true;
    void stack.stop().then(async () => {
      if (stack.processes.length > 0) say('stopped');
      await removeStackState(dataDir, process.pid).catch(() => undefined);
      finish(code);
    });
  };

  const saveState = async () => {
    const state: StackState = {
      pid: process.pid,
      started_at: startedAt,
      api_url: stack.apiBaseUrl,
      log_file: logFile,
      processes: stack.processes.map((child) => ({
        name: child.name,
        pid: child.pid,
        port: child.port,
        started_at: new Date(child.startedAt).toISOString(),
        restarts: child.restarts,
      })),
    };
    await writeStackState(dataDir, state).catch((error: unknown) => say(`could not write ${stackStatePath(dataDir)}: ${errorText(error)}`));
  };

  const stack = new LocalStack({
    training: counts.training,
    backtesting: counts.backtesting,
    apiHost: api.host,
    apiPort: api.port,
    firstWorkerPort,
    env: { ...process.env, KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true' },
    token: tokenProvider(new TokenService(auth.jwtSecret, auth.tokenExpireMinutes), CLI_TOKEN_SUBJECT, 'cli'),
    output,
    onUnexpectedExit: (exit: UnexpectedExit) => {
      if (stopRequested) return;
      say(`${exit.name} exited unexpectedly (${describeExit(exit)}); stopping the rest`);
      stopAll(ExitCode.Failure);
    },
    onWorkerRestart: (restart: WorkerRestart, pid?: number) => {
      if (pid === undefined) {
        say(`${restart.name} exited unexpectedly (${describeExit(restart)}); restarting it in ${restart.delayMs} ms (attempt ${restart.attempt})`);
        return;
      }
      say(`${restart.name} restarted (pid ${pid})`);
      void saveState();
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
  // A reader that went away (`ktrdr up | head -2`): nobody is watching, so stop the stack quietly.
  const onOutputError = (error: NodeJS.ErrnoException) => {
    stdoutClosed = true;
    if (error.code !== 'EPIPE') process.stderr.write(`error: cannot write the output: ${error.message}\n`);
    stopAll(ExitCode.Ok);
  };
  // A crash of this process must not leave children behind (a SIGKILL is handled by the children).
  const onExit = () => stack.kill('SIGTERM');
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  process.stdout.on('error', onOutputError);
  process.on('exit', onExit);

  try {
    say(`starting the backend on port ${api.port}, ${counts.training} training and ${counts.backtesting} backtesting worker(s) from port ${firstWorkerPort}`);
    await stack.start();
    await saveState();
    const summary = stack.processes.map((child) => `${child.name} :${child.port} (pid ${child.pid})`).join(', ');
    say(`ready: ${summary}; API ${stack.apiBaseUrl}; ${logFile ? '`ktrdr down` stops all' : 'Ctrl-C stops all'}`);
  } catch (error) {
    if (!(error instanceof StackError)) {
      stack.kill('SIGTERM');
      throw error;
    }
    if (!stopRequested) {
      process.stderr.write(`error: ${error.message}\n`);
      stopAll(ExitCode.Failure);
    }
  }
  const code = await finished;
  for (const signal of signals) process.off(signal, onSignal);
  process.off('exit', onExit);
  return code;
}

/** `up --detach`: the same command in the background, output to a log file; returns once the state file names it. */
async function detach(counts: UpOptions): Promise<number> {
  validateAll('all');
  const dataDir = getDataSettings().dir;
  const running = await readStackState(dataDir);
  if (running) {
    process.stderr.write(`error: a stack is already running on ${dataDir} (pid ${running.pid}, API ${running.api_url}): \`ktrdr down\` stops it\n`);
    return ExitCode.Failure;
  }
  await mkdir(dataDir, { recursive: true });
  const logFile = join(dataDir, STACK_LOG_FILE);
  const log = openSync(logFile, 'a');
  const args = [cliEntry(), 'up', '--training', String(counts.training), '--backtesting', String(counts.backtesting), '--log-file', logFile];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', log, log],
    detached: true,
  });
  child.unref();
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = signal ?? `code ${code}`));
  const deadline = Date.now() + DETACH_READY_MS;
  for (;;) {
    const state = await readStackState(dataDir);
    if (state && state.pid === child.pid) {
      process.stdout.write(`stack running in the background (pid ${state.pid}), API ${state.api_url}\n`);
      for (const entry of state.processes) process.stdout.write(`  ${entry.name} :${entry.port} (pid ${entry.pid})\n`);
      process.stdout.write(`output: ${logFile}; \`ktrdr ps\` shows it, \`ktrdr down\` stops it\n`);
      return ExitCode.Ok;
    }
    if (exited !== null) {
      const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
      process.stderr.write(`error: the background stack exited (${exited}) before it was ready; the end of ${logFile}:\n${tail}\n`);
      return ExitCode.Failure;
    }
    if (Date.now() > deadline) {
      process.stderr.write(`error: the background stack (pid ${child.pid}) was not ready within ${DETACH_READY_MS / 1000} s; see ${logFile}\n`);
      return ExitCode.Failure;
    }
    await sleep(POLL_MS);
  }
}

export function upCommand(): Command {
  return new Command('up')
    .description('Run the local stack (backend + workers, embedded store) as child processes; Ctrl-C stops all, a dead worker is restarted')
    .addOption(new Option('--training <n>', 'training workers').argParser(integerOption(0, 100)).default(1))
    .addOption(new Option('--backtesting <n>', 'backtesting workers').argParser(integerOption(0, 100)).default(1))
    .addOption(new Option('--log-file <path>', 'where this supervisor\'s output goes (set by --detach)').hideHelp())
    .option('-d, --detach', 'run in the background (output in KTRDR_DATA_DIR/ktrdr-up.log); `ktrdr ps` shows it, `ktrdr down` stops it')
    .addHelpText(
      'after',
      '\nPorts: the backend on KTRDR_API_PORT (8000), workers on KTRDR_WORKER_PORT (5003) and the next ones.\n' +
        'The data of the embedded store goes to KTRDR_DB_DIR and KTRDR_CHECKPOINT_DIR; the state of a running stack\n' +
        'to KTRDR_DATA_DIR/ktrdr-up.json (one stack per data directory).',
    )
    .action(async (options: UpOptions) => {
      try {
        process.exitCode = options.detach ? await detach(options) : await runStack(options, options.logFile ?? null);
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = ExitCode.Failure;
      }
    });
}

function formatUptime(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60];
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

export function psCommand(): Command {
  return new Command('ps')
    .description('Show the stack started by `ktrdr up` on KTRDR_DATA_DIR: its processes, pids, ports and uptime')
    .option('--json', 'print JSON: {running, supervisor, api_url, log_file, processes[]}')
    .action(async (options: { json?: boolean }) => {
      const state = await readStackState(getDataSettings().dir);
      const now = Date.now();
      if (options.json) {
        const uptime = (iso: string) => Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
        const body = state
          ? {
              running: true,
              supervisor: { pid: state.pid, started_at: state.started_at, uptime_seconds: uptime(state.started_at) },
              api_url: state.api_url,
              log_file: state.log_file,
              processes: state.processes.map((entry) => ({ ...entry, uptime_seconds: uptime(entry.started_at), alive: processAlive(entry.pid) })),
            }
          : { running: false, supervisor: null, api_url: null, log_file: null, processes: [] };
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        return;
      }
      if (!state) {
        process.stdout.write('no stack is running (start one with `ktrdr up` or `ktrdr up --detach`)\n');
        return;
      }
      const rows = [
        ['NAME', 'PID', 'PORT', 'UPTIME', 'RESTARTS', 'STATUS'],
        ['up', String(state.pid), '-', formatUptime(now - Date.parse(state.started_at)), '-', 'running'],
        ...state.processes.map((entry) => [
          entry.name,
          String(entry.pid),
          String(entry.port),
          formatUptime(now - Date.parse(entry.started_at)),
          String(entry.restarts),
          processAlive(entry.pid) ? 'running' : 'exited',
        ]),
      ];
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
      for (const row of rows) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
      process.stdout.write(`API ${state.api_url}${state.log_file ? `; output in ${state.log_file}` : ''}\n`);
    });
}

export function downCommand(): Command {
  return new Command('down')
    .description('Stop the stack started by `ktrdr up` (or `up --detach`) on KTRDR_DATA_DIR: workers first, then the backend')
    .action(async () => {
      const state = await readStackState(getDataSettings().dir);
      if (!state) {
        process.stdout.write('no stack is running\n');
        return;
      }
      process.kill(state.pid, 'SIGTERM');
      const deadline = Date.now() + DOWN_MS;
      while (processAlive(state.pid)) {
        if (Date.now() > deadline) {
          process.stderr.write(`error: ktrdr up (pid ${state.pid}) did not stop within ${DOWN_MS / 1000} s of SIGTERM; killing it (its children stop when it is gone)\n`);
          process.kill(state.pid, 'SIGKILL');
          process.exitCode = ExitCode.Failure;
          return;
        }
        await sleep(POLL_MS);
      }
      process.stdout.write(`stopped the stack (pid ${state.pid})\n`);
    });
}
