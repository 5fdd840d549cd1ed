/**
 * The backtest's edges: the last bar only closes, rows with a NaN feature are
 * HOLD, the warm-up before start_date does not depend on wall-clock gaps, and
 * the "no bar" error names the warm-up the model needs. Each result is compared
 * with a replay computed here: the model's decisions on the features of the
 * whole series, and the positions they lead to.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/api/contract.js';
import type { Trade } from '../../src/backtest/types.js';
import type { BarSeries } from '../../src/market-data/types.js';
import { Mlp } from '../../src/nn/mlp.js';
import { buildFeaturesFromSpec, parseFeatureSpec, warmupBars } from '../../src/strategy/features.js';
import { BARS_PER_UNIT, backtestingWorkload } from '../../src/workloads/backtesting/backtesting.js';
import { BacktestingParams } from '../../src/workloads/backtesting/params.js';
import { TrainingParams } from '../../src/workloads/training/params.js';
import { trainingWorkload } from '../../src/workloads/training/training.js';
import { BARS, fakeContext, MemoryServices, STRATEGY_YAML, type FakeContextOptions } from './support/fake-context.js';
import { VOLUME_ROC_YAML, withZeroVolume } from './support/volume-roc.js';

type Decision = 'BUY' | 'HOLD' | 'SELL';
interface Results {
  readonly trades: Trade[];
}
interface TradeShape {
  readonly direction: 'LONG' | 'SHORT';
  readonly entry_time: number;
  readonly exit_time: number;
}

let artifact: ModelArtifact;
let volumeArtifact: ModelArtifact;

async function trainOn(yaml: string, name: string): Promise<ModelArtifact> {
  const services = new MemoryServices();
  const params = TrainingParams.parse({ strategy_yaml: yaml, strategy_name: name, symbol: 'EURUSD', timeframe: '1h' });
  await trainingWorkload.run(fakeContext(params, { services, operationId: `op_${name}_00000001` }));
  return services.saved[0]!;
}

beforeAll(async () => {
  artifact = await trainOn(STRATEGY_YAML, 'macd_roc_trend');
  volumeArtifact = await trainOn(VOLUME_ROC_YAML, 'volume_roc');
});

const iso = (ms: number) => new Date(ms).toISOString();
const paramsOf = (model: ModelArtifact, extra: Partial<BacktestingParams> = {}) =>
  BacktestingParams.parse({ model_id: model.model_id, symbol: 'EURUSD', timeframe: '1h', ...extra });

async function backtest(model: ModelArtifact, bars: BarSeries, extra: Partial<BacktestingParams> = {}, options: FakeContextOptions = {}) {
  const services = new MemoryServices(bars, [model]);
  const context = fakeContext(paramsOf(model, extra), { services, ...options });
  const result = await backtestingWorkload.run(context);
  return { context, services, summary: result.resultSummary as Record<string, number | string | null>, trades: (result.results as Results).trades };
}

/** Per bar: argmax above the threshold, HOLD on a tie, and HOLD where a feature is not finite (or not yet defined). */
function decisionsOf(model: ModelArtifact, bars: BarSeries): Decision[] {
  const features = buildFeaturesFromSpec(parseFeatureSpec(model.feature_spec), bars);
  const network = Mlp.fromJSON(model.network);
  return Array.from({ length: bars.time.length }, (_, row): Decision => {
    const x = features.data.subarray(row * features.cols, (row + 1) * features.cols);
    if (!x.every(Number.isFinite)) return 'HOLD';
    const p = Array.from(network.predictProba(x));
    const best = Math.max(...p);
    if (best < model.confidence_threshold || p.filter((value) => value === best).length > 1) return 'HOLD';
    return (['BUY', 'HOLD', 'SELL'] as const)[p.indexOf(best)]!;
  });
}

const firstValidRow = (model: ModelArtifact, bars: BarSeries) => buildFeaturesFromSpec(parseFeatureSpec(model.feature_spec), bars).firstValidRow;

/** The trades the decisions at bars first .. last-1 lead to, the position open at the end closed at the last bar. */
function replay(decisions: readonly Decision[], time: Float64Array, first: number, last: number): TradeShape[] {
  const trades: TradeShape[] = [];
  let open = null as { direction: 'LONG' | 'SHORT'; entry_time: number } | null;
  for (let bar = first; bar < last; bar++) {
    const decision = decisions[bar];
    const held = open === null ? null : open.direction;
    const target = decision === 'BUY' ? 'LONG' : decision === 'SELL' ? 'SHORT' : held;
    if (open && target !== open.direction) {
      trades.push({ ...open, exit_time: time[bar]! });
      open = null;
    }
    if (target && !open) open = { direction: target, entry_time: time[bar]! };
  }
  if (open) trades.push({ ...open, exit_time: time[last]! });
  return trades;
}

const shapes = (trades: readonly Trade[]): TradeShape[] =>
  trades.map(({ direction, entry_time, exit_time }) => ({ direction, entry_time, exit_time }));

/** The position after the decisions at bars first .. bar (inclusive). */
function positionAfter(decisions: readonly Decision[], first: number, bar: number): 'LONG' | 'SHORT' | null {
  let position: 'LONG' | 'SHORT' | null = null;
  for (let index = first; index <= bar; index++) {
    if (decisions[index] === 'BUY') position = 'LONG';
    else if (decisions[index] === 'SELL') position = 'SHORT';
  }
  return position;
}

