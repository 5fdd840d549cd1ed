/**
 * The backtest's edges: the last bar only fills what is pending and closes,
 * rows with a NaN feature are HOLD, the warm-up before start_date does not
 * depend on wall-clock gaps, and the "no bar" error names the warm-up the model
 * needs. Each result is compared with an independent replay (support/replay.ts):
 * the model's outputs on the features of the whole series, the strategy's
 * decisions, and the fills they lead to.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/api/contract.js';
import type { WireTrade } from '../../src/backtest/types.js';
import type { BarSeries } from '../../src/market-data/types.js';
import { buildFeaturesFromSpec, parseFeatureSpec, warmupBars } from '../../src/strategy/features.js';
import { BARS_PER_UNIT, backtestingWorkload } from '../../src/workloads/backtesting/backtesting.js';
import { BacktestingParams } from '../../src/workloads/backtesting/params.js';
import { TrainingParams } from '../../src/workloads/training/params.js';
import { trainingWorkload } from '../../src/workloads/training/training.js';
import { BARS, fakeContext, MemoryServices, STRATEGY_YAML, type FakeContextOptions } from './support/fake-context.js';
import { firstValidRow, iso, outputsOf, replayTrades, shapes } from './support/replay.js';
import { VOLUME_ROC_YAML, withZeroVolume } from './support/volume-roc.js';

interface Results {
  readonly trades: WireTrade[];
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

const paramsOf = (model: ModelArtifact, extra: Partial<BacktestingParams> = {}) =>
  BacktestingParams.parse({ model_id: model.model_id, symbol: 'EURUSD', timeframe: '1h', ...extra });

async function backtest(model: ModelArtifact, bars: BarSeries, extra: Partial<BacktestingParams> = {}, options: FakeContextOptions = {}) {
  const services = new MemoryServices(bars, [model]);
  const context = fakeContext(paramsOf(model, extra), { services, ...options });
  const result = await backtestingWorkload.run(context);
  return { context, services, summary: result.resultSummary as Record<string, number | string | null>, trades: (result.results as Results).trades };
}

describe('backtesting edges', () => {
  it('an order pending at the last bar fills at its open and is closed at its close; the last bar decides nothing', async () => {
    const first = firstValidRow(artifact, BARS);
    // The first bar after 2,500 whose signal is pending into the next bar: end the backtest on that next bar.
    const full = replayTrades(artifact, BARS, first, BARS.time.length - 1);
    const entry = full.find((trade) => Date.parse(trade.entry_time) > BARS.time[2_500]!);
    expect(entry).toBeDefined();
    const last = BARS.time.indexOf(Date.parse(entry!.entry_time));
    const { summary, trades } = await backtest(artifact, BARS, { end_date: iso(BARS.time[last + 1]!) });
    expect(summary.start).toBe(iso(BARS.time[first]!));
    expect(summary.end).toBe(iso(BARS.time[last]!));
    expect(summary.bars).toBe(last + 1 - first);
    expect(shapes(trades)).toEqual(replayTrades(artifact, BARS, first, last));
    // Opened at the last bar's open, closed at its close.
    expect(trades.at(-1)).toMatchObject({ entry_time: iso(BARS.time[last]!), exit_time: iso(BARS.time[last]!), forced: true });
    expect(trades.at(-1)?.entry_price).toBeCloseTo(BARS.open[last]! * 1.0005, 12);
    expect(trades.at(-1)?.exit_price).toBeCloseTo(BARS.close[last]! * 0.9995, 12);
  });

  it('a run of exactly two blocks checkpoints only the first: the last bar is never a resume point', async () => {
    const start = firstValidRow(artifact, BARS);
    const count = start + 2 * BARS_PER_UNIT;
    const endDate = iso(BARS.time[count]!);
    const run = await backtest(artifact, BARS, { end_date: endDate });
    expect(run.summary.bars).toBe(2 * BARS_PER_UNIT);
    expect(run.context.units.map((unit) => unit.units)).toEqual([1]);
    expect(shapes(run.trades)).toEqual(replayTrades(artifact, BARS, start, count - 1));

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
    // The fixture does what it says: NaN features after the warm-up, at 10..13 bars after each zero.
    const features = buildFeaturesFromSpec(parseFeatureSpec(volumeArtifact.feature_spec), bars);
    const nanRows = Array.from({ length: bars.time.length }, (_, row) => row).filter(
      (row) => row >= features.firstValidRow && !features.data.subarray(row * features.cols, (row + 1) * features.cols).every(Number.isFinite),
    );
    expect(nanRows).toEqual(zeros.flatMap((k) => [k + 10, k + 11, k + 12, k + 13]));

    const { summary, trades } = await backtest(volumeArtifact, bars);
    expect(summary.start).toBe(iso(bars.time[features.firstValidRow]!));
    expect(trades.length).toBeGreaterThan(0);
    expect(shapes(trades)).toEqual(replayTrades(volumeArtifact, bars, features.firstValidRow, bars.time.length - 1));
    // The replay does see those rows as undecidable.
    const outputs = outputsOf(volumeArtifact, bars);
    expect(nanRows.every((row) => outputs[row] === null)).toBe(true);
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
    expect(shapes(trades)).toEqual(replayTrades(artifact, gapped, start, gapped.time.length - 1));
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
