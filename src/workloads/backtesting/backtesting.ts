/**
 * The `backtesting` operation, wiring only: load the model and its strategy → load the bars and build
 * the features → the bar loop of src/backtest (fill at the next bar's open, decisions from the
 * strategy's `decisions` block, force-close at the end) → metrics and the buy-and-hold baseline of the
 * same bars. One checkpoint unit is a block of BARS_PER_UNIT bars, so KTRDR_CHECKPOINT_EPOCH_INTERVAL
 * counts thousands of bars here rather than single bars (a checkpoint per bar would cost more than the
 * backtest).
 *
 * The bars are loaded from the beginning of the history (up to end_date) and the features built over
 * all of them, so the features at start_date are exactly those of the full series: a window sized from
 * wall-clock time would hold too few bars across a gap, and recursive indicators (EMA, Wilder) would
 * still differ. A row with a NaN or infinite feature (a rate of change of a zero volume, say) gives no
 * prediction, hence HOLD: the model is never asked about it.
 */
import { buyAndHold } from '../../backtest/baseline.js';
import { BacktestEngine } from '../../backtest/engine.js';
import { runBarLoop } from '../../backtest/loop.js';
import { KtrdrError } from '../../common/errors.js';
import { parseIsoUtc } from '../../market-data/dates.js';
import { firstIndexAtOrAfter } from '../../market-data/types.js';
import { assertBacktestable, decisionFunctionOf } from '../../strategy/decisions.js';
import { buildFeaturesFromSpec, parseFeatureSpec, warmupBars } from '../../strategy/features.js';
import { parseStrategy } from '../../strategy/load.js';
import { loadMarketInputs } from '../../strategy/market-inputs.js';
import { throwIfAborted } from '../abort.js';
import { servicesBarsSource, servicesContextSource } from '../market-inputs.js';
import type { Workload, WorkloadContext, WorkloadResult } from '../types.js';
import { BacktestingParams } from './params.js';
import { createModelPredictor } from './predictor.js';

export const BARS_PER_UNIT = 1_000;
/** Points of the equity curve kept in the results (metrics always use every bar). */
const EQUITY_CURVE_POINTS = 2_000;

interface BacktestingState {
  readonly engine: unknown;
}

