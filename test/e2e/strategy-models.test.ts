/**
 * The example strategies of the v3 models through real processes (a backend, one training and one backtesting
 * worker): strategies/lstm_triple_barrier.yaml (LSTM, triple-barrier labels with uniqueness weights, class-balanced
 * cross-entropy, a plateau scheduler, classification decisions) and strategies/gru_forward_return.yaml (GRU,
 * forward-return regression, Huber loss, an exponential scheduler, position-aware decisions with a signal
 * separation filter and a cost model) each train and backtest, with only their epochs cut down.
 * (A model trained on regime or context labels refused by POST /backtests/start is test/backend/workloads-routes.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../src/api/contract.js';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { budget, REPO_ROOT, STARTUP_MS, STOP_MS } from '../support/processes.js';
import { Cluster } from './cluster.js';

/** An example strategy with `epochs` epochs (the files train 15): fails when the file no longer writes its epochs so. */
function example(file: string, epochs: number): string {
  const text = readFileSync(join(REPO_ROOT, 'strategies', file), 'utf8');
  const line = /^ {2}epochs: \d+$/m;
  if (!line.test(text)) throw new Error(`strategies/${file}: no top-level training.epochs line to shrink`);
  return text.replace(line, `  epochs: ${epochs}`);
}

const EPOCHS = 3;
const HOUR_MS = 3_600_000;
const cluster = new Cluster();

beforeAll(async () => {
  writeFileSync(join(cluster.dataDir, 'EURUSD_1h.csv'), formatCsv(generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 3_000, seed: 29, start: '2023-01-02T00:00:00Z' })));
  await cluster.startBackend();
});

afterAll(async () => {
  await cluster.stop();
});

/** A trade as the results carry it (times as ISO strings). */
interface TradeRow { direction: 'LONG' | 'SHORT'; entry_time: string; exit_time: string; forced: boolean }

describe('the LSTM triple-barrier and GRU regression examples through real processes', () => {
  const TRAINING_MS = 300_000;
  const BACKTEST_MS = 300_000;

  /** Trains `yaml`, then backtests the model on its held-out bars: the model and the backtest operation. */
  async function trainAndBacktest(yaml: string, workers: { trainer: string; tester: string }) {
    const { operation_id: trainingId } = (await cluster.send('POST', '/trainings/start', { strategy: yaml, seed: 3 })) as { operation_id: string };
    const trained = await cluster.waitForOperation(trainingId, (op) => op.status === 'completed' || op.status === 'failed', 'to finish training', TRAINING_MS);
    expect(trained.error_message).toBeNull();
    expect(trained.status).toBe('completed');
    expect(trained.worker_id).toBe(workers.trainer);
    expect(trained.result_summary).toMatchObject({ epochs_trained: EPOCHS });
    const modelId = trained.result_summary?.model_id as string;
    const model = (await cluster.send('GET', `/models/${modelId}`)) as ModelSummary;

    const { operation_id: backtestId } = (await cluster.send('POST', '/backtests/start', { model: modelId })) as { operation_id: string };
    const tested = await cluster.waitForOperation(backtestId, (op) => op.status === 'completed' || op.status === 'failed', 'to finish backtesting', BACKTEST_MS);
    expect(tested.error_message).toBeNull();
    expect(tested.status).toBe('completed');
    expect(tested.worker_id).toBe(workers.tester);
    const summary = tested.result_summary as Record<string, unknown>;
    expect(summary).toMatchObject({ model_id: modelId, symbol: 'EURUSD', timeframe: '1h' });
    expect(Date.parse(summary.start as string)).toBeGreaterThanOrEqual(Date.parse(model.periods.test.start));
    // The buy-and-hold baseline of the same bars beside the strategy's figures.
    expect(summary.buy_and_hold).toMatchObject({ total_return: expect.any(Number), final_equity: expect.any(Number), units: expect.any(Number) });
    const results = (await cluster.send('GET', `/operations/${backtestId}/results`)) as { data: { results: { trades: TradeRow[] } | null } };
    const trades = results.data.results?.trades ?? [];
    expect(trades).toHaveLength(summary.total_trades as number);
    // Trades, or the reason there are none: the model says it learned nothing to trade on.
    if (trades.length === 0) expect(model.metrics.warnings?.length ?? 0).toBeGreaterThan(0);
    return { model, summary, trades };
  }

  it('trains and backtests the LSTM triple-barrier strategy, then the GRU forward-return regression strategy', {
    timeout: budget(STARTUP_MS, STARTUP_MS, TRAINING_MS, BACKTEST_MS, TRAINING_MS, BACKTEST_MS, STOP_MS, STOP_MS),
  }, async () => {
    const trainer = await cluster.startWorker('training');
    const tester = await cluster.startWorker('backtesting');
    const workers = { trainer: trainer.id, tester: tester.id };

    const lstm = await trainAndBacktest(example('lstm_triple_barrier.yaml', EPOCHS), workers);
    expect(lstm.model).toMatchObject({ strategy_name: 'lstm_triple_barrier', model_type: 'lstm', output_type: 'classification', labels: ['BUY', 'HOLD', 'SELL'] });
    expect(lstm.model.metrics.test_accuracy).toBeGreaterThanOrEqual(0);
    expect(lstm.model.metrics.test_accuracy).toBeLessThanOrEqual(1);
    expect(Object.keys(lstm.model.metrics.recall).sort()).toEqual(['BUY', 'HOLD', 'SELL']);
    expect(Array.isArray(lstm.model.metrics.warnings)).toBe(true);
    expect(lstm.model.metrics.mse).toBeUndefined();
    expect(lstm.summary.output_format).toBe('classification');
    // Long-only by default (allow_short_from_flat false): a SELL only closes a long.
    expect(lstm.trades.every((trade) => trade.direction === 'LONG')).toBe(true);

    const gru = await trainAndBacktest(example('gru_forward_return.yaml', EPOCHS), workers);
    expect(gru.model).toMatchObject({ strategy_name: 'gru_forward_return', model_type: 'gru', output_type: 'regression', labels: [] });
    // Regression metrics: the directional accuracy as test_accuracy, the errors of the predicted returns.
    expect(gru.model.metrics.test_accuracy).toBeGreaterThanOrEqual(0);
    expect(gru.model.metrics.test_accuracy).toBeLessThanOrEqual(1);
    expect(gru.model.metrics.mse).toBeGreaterThan(0);
    expect(gru.model.metrics.mae).toBeGreaterThan(0);
    // test_loss is the Huber loss with δ 1: half the squared error for errors below 1 (returns are fractions).
    expect((2 * gru.model.metrics.test_loss) / (gru.model.metrics.mse as number)).toBeCloseTo(1, 9);
    expect(Array.isArray(gru.model.metrics.warnings)).toBe(true);
    expect(gru.summary.output_format).toBe('regression');
    // min_signal_separation 6: consecutive fills at least 6 hours apart (the force-close at the last bar aside).
    const fills = gru.trades.flatMap((trade) => (trade.forced ? [trade.entry_time] : [trade.entry_time, trade.exit_time])).map((time) => Date.parse(time));
    expect(fills.every(Number.isFinite)).toBe(true);
    for (let k = 1; k < fills.length; k++) expect((fills[k] as number) - (fills[k - 1] as number)).toBeGreaterThanOrEqual(6 * HOUR_MS);

    await trainer.process.stop('SIGTERM');
    await tester.process.stop('SIGTERM');
  });
});