describe('backtesting edges', () => {
  it('a BUY or SELL at the last bar opens nothing: the last bar only closes the open position', async () => {
    const decisions = decisionsOf(artifact, BARS);
    const first = firstValidRow(artifact, BARS);
    // A bar whose decision changes the position: as the last bar it would open a trade closed at once.
    const last = decisions.findIndex((decision, bar) => {
      if (bar < 2_500 || decision === 'HOLD') return false;
      return positionAfter(decisions, first, bar - 1) !== (decision === 'BUY' ? 'LONG' : 'SHORT');
    });
    expect(last).toBeGreaterThan(0);
    const { summary, trades } = await backtest(artifact, BARS, { end_date: iso(BARS.time[last + 1]!) });
    expect(summary.start).toBe(iso(BARS.time[first]!));
    expect(summary.end).toBe(iso(BARS.time[last]!));
    expect(summary.bars).toBe(last + 1 - first);
    expect(trades.every((trade) => trade.exit_time > trade.entry_time)).toBe(true);
    expect(shapes(trades)).toEqual(replay(decisions, BARS.time, first, last));
    expect(trades.at(-1)?.exit_time).toBe(BARS.time[last]);
  });

  it('a run of exactly two blocks checkpoints only the first: the last bar is never a resume point', async () => {
    const decisions = decisionsOf(artifact, BARS);
    const start = firstValidRow(artifact, BARS);
    const count = start + 2 * BARS_PER_UNIT;
    const endDate = iso(BARS.time[count]!);
    const run = await backtest(artifact, BARS, { end_date: endDate });
    expect(run.summary.bars).toBe(2 * BARS_PER_UNIT);
    expect(run.context.units.map((unit) => unit.units)).toEqual([1]);
    expect(shapes(run.trades)).toEqual(replay(decisions, BARS.time, start, count - 1));

    const resumed = await backtest(artifact, BARS, { end_date: endDate }, { resumeFrom: { units: 1, state: run.context.units[0]!.state } });
    expect(resumed.trades).toEqual(run.trades);
    expect(resumed.summary.final_equity).toBe(run.summary.final_equity);
  });

  it('refuses a checkpoint that has processed more bars than these bars hold', async () => {
    const whole = await backtest(artifact, BARS);
    const state = whole.context.units[1]!.state; // 2 blocks done
    const start = firstValidRow(artifact, BARS);
    const context = fakeContext(paramsOf(artifact, { end_date: iso(BARS.time[start + 1_500]!) }), {
      services: new MemoryServices(BARS, [artifact]),
      resumeFrom: { units: 2, state },
    });
    await expect(backtestingWorkload.run(context)).rejects.toThrow(/2000 bars processed.*only 1500 bars.*does not belong/);
  });

  it('a row with a NaN feature is a HOLD: the model is not asked', async () => {
    const zeros = [1_200, 2_000, 2_600];
    const bars = withZeroVolume(BARS, zeros);
    const decisions = decisionsOf(volumeArtifact, bars);
    // The fixture does what it says: NaN features after the warm-up, at 10..13 bars after each zero.
    const features = buildFeaturesFromSpec(parseFeatureSpec(volumeArtifact.feature_spec), bars);
    const nanRows = Array.from({ length: bars.time.length }, (_, row) => row).filter(
      (row) => row >= features.firstValidRow && !features.data.subarray(row * features.cols, (row + 1) * features.cols).every(Number.isFinite),
    );
    expect(nanRows).toEqual(zeros.flatMap((k) => [k + 10, k + 11, k + 12, k + 13]));

    const { summary, trades } = await backtest(volumeArtifact, bars);
    expect(summary.start).toBe(iso(bars.time[features.firstValidRow]!));
    expect(trades.length).toBeGreaterThan(0);
    expect(shapes(trades)).toEqual(replay(decisions, bars.time, features.firstValidRow, bars.time.length - 1));
  });

  it('the warm-up before start_date holds, whatever gap the bars have before it: features at the start are the full series\'', async () => {
    // Ten days without bars just before the start: a window sized in hours would hold none of the warm-up.
    const startIndex = 2_000;
    const startMs = BARS.time[startIndex]!;
    const keep = Array.from(BARS.time, (time, index) => index).filter((index) => !(BARS.time[index]! >= startMs - 10 * 86_400_000 && index < startIndex));
    const pick = (column: Float64Array) => Float64Array.from(keep, (index) => column[index]!);
    const gapped: BarSeries = { ...BARS, time: pick(BARS.time), open: pick(BARS.open), high: pick(BARS.high), low: pick(BARS.low), close: pick(BARS.close), volume: pick(BARS.volume) };
    expect(gapped.time.length).toBe(BARS.time.length - 240);

    const { services, summary, trades } = await backtest(artifact, gapped, { start_date: iso(startMs) });
    expect(summary.start).toBe(iso(startMs));
    const start = gapped.time.indexOf(startMs);
    expect(summary.bars).toBe(gapped.time.length - start);
    expect(trades.length).toBeGreaterThan(0);
    expect(shapes(trades)).toEqual(replay(decisionsOf(artifact, gapped), gapped.time, start, gapped.time.length - 1));
    // The whole history up to the end is loaded, so the recursive indicators match the full series too.
    expect(services.barRequests).toEqual([{ symbol: 'EURUSD', timeframe: '1h' }]);
  });

  it('too few bars: the error names the bars loaded and the warm-up the model needs', async () => {
    const warmup = warmupBars(parseFeatureSpec(artifact.feature_spec));
    expect(warmup).toBeGreaterThan(10);
    const context = fakeContext(paramsOf(artifact, { end_date: iso(BARS.time[10]!) }), { services: new MemoryServices(BARS, [artifact]) });
    const error = await backtestingWorkload.run(context).then(
      () => null,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toMatch(/^no bar to backtest for EURUSD 1h/);
    expect(error?.message).toContain('10 bars loaded');
    expect(error?.message).toContain(`a warm-up of ${warmup} bars`);
  });
});
