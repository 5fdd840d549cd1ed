/**
 * The `backtesting` operation: replays a trained model over bars, bar by bar.
 * At bar t the features use bars up to t only, the model's most probable class
 * above the confidence threshold is the decision, and the engine fills it at
 * t's close with slippage and commission. One checkpoint unit is a block of
 * BARS_PER_UNIT bars, so KTRDR_CHECKPOINT_EPOCH_INTERVAL counts thousands of
 * bars here rather than single bars (a checkpoint per bar would cost more than
 * the backtest).
 */
import { decide } from '../../backtest/decide.js';
import { BacktestEngine } from '../../backtest/engine.js';
import { KtrdrError } from '../../common/errors.js';
import { firstIndexAtOrAfter, TIMEFRAME_MS, type Timeframe } from '../../market-data/types.js';
import { Mlp } from '../../nn/mlp.js';
import { buildFeaturesFromSpec, parseFeatureSpec, warmupBars } from '../../strategy/features.js';
import { throwIfAborted } from '../abort.js';
import type { Workload, WorkloadContext, WorkloadResult } from '../types.js';
import { BacktestingParams } from './params.js';

export const BARS_PER_UNIT = 1_000;
/** Points of the equity curve kept in the results (metrics always use every bar). */
const EQUITY_CURVE_POINTS = 2_000;
const YEAR_MS = 365 * 24 * 3_600_000;

interface BacktestingState {
  readonly engine: unknown;
}

export const barsPerYear = (timeframe: Timeframe): number => YEAR_MS / TIMEFRAME_MS[timeframe];

async function runBacktesting(context: WorkloadContext<BacktestingParams>): Promise<WorkloadResult> {
  const { params, services, signal } = context;
  context.progress({ current_step: `Loading model ${params.model_id}`, context: {} });
  const artifact = await services.model(params.model_id);
  const spec = parseFeatureSpec(artifact.feature_spec);
  const model = Mlp.fromJSON(artifact.network);
  const startMs = params.start_date ? Date.parse(params.start_date) : null;
  // Enough bars before the start for the indicators to warm up (with room for gaps such as weekends).
  const warmupStart = startMs === null ? null : startMs - (warmupBars(spec) + 1) * TIMEFRAME_MS[params.timeframe] * 3;

  context.progress({ current_step: `Loading ${params.symbol} ${params.timeframe} bars` });
  const bars = await services.bars({
    symbol: params.symbol,
    timeframe: params.timeframe,
    ...(warmupStart !== null ? { startDate: new Date(warmupStart).toISOString() } : {}),
    ...(params.end_date ? { endDate: params.end_date } : {}),
  });
  throwIfAborted(signal);
  context.progress({ current_step: 'Building features' });
  const features = buildFeaturesFromSpec(spec, bars);
  const first = Math.max(features.firstValidRow, startMs === null ? 0 : firstIndexAtOrAfter(bars.time, startMs));
  const count = bars.time.length;
  if (first >= count) {
    throw new KtrdrError('VALIDATION_ERROR', `no bar to backtest: ${count} bars loaded, the first usable one is ${first} (indicator warm-up ${features.firstValidRow})`);
  }
  const total = count - first;

  const resumed = context.resumeFrom?.state as BacktestingState | undefined;
  const engine = resumed
    ? BacktestEngine.restore(resumed.engine)
    : new BacktestEngine({
        initialCapital: params.initial_capital,
        commission: params.commission,
        slippage: params.slippage,
        barsPerYear: barsPerYear(params.timeframe),
      });
  const resumedFromBar = resumed ? engine.barsProcessed : null;
  const report = (done: number) => {
    const account = engine.account();
    context.progress({
      percentage: (done / total) * 100,
      current_step: `Bar ${done}/${total}`,
      steps_completed: done,
      steps_total: total,
      items_processed: done,
      items_total: total,
      context: { bars: done, bars_total: total, equity: account.equity, trades: engine.closedTrades().length, resumed_from_bar: resumedFromBar },
    });
  };

  const { cols, data } = features;
  const threshold = artifact.confidence_threshold;
  for (let index = first + engine.barsProcessed; index < count; index++) {
    const probabilities = model.predictProba(data, index * cols);
    engine.onBar(index, bars.time[index] as number, bars.close[index] as number, decide(probabilities, threshold));
    const done = index - first + 1;
    if (done % BARS_PER_UNIT === 0) {
      report(done);
      await context.unitDone(done / BARS_PER_UNIT, (): BacktestingState => ({ engine: engine.snapshot() }));
      // Yields to the event loop, so a cancel or a status request is answered within one block.
      await new Promise<void>((resolve) => setImmediate(resolve));
      throwIfAborted(signal);
    }
  }
  engine.finish(count - 1, bars.time[count - 1] as number, bars.close[count - 1] as number);
  report(total);

  const result = engine.result(EQUITY_CURVE_POINTS);
  return {
    resultSummary: {
      ...result.metrics,
      initial_capital: params.initial_capital,
      final_equity: result.final_equity,
      bars: total,
      start: new Date(bars.time[first] as number).toISOString(),
      end: new Date(bars.time[count - 1] as number).toISOString(),
      model_id: params.model_id,
      symbol: params.symbol,
      timeframe: params.timeframe,
      resumed_from_bar: resumedFromBar,
    },
    results: { trades: result.trades, equity_curve: result.equity_curve },
  };
}

export const backtestingWorkload: Workload<BacktestingParams> = {
  type: 'backtesting',
  workerTypes: ['backtesting'],
  paramsSchema: BacktestingParams,
  run: runBacktesting,
};