async function runBacktesting(context: WorkloadContext<BacktestingParams>): Promise<WorkloadResult> {
  const { params, services, signal } = context;
  context.progress({ current_step: `Loading model ${params.model_id}`, context: {} });
  const artifact = await services.model(params.model_id);
  const spec = parseFeatureSpec(artifact.feature_spec);
  // The decisions come from the strategy the model was trained with; refused up front when its outputs are no trade signals.
  const strategy = parseStrategy(artifact.strategy_yaml, `model ${artifact.model_id}'s strategy`);
  assertBacktestable(strategy);
  const decide = decisionFunctionOf(strategy);
  const startMs = params.start_date === null ? null : parseIsoUtc(params.start_date);
  if (params.start_date !== null && startMs === null) {
    throw new KtrdrError('VALIDATION_ERROR', `start_date '${params.start_date}' is not an ISO date or date-time (e.g. 2024-01-31T00:00:00Z)`);
  }

  // A single-timeframe model runs on the requested bars; a multi-timeframe one on its base timeframe only.
  if (spec.timeframes.length > 1 && params.timeframe !== spec.base_timeframe) {
    throw new KtrdrError(
      'VALIDATION_ERROR',
      `timeframe '${params.timeframe}': model ${params.model_id} reads ${spec.timeframes.join(', ')} with ${spec.base_timeframe} as its base, so it is backtested on ${spec.base_timeframe} bars`,
    );
  }
  const loadSpec = spec.timeframes.length === 1 ? { base_timeframe: params.timeframe, timeframes: [params.timeframe] } : spec;
  context.progress({ current_step: `Loading ${params.symbol} ${loadSpec.timeframes.join(', ')} bars` });
  // From the first bar up to end_date (see above): the same code as training loads with.
  const market = await loadMarketInputs({
    spec: loadSpec,
    symbol: params.symbol,
    source: servicesBarsSource(services),
    end: params.end_date,
    log: (message) => context.progress({ current_step: message }),
    context: { sources: spec.context, series: servicesContextSource(services) },
  });
  const bars = market.inputs.base;
  throwIfAborted(signal);
  context.progress({ current_step: 'Building features' });
  const features = buildFeaturesFromSpec(spec, market.inputs);
  const startIndex = startMs === null ? 0 : firstIndexAtOrAfter(bars.time, startMs);
  const first = Math.max(features.firstValidRow, startIndex);
  const count = bars.time.length;
  if (first >= count) {
    const range = `${params.start_date ?? 'the first bar'} to ${params.end_date ?? 'the last bar'}`;
    throw new KtrdrError(
      'VALIDATION_ERROR',
      `no bar to backtest for ${params.symbol} ${params.timeframe} from ${range}: ${count} bars loaded` +
        `${params.start_date === null ? '' : ` (${count - startIndex} of them from start_date on)`}, ` +
        `and the model's features need a warm-up of ${warmupBars(spec)} bars before the first one can be used`,
    );
  }
  const total = count - first;
  const last = count - 1;

  const resumed = context.resumeFrom?.state as BacktestingState | undefined;
  const engine = resumed
    ? BacktestEngine.restore(resumed.engine)
    : new BacktestEngine({
        initialCapital: params.initial_capital,
        commission: params.commission,
        slippage: params.slippage,
        positionSize: params.position_size,
        wholeUnits: params.whole_units,
      });
  const resumedFromBar = resumed ? engine.barsProcessed : null;
  // Only bars before the last one are checkpointed, so a checkpoint of these bars never resumes past it.
  if (resumed && (engine.isFinished || first + engine.barsProcessed > last)) {
    throw new KtrdrError(
      'VALIDATION_ERROR',
      `the checkpoint has ${engine.barsProcessed} bars processed${engine.isFinished ? ' and a finished backtest' : ''}, ` +
        `but only ${total} bars are to be backtested: it does not belong to these bars`,
    );
  }
  const report = (done: number) => {
    const account = engine.account();
    context.progress({
      percentage: (done / total) * 100,
      current_step: `Bar ${done}/${total}`,
      steps_completed: done,
      steps_total: total,
      items_processed: done,
      items_total: total,
      context: { bars: done, bars_total: total, equity: account.equity, trades: engine.tradeCount, resumed_from_bar: resumedFromBar },
    });
  };

  await runBarLoop({
    engine,
    bars,
    first,
    last,
    predictor: createModelPredictor(artifact.network, features),
    decide,
    blockSize: BARS_PER_UNIT,
    onBlock: async (done) => {
      report(done);
      await context.unitDone(done / BARS_PER_UNIT, (): BacktestingState => ({ engine: engine.snapshot() }));
      // Yields to the event loop, so a cancel or a status request is answered within one block.
      await new Promise<void>((resolve) => setImmediate(resolve));
      throwIfAborted(signal);
    },
  });
  report(total);

  const result = engine.result(EQUITY_CURVE_POINTS);
  const baseline = buyAndHold({ ...bars, first, last, initialCapital: params.initial_capital, commission: params.commission, slippage: params.slippage });
  return {
    resultSummary: {
      ...result.metrics,
      initial_capital: params.initial_capital,
      final_equity: result.final_equity,
      buy_and_hold: { ...baseline },
      bars: total,
      start: new Date(bars.time[first] as number).toISOString(),
      end: new Date(bars.time[last] as number).toISOString(),
      model_id: params.model_id,
      symbol: params.symbol,
      timeframe: params.timeframe,
      commission: params.commission,
      slippage: params.slippage,
      position_size: params.position_size,
      whole_units: params.whole_units,
      output_format: strategy.decisions.output_format,
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
