import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/api/contract.js';
import type { BuyAndHold, WireTrade } from '../../src/backtest/types.js';
import { parseIsoUtc } from '../../src/market-data/dates.js';
import { Mlp } from '../../src/nn/mlp.js';
import { Rng } from '../../src/nn/rng.js';
import { parseFeatureSpec } from '../../src/strategy/features.js';
import { OperationAborted } from '../../src/workloads/abort.js';
import { BARS_PER_UNIT, backtestingWorkload } from '../../src/workloads/backtesting/backtesting.js';
import { BacktestingParams } from '../../src/workloads/backtesting/params.js';
import { TrainingParams } from '../../src/workloads/training/params.js';
import { trainingWorkload } from '../../src/workloads/training/training.js';
import type { WorkloadResult } from '../../src/workloads/types.js';
import { BARS, fakeContext, MemoryServices, STRATEGY_YAML, type FakeContextOptions } from './support/fake-context.js';
import { firstValidRow, iso, replayTrades, shapes } from './support/replay.js';

interface Results {
  readonly trades: WireTrade[];
  readonly equity_curve: { time: string; equity: number }[];
}

let artifact: ModelArtifact;

beforeAll(async () => {
  const services = new MemoryServices();
  const params = TrainingParams.parse({ strategy_yaml: STRATEGY_YAML, strategy_name: 'macd_roc_trend', symbol: 'EURUSD', timeframe: '1h' });
  await trainingWorkload.run(fakeContext(params, { services }));
  artifact = services.saved[0]!;
});

const paramsOf = (extra: Partial<BacktestingParams> = {}) =>
  BacktestingParams.parse({ model_id: artifact.model_id, symbol: 'EURUSD', timeframe: '1h', ...extra });

async function backtest(params: BacktestingParams, options: FakeContextOptions = {}) {
  const services = new MemoryServices(BARS, [artifact]);
  const context = fakeContext(params, { services, ...options });
  const result: WorkloadResult = await backtestingWorkload.run(context);
  return { context, services, result, summary: result.resultSummary as Record<string, number | string | null> & { buy_and_hold: BuyAndHold }, results: result.results as Results };
}

