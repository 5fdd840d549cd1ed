/**
 * Training and backtesting through real processes: checkpoints on the
 * KTRDR_CHECKPOINT_EPOCH_INTERVAL policy, a training worker killed with kill -9
 * failed as an orphan and resumed elsewhere from its last checkpoint epoch, a
 * bad strategy refused before any operation exists, and a backtest of the
 * trained model.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/client/http.js';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { budget, OPERATION_MS, REPO_ROOT, STARTUP_MS, STOP_MS } from '../support/processes.js';
import { Cluster } from './cluster.js';
import { slowStrategy } from './strategies.js';

const SLOW_STRATEGY = slowStrategy();

const cluster = new Cluster({ KTRDR_CHECKPOINT_EPOCH_INTERVAL: '3', KTRDR_CHECKPOINT_TIME_INTERVAL_SECONDS: '3600' });

beforeAll(async () => {
  writeFileSync(join(cluster.dataDir, 'EURUSD_1h.csv'), formatCsv(generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 4000, seed: 7 })));
  const strategiesDir = join(cluster.dataDir, 'strategies');
  mkdirSync(strategiesDir);
  cpSync(join(REPO_ROOT, 'strategies'), strategiesDir, { recursive: true });
  writeFileSync(join(strategiesDir, 'e2e_slow.yaml'), SLOW_STRATEGY);
  await cluster.startBackend();
});

afterAll(async () => {
  await cluster.stop();
});

interface Checkpoint {
  units: number;
  reason: string;
}

const checkpoints = async (id: string) => ((await cluster.send('GET', `/operations/${id}/checkpoints`)) as { data: Checkpoint[] }).data;

describe('training through real processes', () => {
  const EPOCH_7_MS = 180_000;
  const TRAINING_MS = 300_000;
  const BACKTEST_MS = 300_000;

  it('checkpoints every 3 epochs; a worker killed with kill -9 is failed as an orphan and resume continues from the last checkpoint epoch', {
    timeout: budget(STARTUP_MS, EPOCH_7_MS, OPERATION_MS, STARTUP_MS, OPERATION_MS, TRAINING_MS, STOP_MS),
  }, async () => {
    const first = await cluster.startWorker('training');
    const { operation_id: id } = (await cluster.send('POST', '/trainings/start', { strategy: 'e2e_slow', seed: 3 })) as { operation_id: string };
    const running = await cluster.waitForOperation(id, (op) => op.status === 'running' && Number(op.progress.context.epoch) >= 7, 'to pass epoch 7', EPOCH_7_MS);
    expect(running.progress.current_step).toMatch(/^Epoch \d+\/40$/);
    expect(running.progress.context).toMatchObject({ epochs: 40 });
    expect(typeof running.progress.context.loss).toBe('number');

    first.process.child.kill('SIGKILL');
    const failed = await cluster.waitForOperation(id, (op) => op.status === 'failed', 'to fail as an orphan');
    expect(failed.error_message).toContain(first.id);

    const taken = await checkpoints(id);
    const interval = taken.filter((c) => c.reason === 'interval').map((c) => c.units);
    expect(interval.slice(0, 2)).toEqual([3, 6]);
    expect(interval.every((units) => units % 3 === 0)).toBe(true);
    const lastEpoch = Math.max(...taken.map((c) => c.units));

    const second = await cluster.startWorker('training');
    await cluster.send('POST', `/operations/${id}/resume`);
    const resumed = await cluster.waitForOperation(id, (op) => op.status === 'running' && op.progress.context.resumed_from_epoch != null, 'to resume');
    expect(resumed.progress.context.resumed_from_epoch).toBe(lastEpoch);
    const done = await cluster.waitForOperation(id, (op) => op.status === 'completed', 'to complete', TRAINING_MS);
    expect(done.worker_id).toBe(second.id);
    expect(done.result_summary).toMatchObject({ resumed_from_epoch: lastEpoch, epochs_trained: 40 });
    expect(typeof done.result_summary?.model_id).toBe('string');
    expect(done.result_summary?.test_accuracy).toBeGreaterThan(0);
    expect(Object.keys(done.result_summary?.precision as object)).toEqual(['BUY', 'HOLD', 'SELL']);
    // A completed operation's checkpoints are removed.
    expect(await checkpoints(id)).toEqual([]);
    await second.process.stop('SIGTERM');
  });

  it('refuses a bad strategy with 400 naming the path in the file, and creates no operation', async () => {
    const before = ((await cluster.send('GET', '/operations')) as { total_count: number }).total_count;
    const bad = SLOW_STRATEGY.replace('indicator: rsi_14', 'indicator: rsi_41');
    const error = await cluster.send('POST', '/trainings/start', { strategy: bad }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    expect((error as HttpError).message).toContain("fuzzy_sets.rsi_momentum.indicator: unknown indicator 'rsi_41'");
    expect(((await cluster.send('GET', '/operations')) as { total_count: number }).total_count).toBe(before);
  });

  it('trains an example strategy and backtests the model on its held-out period', {
    timeout: budget(STARTUP_MS, STARTUP_MS, TRAINING_MS, BACKTEST_MS, STOP_MS, STOP_MS),
  }, async () => {
    const trainer = await cluster.startWorker('training');
    const tester = await cluster.startWorker('backtesting');
    const { operation_id: trainingId } = (await cluster.send('POST', '/trainings/start', { strategy: 'macd_roc_trend' })) as { operation_id: string };
    const trained = await cluster.waitForOperation(trainingId, (op) => op.status === 'completed' || op.status === 'failed', 'to finish', TRAINING_MS);
    expect(trained.status).toBe('completed');
    const modelId = trained.result_summary?.model_id as string;
    const models = (await cluster.send('GET', '/models')) as { model_id: string; periods: { test: { start: string } } }[];
    const model = models.find((m) => m.model_id === modelId);
    expect(model).toBeDefined();

    const { operation_id: backtestId } = (await cluster.send('POST', '/backtests/start', { model: modelId })) as { operation_id: string };
    const tested = await cluster.waitForOperation(backtestId, (op) => op.status === 'completed' || op.status === 'failed', 'to finish', BACKTEST_MS);
    expect(tested.status).toBe('completed');
    expect(tested.worker_id).toBe(tester.id);
    for (const key of ['total_return', 'total_return_pct', 'annualized_return', 'sharpe_ratio', 'max_drawdown', 'max_drawdown_pct', 'win_rate', 'profit_factor', 'total_trades']) {
      expect(tested.result_summary).toHaveProperty(key);
    }
    // The buy-and-hold baseline of the same bars, beside the figures.
    expect(tested.result_summary?.buy_and_hold).toMatchObject({ total_return_pct: expect.any(Number), final_equity: expect.any(Number) });
    // By default the model is judged on bars it never saw.
    expect(Date.parse(tested.result_summary?.start as string)).toBeGreaterThanOrEqual(Date.parse(model?.periods.test.start as string));
    const results = (await cluster.send('GET', `/operations/${backtestId}/results`)) as { data: { results: { trades: unknown[]; equity_curve: unknown[] } } };
    expect(results.data.results.trades).toHaveLength(tested.result_summary?.total_trades as number);
    // Trade times are ISO strings on the wire.
    for (const trade of results.data.results.trades as { entry_time: unknown }[]) expect(trade.entry_time).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(results.data.results.equity_curve.length).toBeGreaterThan(1);
    await trainer.process.stop('SIGTERM');
    await tester.process.stop('SIGTERM');
  });
});
