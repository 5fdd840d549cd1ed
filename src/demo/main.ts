/**
 * `npm run demo`: ktrdr's main job end to end. In a fresh temporary data
 * directory it generates a synthetic EURUSD 1h series, starts the local stack on
 * the embedded store, trains an example strategy (live progress bar, test
 * metrics), backtests the model on its held-out test period (progress bar,
 * trading metrics), shows the workers, and stops everything. Exit 0 when all of
 * that worked; otherwise one clear message, the stack's last log lines, exit 1.
 */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenService, tokenProvider } from '../auth/tokens.js';
import { BackendApi } from '../client/backend-api.js';
import { HttpError, UnreachableError } from '../client/http.js';
import { getApiSettings, getAuthSettings, getWorkerSettings, warnDeprecatedEnvVars } from '../config/settings.js';
import { ConfigurationError } from '../settings-engine/index.js';
import { CLI_TOKEN_SUBJECT } from '../cli/backend-session.js';
import type { OperationRecord } from '../api/contract.js';
import { backtestProgressFigures, renderBacktestConclusion } from '../cli/render/backtest.js';
import { createProgressView, type ProgressFigures } from '../cli/render/progress.js';
import { renderTrainingConclusion, trainingProgressFigures } from '../cli/render/training.js';
import { renderWorkersTable } from '../cli/render/workers.js';
import { watchOperation } from '../cli/watch-operation.js';
import { formatCsv, generateBars } from '../market-data/generate.js';
import { LocalStack, StackError } from '../stack/local-stack.js';
import { createError } from '../common/errors.js';

const DATA = { symbol: 'EURUSD', timeframe: '1h', bars: 6_000, seed: 42 } as const;
const STRATEGY = 'macd_roc_trend';
const STRATEGIES_DIR = fileURLToPath(new URL('../../../strategies', import.meta.url));
const OPERATION_TIMEOUT_MS = 120_000;

const say = (line = '') => void process.stdout.write(`${line}\n`);

class DemoError extends createError('DemoError') {}

async function runDemo(stack: LocalStack, api: BackendApi, stackFailed: Promise<never>): Promise<void> {
  const guard = <T>(work: Promise<T>) => Promise.race([work, stackFailed]);

  /** Follows an operation with a progress bar until it ends; a failed one ends the demo. */
  const follow = async (operationId: string, figures: ProgressFigures): Promise<OperationRecord> => {
    const view = createProgressView(process.stdout, figures);
    let op: OperationRecord;
    try {
      op = await guard(
        Promise.race([
          watchOperation(api, operationId, { intervalMs: 150, onUpdate: (update) => view.update(update) }),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new DemoError(`operation ${operationId} did not finish within ${OPERATION_TIMEOUT_MS / 1000} s`)), OPERATION_TIMEOUT_MS).unref(),
          ),
        ]),
      );
    } finally {
      view.stop();
    }
    if (op.status !== 'completed') throw new DemoError(`operation ${op.operation_id} ended ${op.status}${op.error_message ? `: ${op.error_message}` : ''}`);
    return op;
  };

  say(`Starting the local stack: backend on ${stack.apiBaseUrl}, workers ${stack.workerPlan().map((w) => `${w.name} :${w.port}`).join(', ')}`);
  await stack.start();
  say('Stack ready.\n');

  say(`1. Training strategy '${STRATEGY}' (strategies/${STRATEGY}.yaml) on ${DATA.symbol} ${DATA.timeframe}`);
  const training = await guard(api.startTraining({ strategy: STRATEGY }));
  const trained = await follow(training.operation_id, trainingProgressFigures);
  say(renderTrainingConclusion(trained));
  const modelId = trained.result_summary?.model_id;
  if (typeof modelId !== 'string') throw new DemoError(`training ${trained.operation_id} completed without a model id`);

  say(`\n2. Backtesting ${modelId} on its held-out test period`);
  const backtest = await guard(api.startBacktest({ model: modelId }));
  const tested = await follow(backtest.operation_id, backtestProgressFigures);
  say(renderBacktestConclusion(tested));

  say('\n3. Workers');
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
  const bars = generateBars({ symbol: DATA.symbol, timeframe: DATA.timeframe, bars: DATA.bars, seed: DATA.seed });
  writeFileSync(join(dataDir, `${DATA.symbol}_${DATA.timeframe}.csv`), formatCsv(bars));
  say(`Generated ${DATA.bars} synthetic ${DATA.symbol} ${DATA.timeframe} bars (seed ${DATA.seed}) in ${dataDir}`);
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
    env: {
      ...process.env,
      KTRDR_DB_DRIVER: 'pglite',
      KTRDR_DB_DIR: join(dataDir, 'db'),
      KTRDR_CHECKPOINT_DIR: join(dataDir, 'checkpoints'),
      KTRDR_DATA_DIR: dataDir,
      KTRDR_DATA_MODELS_DIR: join(dataDir, 'models'),
      KTRDR_DATA_STRATEGIES_DIR: STRATEGIES_DIR,
      // Progress straight from the workers, so the bars move every poll.
      KTRDR_OPS_CACHE_TTL: '0',
    },
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