describe('backtesting workload', () => {
  it('replays the model over every usable bar with "Bar i/N" progress, the metrics and the buy-and-hold baseline', async () => {
    const { context, summary, results } = await backtest(paramsOf());
    const total = summary.bars as number;
    const firstValid = firstValidRow(artifact, BARS);
    const last = BARS.time.length - 1;
    expect(total).toBe(BARS.time.length - firstValid);
    expect(summary.start).toBe(iso(BARS.time[firstValid]!));

    // Progress per block of BARS_PER_UNIT bars and at the end; unitDone(block) for each full block.
    const blocks = Math.floor(total / BARS_PER_UNIT);
    expect(blocks).toBeGreaterThanOrEqual(2);
    expect(context.units.map((unit) => unit.units)).toEqual(Array.from({ length: blocks }, (_, index) => index + 1));
    for (let block = 1; block <= blocks; block++) {
      const update = context.updates.find((u) => u.current_step === `Bar ${block * BARS_PER_UNIT}/${total}`);
      expect(update, `progress at block ${block}`).toBeDefined();
      expect(update?.steps_completed).toBe(block * BARS_PER_UNIT);
      expect(update?.percentage).toBeCloseTo(((block * BARS_PER_UNIT) / total) * 100, 10);
    }
    expect(context.snapshot.current_step).toBe(`Bar ${total}/${total}`);
    expect(context.snapshot.percentage).toBe(100);
    expect(summary).toMatchObject({
      model_id: artifact.model_id,
      symbol: 'EURUSD',
      timeframe: '1h',
      initial_capital: 100_000,
      position_size: 0.25,
      whole_units: true,
      output_format: 'classification',
      resumed_from_bar: null,
    });

    // The trades are those of the rules replayed here: fill at the next open, long-only from flat, 4 h apart.
    const { trades, equity_curve: curve } = results;
    expect(trades.length).toBeGreaterThan(0); // else nothing below is checked
    expect(shapes(trades)).toEqual(replayTrades(artifact, BARS, firstValid, last));
    expect(trades.every((trade) => trade.direction === 'LONG')).toBe(true);
    for (const trade of trades.filter((t) => !t.forced)) {
      const entryBar = BARS.time.indexOf(Date.parse(trade.entry_time));
      expect(trade.entry_price).toBeCloseTo(BARS.open[entryBar]! * 1.0005, 12);
    }

    // The figures agree with the trades and the equity curve they summarise.
    expect(trades.length).toBe(summary.total_trades);
    const final = summary.final_equity as number;
    expect(final).toBeCloseTo(100_000 + trades.reduce((sum, trade) => sum + trade.pnl, 0), 6);
    expect(summary.total_return).toBeCloseTo(final - 100_000, 9);
    expect(summary.total_return_pct).toBeCloseTo(final / 100_000 - 1, 12);
    expect(curve.at(-1)?.equity).toBe(final);
    expect(curve.at(-1)?.time).toBe(iso(BARS.time[last]!));
    expect(summary.win_rate).toBeCloseTo(trades.filter((trade) => trade.pnl > 0).length / trades.length, 12);
    // Calendar time of hourly bars every day: 24 × 365.25 bars a year.
    expect(summary.periods_per_year).toBeCloseTo(24 * 365.25, 6);

    // Buy and hold over the same bars, with the same costs.
    const baseline = summary.buy_and_hold;
    expect(baseline.entry_price).toBeCloseTo(BARS.open[firstValid]! * 1.0005, 12);
    expect(baseline.exit_price).toBeCloseTo(BARS.close[last]! * 0.9995, 12);
    expect(baseline.final_equity).toBeCloseTo((100_000 / (BARS.open[firstValid]! * 1.0005 * 1.001)) * BARS.close[last]! * 0.9995 * 0.999, 6);
    expect(baseline.total_return).toBeCloseTo(baseline.final_equity - 100_000, 9);
    // Every figure is a finite number or null, never NaN.
    for (const [key, value] of Object.entries({ ...summary, ...baseline })) {
      if (typeof value === 'number') expect(Number.isFinite(value), key).toBe(true);
    }
  });

  it('sizes entries as asked: 50 % of the cash, fractional units', async () => {
    const { results } = await backtest(paramsOf({ position_size: 0.5, whole_units: false }));
    const first = results.trades[0]!;
    const entryBar = BARS.time.indexOf(Date.parse(first.entry_time));
    // Flat before the first trade: the cash is the capital; q = 0.5 × 100000 / 1.001 / open.
    expect(first.units).toBeCloseTo((0.5 * 100_000) / 1.001 / BARS.open[entryBar]!, 9);
    const whole = await backtest(paramsOf());
    expect(Number.isInteger(whole.results.trades[0]!.units)).toBe(true);
    expect(whole.results.trades[0]!.units).toBe(Math.floor((0.25 * 100_000) / 1.001 / BARS.open[entryBar]!));
  });

  it('backtests a regression model: its cost model sets the threshold, and it opens shorts from flat', async () => {
    // A linear network (no hidden layer) over the same features, alternating weights: a signed output that varies.
    const cols = parseFeatureSpec(artifact.feature_spec).columns.length;
    const network = Mlp.create({ input_size: cols, hidden_layers: [], output_size: 1, activation: 'relu', dropout: 0, output_activation: 'linear' }, new Rng(1));
    network.params.fill(0);
    for (let c = 0; c < cols; c++) network.params[c] = c % 2 === 0 ? 0.05 : -0.05;
    const yaml = STRATEGY_YAML.replace(/decisions: \{[^}]*\}/, 'decisions: {output_format: regression, cost_model: {round_trip_cost: 0.002, min_edge_multiplier: 2}}').replace(
      /labels: \{[^}]*\}/,
      'labels: {source: forward_return, horizon: 12}',
    );
    const model: ModelArtifact = { ...artifact, model_id: 'model_regression', strategy_yaml: yaml, network: network.toJSON() };
    const services = new MemoryServices(BARS, [model]);
    const result = await backtestingWorkload.run(fakeContext(paramsOf({ model_id: 'model_regression' }), { services }));
    const summary = result.resultSummary as Record<string, unknown>;
    const trades = (result.results as Results).trades;
    expect(summary.output_format).toBe('regression');
    const firstValid = firstValidRow(model, BARS);
    expect(shapes(trades)).toEqual(replayTrades(model, BARS, firstValid, BARS.time.length - 1));
    expect(trades.some((trade) => trade.direction === 'SHORT')).toBe(true);
    expect(trades.some((trade) => trade.direction === 'LONG')).toBe(true);
  });

  it('refuses a model whose labels are not trade signals (regime, context), naming the source', async () => {
    const regime = { ...artifact, model_id: 'model_regime', strategy_yaml: STRATEGY_YAML.replace(/labels: \{[^}]*\}/, 'labels: {source: regime}') };
    expect(regime.strategy_yaml).toContain('source: regime');
    const context = fakeContext(paramsOf({ model_id: 'model_regime' }), { services: new MemoryServices(BARS, [regime]) });
    await expect(backtestingWorkload.run(context)).rejects.toThrow(/training\.labels\.source 'regime' gives TRENDING_UP .* not trade signals/);
  });

  it('resumed from the state of a block ends with the same result as an uninterrupted run', async () => {
    const uninterrupted = await backtest(paramsOf());
    const services = new MemoryServices(BARS, [artifact]);
    const stopped = fakeContext(paramsOf(), {
      services,
      onUnit: (units, controller) => {
        if (units === 1) controller.abort('shutdown');
      },
    });
    const error = await backtestingWorkload.run(stopped).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OperationAborted);
    expect((error as OperationAborted).reason).toBe('shutdown');
    expect(stopped.units.map((unit) => unit.units)).toEqual([1]);

    const resumed = await backtest(paramsOf(), { resumeFrom: { units: 1, state: stopped.units[0]!.state } });
    expect(resumed.summary.resumed_from_bar).toBe(BARS_PER_UNIT);
    const { resumed_from_bar: _a, ...resumedSummary } = resumed.summary;
    const { resumed_from_bar: _b, ...originalSummary } = uninterrupted.summary;
    expect(resumedSummary).toEqual(originalSummary);
    expect(resumed.results).toEqual(uninterrupted.results);
    // It went on from the block it had reached.
    expect(resumed.context.units.map((unit) => unit.units)).toEqual(uninterrupted.context.units.map((unit) => unit.units).slice(1));
  });

  it('a cancel stops it with OperationAborted("cancel") within one block', async () => {
    const stopped = fakeContext(paramsOf(), {
      services: new MemoryServices(BARS, [artifact]),
      onUnit: (_units, controller) => controller.abort('cancel'),
    });
    await expect(backtestingWorkload.run(stopped)).rejects.toMatchObject({ name: 'OperationAborted', reason: 'cancel' });
    expect(stopped.units.map((unit) => unit.units)).toEqual([1]);
  });

  it('trades from start_date on only, with bars before it loaded for the indicator warm-up', async () => {
    const startDate = artifact.periods.test.start;
    const startMs = parseIsoUtc(startDate) as number;
    const { services, summary, results } = await backtest(paramsOf({ start_date: startDate }));
    expect(Date.parse(summary.start as string)).toBe(startMs);
    expect(summary.bars).toBe(BARS.time.filter((time) => time >= startMs).length);
    expect(results.trades.length).toBeGreaterThan(0);
    expect(results.trades.every((trade) => Date.parse(trade.entry_time) > startMs)).toBe(true);
    expect(results.equity_curve.every((point) => Date.parse(point.time) >= startMs)).toBe(true);
    // The bars before it are all loaded for the warm-up, so the features at the start are those of the full series.
    expect(services.barRequests).toEqual([{ symbol: 'EURUSD', timeframe: '1h' }]);
  });

  it('stops at end_date (exclusive)', async () => {
    const endDate = '2023-04-01T00:00:00Z';
    const endMs = Date.parse(endDate);
    const { summary, results } = await backtest(paramsOf({ end_date: endDate }));
    expect(Date.parse(summary.end as string)).toBe(endMs - 3_600_000);
    expect(results.trades.every((trade) => Date.parse(trade.exit_time) < endMs)).toBe(true);
  });

  it('commission and slippage cost money: the same trades with no costs end richer', async () => {
    const costly = await backtest(paramsOf());
    const free = await backtest(paramsOf({ commission: 0, slippage: 0 }));
    expect(free.results.trades.map((t) => t.entry_time)).toEqual(costly.results.trades.map((t) => t.entry_time));
    expect(free.summary.final_equity as number).toBeGreaterThan(costly.summary.final_equity as number);
  });

  it('fails naming the model when it does not exist', async () => {
    const context = fakeContext(paramsOf({ model_id: 'model_nope' }), { services: new MemoryServices(BARS, [artifact]) });
    await expect(backtestingWorkload.run(context)).rejects.toThrow(/model_nope/);
  });
});
