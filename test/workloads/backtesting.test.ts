import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/api/contract.js';
import type { Trade } from '../../src/backtest/types.js';
import { parseIsoUtc } from '../../src/market-data/dates.js';
import { Mlp } from '../../src/nn/mlp.js';
import { buildFeaturesFromSpec, parseFeatureSpec } from '../../src/strategy/features.js';
import { OperationAborted } from '../../src/workloads/abort.js';
import { BARS_PER_UNIT, backtestingWorkload } from '../../src/workloads/backtesting/backtesting.js';
import { BacktestingParams } from '../../src/workloads/backtesting/params.js';
import { TrainingParams } from '../../src/workloads/training/params.js';
import { trainingWorkload } from '../../src/workloads/training/training.js';
import type { WorkloadResult } from '../../src/workloads/types.js';
import { BARS, fakeContext, MemoryServices, STRATEGY_YAML, type FakeContextOptions } from './support/fake-context.js';

interface Results {
  readonly trades: Trade[];
  readonly equity_curve: { time: number; equity: number }[];
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
  return { context, services, result, summary: result.resultSummary as Record<string, number | string | null>, results: result.results as Results };
}

/** The model's decision per bar, computed here without the workload: argmax above the threshold, else HOLD. */
function independentDecisions(): { firstValid: number; decisions: ('BUY' | 'HOLD' | 'SELL')[] } {
  const features = buildFeaturesFromSpec(parseFeatureSpec(artifact.feature_spec), BARS);
  const model = Mlp.fromJSON(artifact.network);
  const decisions = Array.from({ length: BARS.time.length }, (_, row) => {
    if (row < features.firstValidRow) return 'HOLD' as const;
    const p = Array.from(model.predictProba(features.data.subarray(row * features.cols, (row + 1) * features.cols)));
    const best = Math.max(...p);
    const winners = p.filter((value) => value === best).length;
    if (best < artifact.confidence_threshold || winners > 1) return 'HOLD' as const;
    return (['BUY', 'HOLD', 'SELL'] as const)[p.indexOf(best)]!;
  });
  return { firstValid: features.firstValidRow, decisions };
}

describe('backtesting workload', () => {
  it('replays the model over every usable bar with "Bar i/N" progress and the result metrics', async () => {
    const { context, summary, results } = await backtest(paramsOf());
    const total = summary.bars as number;
    const { firstValid, decisions } = independentDecisions();
    expect(total).toBe(BARS.time.length - firstValid);
    expect(summary.start).toBe(new Date(BARS.time[firstValid]!).toISOString());

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

    for (const key of ['total_return', 'annualized_return', 'sharpe_ratio', 'max_drawdown', 'win_rate', 'total_trades'] as const) {
      expect(Number.isFinite(summary[key]), key).toBe(true);
    }
    expect('profit_factor' in summary).toBe(true);
    expect(summary).toMatchObject({ model_id: artifact.model_id, symbol: 'EURUSD', timeframe: '1h', initial_capital: 100_000, resumed_from_bar: null });

    // The figures agree with the trades and the equity curve they summarise.
    const { trades, equity_curve: curve } = results;
    expect(trades.length).toBe(summary.total_trades);
    expect(trades.length).toBeGreaterThan(0); // else nothing below is checked
    expect(summary.final_equity).toBeCloseTo(100_000 + trades.reduce((sum, trade) => sum + trade.pnl, 0), 6);
    expect(summary.total_return).toBeCloseTo((summary.final_equity as number) / 100_000 - 1, 12);
    expect(curve.at(-1)?.equity).toBeCloseTo(summary.final_equity as number, 6);
    expect(summary.win_rate).toBeCloseTo(trades.filter((trade) => trade.pnl > 0).length / trades.length, 12);
    const gains = trades.filter((t) => t.pnl > 0).reduce((s, t) => s + t.pnl, 0);
    const losses = -trades.filter((t) => t.pnl < 0).reduce((s, t) => s + t.pnl, 0);
    if (losses > 0) expect(summary.profit_factor).toBeCloseTo(gains / losses, 9);
    let peak = -Infinity;
    let drawdown = 0;
    for (const point of curve) {
      peak = Math.max(peak, point.equity);
      drawdown = Math.max(drawdown, (peak - point.equity) / peak);
    }
    // The curve may be thinned, so its drawdown is at most the one over every bar.
    expect(drawdown).toBeLessThanOrEqual((summary.max_drawdown as number) + 1e-12);

    // The first trade opens at the first bar where the model (evaluated here) leaves HOLD, at that bar's close plus or minus slippage.
    const firstSignal = decisions.findIndex((decision, row) => row >= firstValid && decision !== 'HOLD');
    const first = trades[0]!;
    expect(first.entry_time).toBe(BARS.time[firstSignal]);
    expect(first.direction).toBe(decisions[firstSignal] === 'BUY' ? 'LONG' : 'SHORT');
    const close = BARS.close[firstSignal]!;
    expect(first.entry_price).toBeCloseTo(first.direction === 'LONG' ? close * 1.0005 : close * 0.9995, 10);
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
    expect(results.trades.every((trade) => trade.entry_time >= startMs)).toBe(true);
    expect(results.equity_curve.every((point) => point.time >= startMs)).toBe(true);
    // The bars before it are all loaded for the warm-up, so the features at the start are those of the full series.
    expect(services.barRequests).toEqual([{ symbol: 'EURUSD', timeframe: '1h' }]);
  });

  it('stops at end_date (exclusive)', async () => {
    const endDate = '2023-04-01T00:00:00Z';
    const endMs = Date.parse(endDate);
    const { summary, results } = await backtest(paramsOf({ end_date: endDate }));
    expect(Date.parse(summary.end as string)).toBe(endMs - 3_600_000);
    expect(results.trades.every((trade) => trade.exit_time < endMs)).toBe(true);
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
