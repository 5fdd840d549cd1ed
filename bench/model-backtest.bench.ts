/**
 * Backtest throughput of the real backtesting workload (features from the
 * strategy, `createPredictor`, decisions, the engine, progress) for an LSTM
 * strategy beside the same strategy as an MLP: bars per second over one
 * generated hourly series. The LSTM reads a window of `sequence_length` rows
 * per bar, so it costs about sequence_length recurrent steps per decision.
 * The model is trained for one epoch first (its weights do not change the
 * cost); the figure is the median of a few runs.
 */
import { readFileSync } from 'node:fs';
import type { ModelArtifact } from '../src/api/contract.js';
import { generateBars } from '../src/market-data/generate.js';
import { sliceByTime, type BarSeries } from '../src/market-data/types.js';
import { backtestingWorkload } from '../src/workloads/backtesting/backtesting.js';
import { BacktestingParams } from '../src/workloads/backtesting/params.js';
import { TrainingParams } from '../src/workloads/training/params.js';
import { trainingWorkload } from '../src/workloads/training/training.js';
import type { WorkloadContext, WorkloadServices } from '../src/workloads/types.js';
import { median } from './stats.js';

const TRAIN_BARS = 3_000;
const BACKTEST_BARS = 20_000;
const RUNS = 3;

function services(bars: BarSeries, saved: ModelArtifact[]): WorkloadServices {
  return {
    bars: (request) => Promise.resolve(sliceByTime(bars, undefined, request.endDate === undefined ? undefined : Date.parse(request.endDate))),
    model: (id) => Promise.resolve(saved.find((model) => model.model_id === id) as ModelArtifact),
    saveModel: (artifact) => {
      saved.push(artifact);
      return Promise.resolve();
    },
    contextSeries: (provider, series) => Promise.reject(new Error(`no context series in this bench (${provider}/${series})`)),
  };
}

function context<P>(params: P, service: WorkloadServices, operationId: string): WorkloadContext<P> {
  return {
    operationId,
    params,
    resumeFrom: null,
    signal: new AbortController().signal,
    services: service,
    progress: () => undefined,
    unitDone: () => Promise.resolve(),
  } as WorkloadContext<P>;
}

async function barsPerSecond(yaml: string, label: string): Promise<{ label: string; rate: number; bars: number }> {
  const saved: ModelArtifact[] = [];
  const trainBars = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: TRAIN_BARS, seed: 5, start: '2020-01-01T00:00:00Z' });
  const oneEpoch = yaml.replace(/epochs: \d+/, 'epochs: 1');
  await trainingWorkload.run(
    context(TrainingParams.parse({ strategy_yaml: oneEpoch, strategy_name: label, symbol: 'EURUSD', timeframe: '1h' }), services(trainBars, saved), 'op_bench_train_00000001'),
  );
  const model = saved[0] as ModelArtifact;
  const testBars = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: BACKTEST_BARS, seed: 6, start: '2021-01-01T00:00:00Z' });
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    await backtestingWorkload.run(
      context(BacktestingParams.parse({ model_id: model.model_id, symbol: 'EURUSD', timeframe: '1h' }), services(testBars, saved), 'op_bench_backtest_0001'),
    );
    rates.push(BACKTEST_BARS / ((performance.now() - started) / 1000));
  }
  return { label, rate: median(rates), bars: BACKTEST_BARS };
}

export async function modelBacktestBench(): Promise<void> {
  const lstm = readFileSync(new URL('../../strategies/lstm_triple_barrier.yaml', import.meta.url), 'utf8');
  const mlp = lstm
    .replace('type: lstm', 'type: mlp')
    .replace(/architecture: \{sequence_length: \d+, hidden_size: (\d+), num_layers: 1, dropout: ([\d.]+)\}/, 'architecture: {hidden_layers: [$1], dropout: $2}');
  console.log(`\nbacktest of a trained model through the backtesting workload: ${BACKTEST_BARS} hourly bars, median of ${RUNS} runs`);
  for (const [yaml, label] of [
    [mlp, 'mlp [16] (lstm_triple_barrier as an MLP)'],
    [lstm, 'lstm 16×1, window 12 (strategies/lstm_triple_barrier.yaml)'],
  ] as const) {
    const { rate } = await barsPerSecond(yaml, label);
    console.log(`  ${label.padEnd(60)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} bars/s`);
  }
}
