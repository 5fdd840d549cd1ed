/** `npm run demo` (its compiled entry point) end to end, on free ports so it never meets another stack. */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBuilt, budget, freePortRun } from '../support/processes.js';
import { REPO_ROOT, cleanEnv, type CliResult } from './helpers/run-cli.js';

const DEMO = join(REPO_ROOT, 'dist/src/demo/main.js');
/** The whole demo: a stack starting, a training and a backtest (about 10 s when the machine is idle). */
const DEMO_MS = 300_000;


function runDemo(env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), DEMO_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  let blocker: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = null;
  });

  it('generates data, trains a strategy and backtests the model with progress bars, prints the metrics and the workers, exits 0', { timeout: budget(DEMO_MS) }, async () => {
    assertBuilt('dist/src/demo/main.js', 'dist/src/backend/main.js', 'dist/src/worker/main.js');
    const apiPort = await freePortRun(1);
    let workerPort = await freePortRun(2);
    while (Math.abs(workerPort - apiPort) < 2) workerPort = await freePortRun(2);
    const result = await runDemo(cleanEnv({ KTRDR_API_PORT: String(apiPort), KTRDR_WORKER_PORT: String(workerPort) }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Generated 6000 synthetic EURUSD 1h bars/m);
    expect(result.stdout).toMatch(/^\[#{30}\] 100% completed \| Epoch \d+\/25 \| loss=/m);
    expect(result.stdout).toMatch(/^training op_training_\w+ completed: model (model_macd_roc_trend_EURUSD_1h_\w+)$/m);
    expect(result.stdout).toMatch(/^test accuracy\s+\d+\.\d%$/m);
    expect(result.stdout).toMatch(/^\[#{30}\] 100% completed \| Bar (\d+)\/\1 \| equity=/m);
    for (const metric of ['total return', 'annualised return', 'sharpe ratio', 'max drawdown', 'win rate', 'profit factor', 'trades']) {
      expect(result.stdout).toMatch(new RegExp(`^${metric}\\s+\\S`, 'm'));
    }
    expect(result.stdout).toMatch(new RegExp(`^training-\\S+\\s+training\\s+available\\s+http://127\\.0\\.0\\.1:${workerPort}\\s`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^backtesting-\\S+\\s+backtesting\\s+available\\s+http://127\\.0\\.0\\.1:${workerPort + 1}\\s`, 'm'));
    expect(result.stdout.trim().split('\n').at(-1)).toBe('Demo completed.');
  });

  it('fails with a message naming a taken port and its variable', { timeout: budget(DEMO_MS) }, async () => {
    assertBuilt('dist/src/demo/main.js', 'dist/src/backend/main.js', 'dist/src/worker/main.js');
    const apiPort = await freePortRun(1);
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(apiPort, '127.0.0.1', resolve));
    const result = await runDemo(cleanEnv({ KTRDR_API_PORT: String(apiPort), KTRDR_WORKER_PORT: String(await freePortRun(2)) }));
    expect(result.code).toBe(1);
    // The holder is this test's own process: the message names its pid.
    expect(result.stderr).toContain(`demo failed: port ${apiPort} (backend) is already in use by process ${process.pid} (`);
    expect(result.stderr).toContain('): stop it or set KTRDR_API_PORT to a free port');
  });
});
