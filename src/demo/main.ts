/**
 * `npm run demo`: the local stack on the embedded store in a fresh temporary
 * data directory, one dummy operation followed to completion with a progress
 * bar, its result and the workers, then everything stopped. Exit 0 when all of
 * that worked; otherwise one clear message, the stack's last log lines, exit 1.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenService, tokenProvider } from '../auth/tokens.js';
import { BackendApi } from '../client/backend-api.js';
import { HttpError, UnreachableError } from '../client/http.js';
import { getApiSettings, getAuthSettings, getWorkerSettings, warnDeprecatedEnvVars } from '../config/settings.js';
import { ConfigurationError } from '../settings-engine/index.js';
import { CLI_TOKEN_SUBJECT } from '../cli/backend-session.js';
import { renderOperationDetails } from '../cli/render/operations.js';
import { createProgressView } from '../cli/render/progress.js';
import { renderWorkersTable } from '../cli/render/workers.js';
import { watchOperation } from '../cli/watch-operation.js';
import { LocalStack, StackError } from '../stack/local-stack.js';

const DUMMY = { steps: 20, step_delay_ms: 100 } as const;
const OPERATION_TIMEOUT_MS = 120_000;

const say = (line = '') => void process.stdout.write(`${line}\n`);

class DemoError extends Error {}

async function runDemo(stack: LocalStack, api: BackendApi, stackFailed: Promise<never>): Promise<void> {
  const guard = <T>(work: Promise<T>) => Promise.race([work, stackFailed]);

  say(`Starting the local stack: backend on ${stack.apiBaseUrl}, workers ${stack.workerPlan().map((w) => `${w.name} :${w.port}`).join(', ')}`);
  await stack.start();
  say('Stack ready.\n');

  const started = await guard(api.startDummy(DUMMY));
  say(`Submitted dummy operation ${started.operation_id} (${DUMMY.steps} steps x ${DUMMY.step_delay_ms} ms)`);
  const view = createProgressView(process.stdout);
  let op;
  try {
    op = await guard(
      Promise.race([
        watchOperation(api, started.operation_id, { intervalMs: 150, onUpdate: (update) => view.update(update) }),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new DemoError(`operation ${started.operation_id} did not finish within ${OPERATION_TIMEOUT_MS / 1000} s`)), OPERATION_TIMEOUT_MS).unref(),
        ),
      ]),
    );
  } finally {
    view.stop();
  }
  say();
  say(renderOperationDetails(op));
  if (op.status !== 'completed') throw new DemoError(`operation ${op.operation_id} ended ${op.status}${op.error_message ? `: ${op.error_message}` : ''}`);
  say();
  say(renderWorkersTable(await guard(api.listWorkers()), Date.now()));
  say();
}

async function main(): Promise<number> {
  warnDeprecatedEnvVars();
  const apiSettings = getApiSettings();
  const auth = getAuthSettings();
  const firstWorkerPort = getWorkerSettings().port;
  const token = tokenProvider(new TokenService(auth.jwtSecret, auth.tokenExpireMinutes), CLI_TOKEN_SUBJECT, 'cli');

  // A fresh data directory, so a demo never trips over an earlier one.
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-demo-'));
  const logPath = join(dataDir, 'stack.log');
  const log = createWriteStream(logPath);
  let reportExit: (error: Error) => void = () => {};
  const stackFailed = new Promise<never>((_, reject) => (reportExit = reject));
  stackFailed.catch(() => {});

  const stack = new LocalStack({
    training: 1,
    backtesting: 1,
    apiHost: apiSettings.host,
    apiPort: apiSettings.port,
    firstWorkerPort,
    env: { ...process.env, KTRDR_DB_DRIVER: 'pglite', KTRDR_DB_DIR: join(dataDir, 'db'), KTRDR_CHECKPOINT_DIR: join(dataDir, 'checkpoints') },
    token,
    output: (name, line) => void log.write(`${name} | ${line}\n`),
    onUnexpectedExit: (exit) => reportExit(new StackError(`${exit.name} exited unexpectedly (${exit.signal ?? `code ${exit.code}`})`)),
  });
  const api = BackendApi.create({ baseUrl: stack.apiBaseUrl, timeoutMs: 10_000, retry: { maxRetries: 2, delayMs: 200 }, token });

  const interrupted = new Promise<never>((_, reject) => {
    const onSignal = (signal: NodeJS.Signals) => reject(new DemoError(`interrupted (${signal})`));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  interrupted.catch(() => {});

  let failure: Error | null = null;
  try {
    await Promise.race([runDemo(stack, api, stackFailed), interrupted]);
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    failure = error;
  }
  say('Stopping the stack…');
  await stack.stop();
  await new Promise<void>((resolve) => log.end(resolve));
  if (!failure || stack.processes.length === 0) rmSync(dataDir, { recursive: true, force: true });
  if (!failure) {
    say('Demo completed.');
    return 0;
  }
  process.stderr.write(`demo failed: ${describe(failure, stack.apiBaseUrl)}\n`);
  const tail = stack.processes.flatMap((child) => stack.recentOutput(child.name).slice(-8).map((line) => `  ${child.name} | ${line}`));
  if (tail.length > 0) process.stderr.write(`last lines of the stack's output:\n${tail.join('\n')}\n`);
  if (stack.processes.length > 0) process.stderr.write(`full log and data: ${dataDir}\n`);
  return 1;
}

function describe(error: Error, baseUrl: string): string {
  if (error instanceof UnreachableError) return `cannot reach the backend at ${baseUrl}: ${error.message}`;
  if (error instanceof StackError || error instanceof DemoError || error instanceof HttpError) return error.message;
  return error.stack ?? error.message;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
