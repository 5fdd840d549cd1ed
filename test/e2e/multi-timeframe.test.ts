/**
 * A multi-timeframe strategy (strategies/mtf_trend_raw.yaml: 1h base, 4h and
 * 1d, fuzzy and normalised raw inputs) trained and backtested through real
 * processes: the worker reads the 1h and 4h files through the backend, the
 * missing 1d file is resampled from the hourly bars (and the progress says so),
 * the model stores the normalisation fitted on its train split, and a backtest
 * of it runs on the held-out period.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { resampleBars } from '../../src/market-data/resample.js';
import { parseFeatureSpec } from '../../src/strategy/features.js';
import { budget, REPO_ROOT, STARTUP_MS, STOP_MS } from '../support/processes.js';
import { Cluster } from './cluster.js';

const cluster = new Cluster();
const MTF_YAML = readFileSync(join(REPO_ROOT, 'strategies/mtf_trend_raw.yaml'), 'utf8');

beforeAll(async () => {
  const hourly = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 2_400, seed: 21, start: '2023-01-02T00:00:00Z' });
  writeFileSync(join(cluster.dataDir, 'EURUSD_1h.csv'), formatCsv(hourly));
  writeFileSync(join(cluster.dataDir, 'EURUSD_4h.csv'), formatCsv(resampleBars(hourly, '4h')));
  await cluster.startBackend();
});

afterAll(async () => {
  await cluster.stop();
});

describe('a multi-timeframe strategy through real processes', () => {
  const TRAINING_MS = 300_000;
  const BACKTEST_MS = 300_000;

  it('trains on 1h, 4h (file) and 1d (resampled), stores the fitted normalisation, and backtests on the held-out 1h bars', {
    timeout: budget(STARTUP_MS, STARTUP_MS, TRAINING_MS, BACKTEST_MS, STOP_MS, STOP_MS),
  }, async () => {
    const trainer = await cluster.startWorker('training');
    const tester = await cluster.startWorker('backtesting');
    const { operation_id: trainingId } = (await cluster.send('POST', '/trainings/start', { strategy: MTF_YAML, seed: 5 })) as { operation_id: string };
    const trained = await cluster.waitForOperation(trainingId, (op) => op.status === 'completed' || op.status === 'failed', 'to finish', TRAINING_MS);
    expect(trained.error_message).toBeNull();
    expect(trained.status).toBe('completed');
    expect(trained.progress.context.resampled_timeframes).toEqual(['1d']);
    const modelId = trained.result_summary?.model_id as string;

    const model = (await cluster.send('GET', `/models/${modelId}`)) as { timeframe: string; feature_spec: unknown; periods: { test: { start: string } } };
    expect(model.timeframe).toBe('1h');
    const spec = parseFeatureSpec(model.feature_spec);
    expect(spec.timeframes).toEqual(['1h', '4h', '1d']);
    expect(spec.normalizers?.[spec.columns.indexOf('4h_macd_12_26.histogram_raw')]?.method).toBe('zscore');
    expect(spec.normalizers?.[spec.columns.indexOf('1d_rsi_14_raw')]?.method).toBe('minmax');

    const { operation_id: backtestId } = (await cluster.send('POST', '/backtests/start', { model: modelId })) as { operation_id: string };
    const tested = await cluster.waitForOperation(backtestId, (op) => op.status === 'completed' || op.status === 'failed', 'to finish', BACKTEST_MS);
    expect(tested.error_message).toBeNull();
    expect(tested.status).toBe('completed');
    expect(tested.worker_id).toBe(tester.id);
    expect(tested.result_summary).toMatchObject({ symbol: 'EURUSD', timeframe: '1h' });
    expect(Date.parse(tested.result_summary?.start as string)).toBeGreaterThanOrEqual(Date.parse(model.periods.test.start));
    expect(tested.result_summary).toHaveProperty('total_trades');
    await trainer.process.stop('SIGTERM');
    await tester.process.stop('SIGTERM');
  });
});
