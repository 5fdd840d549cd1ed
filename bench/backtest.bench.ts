/**
 * Backtest throughput (issue 4): 1,000,000 one-hour bars with 3 indicators (EMA 20, RSI 14, ATR 14)
 * and MLP inference per bar (3 features → [32, 16] relu → 3 classes, predictProba, then decide),
 * replayed through BacktestEngine, beside a bare loop over the same arrays doing the same arithmetic
 * inline (features, inference, decision, cash/units/equity) without the engine: the floor. The
 * difference between the two is what the engine's bookkeeping costs (validation, trade records, the
 * equity curve). Inference dominates both, so the same pair is also timed with the decisions computed
 * beforehand: the account alone, engine against an inline loop.
 */
import { decide } from '../src/backtest/decide.js';
import { BacktestEngine } from '../src/backtest/engine.js';
import type { Decision } from '../src/backtest/types.js';
import { findIndicator, type IndicatorDefinition } from '../src/indicators/registry.js';
import { generateBars } from '../src/market-data/generate.js';
import type { BarSeries } from '../src/market-data/types.js';
import { Mlp } from '../src/nn/mlp.js';
import { Rng } from '../src/nn/rng.js';
import { median, timeRuns } from './stats.js';

const BARS = 1_000_000;
const RUNS = 5;
const BARS_PER_YEAR = 24 * 365;
const CONFIDENCE_THRESHOLD = 0.4;
const COMMISSION = 0.001;
const SLIPPAGE = 0.0005;
const INITIAL_CAPITAL = 100_000;

interface Indicators {
  readonly ema: Float64Array;
  readonly rsi: Float64Array;
  readonly atr: Float64Array;
  readonly firstValid: number;
}

/** Per feature: mean and standard deviation over the series, so the untrained model sees unit-scale inputs. */
interface Scaling {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

function indicator(type: string): IndicatorDefinition {
  const definition = findIndicator(type);
  if (definition === undefined) throw new Error(`backtest bench: indicator '${type}' is not in the registry`);
  return definition;
}

function computeIndicators(bars: BarSeries): Indicators {
  const [ema, rsi, atr] = [indicator('ema'), indicator('rsi'), indicator('atr')];
  const emaParams = { period: 20 };
  const rsiParams = { period: 14 };
  const atrParams = { period: 14 };
  return {
    ema: ema.compute(bars, emaParams).value as Float64Array,
    rsi: rsi.compute(bars, rsiParams).value as Float64Array,
    atr: atr.compute(bars, atrParams).value as Float64Array,
    firstValid: Math.max(ema.warmup(emaParams), rsi.warmup(rsiParams), atr.warmup(atrParams)),
  };
}

/** The same three features in both loops: distance from the EMA, RSI, ATR as a share of price; standardised. */
function fillFeatures(row: Float64Array, close: number, indicators: Indicators, t: number, scaling: Scaling): void {
  row[0] = (close / (indicators.ema[t] as number) - 1 - (scaling.mean[0] as number)) / (scaling.std[0] as number);
  row[1] = ((indicators.rsi[t] as number) - (scaling.mean[1] as number)) / (scaling.std[1] as number);
  row[2] = ((indicators.atr[t] as number) / close - (scaling.mean[2] as number)) / (scaling.std[2] as number);
}

function featureScaling(bars: BarSeries, indicators: Indicators): Scaling {
  const identity: Scaling = { mean: new Float64Array(3), std: new Float64Array(3).fill(1) };
  const sum = new Float64Array(3);
  const squares = new Float64Array(3);
  const row = new Float64Array(3);
  const n = bars.close.length - indicators.firstValid;
  for (let t = indicators.firstValid; t < bars.close.length; t++) {
    fillFeatures(row, bars.close[t] as number, indicators, t, identity);
    for (let j = 0; j < 3; j++) {
      sum[j] = (sum[j] as number) + (row[j] as number);
      squares[j] = (squares[j] as number) + (row[j] as number) ** 2;
    }
  }
  const mean = sum.map((value) => value / n);
  const std = squares.map((value, j) => Math.sqrt(Math.max(value / n - (mean[j] as number) ** 2, 1e-24)));
  return { mean, std };
}

function engineReplay(bars: BarSeries, indicators: Indicators, scaling: Scaling, model: Mlp): BacktestEngine {
  const engine = new BacktestEngine({
    initialCapital: INITIAL_CAPITAL,
    commission: COMMISSION,
    slippage: SLIPPAGE,
    barsPerYear: BARS_PER_YEAR,
  });
  const row = new Float64Array(3);
  const probabilities = new Float64Array(3);
  const { time, close } = bars;
  const last = close.length - 1;
  for (let t = indicators.firstValid; t <= last; t++) {
    const price = close[t] as number;
    fillFeatures(row, price, indicators, t, scaling);
    engine.onBar(t, time[t] as number, price, decide(model.predictProba(row, 0, probabilities), CONFIDENCE_THRESHOLD));
  }
  engine.finish(last, time[last] as number, close[last] as number);
  return engine;
}

/** The floor: the engine's arithmetic written inline over the arrays, equity per bar into a preallocated array. */
function bareLoop(bars: BarSeries, indicators: Indicators, scaling: Scaling, model: Mlp, equity: Float64Array): number {
  const row = new Float64Array(3);
  const probabilities = new Float64Array(3);
  const { close } = bars;
  const last = close.length - 1;
  let cash = INITIAL_CAPITAL;
  let units = 0; // signed: > 0 long, < 0 short
  let n = 0;
  for (let t = indicators.firstValid; t <= last; t++) {
    const price = close[t] as number;
    fillFeatures(row, price, indicators, t, scaling);
    const decision: Decision = decide(model.predictProba(row, 0, probabilities), CONFIDENCE_THRESHOLD);
    const target = decision === 'BUY' ? 1 : decision === 'SELL' ? -1 : Math.sign(units);
    if (units !== 0 && target !== Math.sign(units)) {
      if (units > 0) cash += units * price * (1 - SLIPPAGE) * (1 - COMMISSION);
      else cash += units * price * (1 + SLIPPAGE) * (1 + COMMISSION);
      units = 0;
    }
    if (target !== 0 && units === 0 && cash > 0) {
      const fill = target > 0 ? price * (1 + SLIPPAGE) : price * (1 - SLIPPAGE);
      const size = cash / (fill * (1 + COMMISSION));
      cash += target > 0 ? -size * fill * (1 + COMMISSION) : size * fill * (1 - COMMISSION);
      units = target * size;
    }
    equity[n++] = cash + units * price;
  }
  const price = close[last] as number;
  if (units > 0) cash += units * price * (1 - SLIPPAGE) * (1 - COMMISSION);
  else if (units < 0) cash += units * price * (1 + SLIPPAGE) * (1 + COMMISSION);
  equity[n - 1] = cash;
  return cash;
}

/** Bookkeeping alone: the decisions are computed beforehand, so only the account is timed. */
function engineOnly(bars: BarSeries, firstValid: number, decisions: readonly Decision[]): BacktestEngine {
  const engine = new BacktestEngine({ initialCapital: INITIAL_CAPITAL, commission: COMMISSION, slippage: SLIPPAGE, barsPerYear: BARS_PER_YEAR });
  const { time, close } = bars;
  const last = close.length - 1;
  for (let t = firstValid; t <= last; t++) engine.onBar(t, time[t] as number, close[t] as number, decisions[t - firstValid] as Decision);
  engine.finish(last, time[last] as number, close[last] as number);
  return engine;
}

function accountOnly(bars: BarSeries, firstValid: number, decisions: readonly Decision[], equity: Float64Array): number {
  const { close } = bars;
  const last = close.length - 1;
  let cash = INITIAL_CAPITAL;
  let units = 0;
  let n = 0;
  for (let t = firstValid; t <= last; t++) {
    const price = close[t] as number;
    const decision = decisions[t - firstValid];
    const target = decision === 'BUY' ? 1 : decision === 'SELL' ? -1 : Math.sign(units);
    if (units !== 0 && target !== Math.sign(units)) {
      if (units > 0) cash += units * price * (1 - SLIPPAGE) * (1 - COMMISSION);
      else cash += units * price * (1 + SLIPPAGE) * (1 + COMMISSION);
      units = 0;
    }
    if (target !== 0 && units === 0 && cash > 0) {
      const fill = target > 0 ? price * (1 + SLIPPAGE) : price * (1 - SLIPPAGE);
      const size = cash / (fill * (1 + COMMISSION));
      cash += target > 0 ? -size * fill * (1 + COMMISSION) : size * fill * (1 - COMMISSION);
      units = target * size;
    }
    equity[n++] = cash + units * price;
  }
  const price = close[last] as number;
  if (units > 0) cash += units * price * (1 - SLIPPAGE) * (1 - COMMISSION);
  else if (units < 0) cash += units * price * (1 + SLIPPAGE) * (1 + COMMISSION);
  equity[n - 1] = cash;
  return cash;
}

const perSecond = (bars: number, ms: number): string =>
  `${((bars / ms) * 1000).toLocaleString('en-US', { maximumFractionDigits: 0 })} bars/s`;

const elapsedMs = (fn: () => void): number => {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

export async function backtestBench(): Promise<void> {
  const bars = generateBars({ symbol: 'BENCH', timeframe: '1h', bars: BARS, seed: 7 });
  const model = Mlp.create({ input_size: 3, hidden_layers: [32, 16], output_size: 3, activation: 'relu', dropout: 0 }, new Rng(42));

  const indicatorTimes = timeRuns(() => computeIndicators(bars), RUNS, 1);
  const indicators = computeIndicators(bars);
  const scaling = featureScaling(bars, indicators);
  const replayed = BARS - indicators.firstValid;
  const equity = new Float64Array(replayed);

  // Engine and floor runs alternate (after one warm-up each) so that drift on a shared machine hits both alike.
  let engine = engineReplay(bars, indicators, scaling, model);
  let floorFinal = bareLoop(bars, indicators, scaling, model, equity);
  const engineTimes: number[] = [];
  const floorTimes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    engineTimes.push(elapsedMs(() => (engine = engineReplay(bars, indicators, scaling, model))));
    floorTimes.push(elapsedMs(() => (floorFinal = bareLoop(bars, indicators, scaling, model, equity))));
  }

  // The same decisions, precomputed, for the account alone (more runs: these are short).
  const row3 = new Float64Array(3);
  const decisions: Decision[] = [];
  for (let t = indicators.firstValid; t < BARS; t++) {
    fillFeatures(row3, bars.close[t] as number, indicators, t, scaling);
    decisions.push(decide(model.predictProba(row3), CONFIDENCE_THRESHOLD));
  }
  const accountRuns = RUNS * 4;
  engineOnly(bars, indicators.firstValid, decisions);
  accountOnly(bars, indicators.firstValid, decisions, equity);
  const engineOnlyTimes: number[] = [];
  const accountOnlyTimes: number[] = [];
  for (let run = 0; run < accountRuns; run++) {
    engineOnlyTimes.push(elapsedMs(() => engineOnly(bars, indicators.firstValid, decisions)));
    accountOnlyTimes.push(elapsedMs(() => accountOnly(bars, indicators.firstValid, decisions, equity)));
  }

  const result = engine.result(1000);
  const indicatorsMs = median(indicatorTimes);
  const engineMs = median(engineTimes);
  const floorMs = median(floorTimes);
  const row = (label: string, ms: number, count: number) => console.log(`  ${label.padEnd(46)} ${ms.toFixed(1).padStart(8)} ms  ${perSecond(count, ms)}`);
  console.log(`backtest: ${BARS.toLocaleString('en-US')} 1h bars, EMA 20 + RSI 14 + ATR 14, MLP 3→32→16→3 per bar (median of ${RUNS})`);
  row('indicators (3, whole series)', indicatorsMs, BARS);
  row('engine replay (features, MLP, decide, onBar)', engineMs, replayed);
  row('bare loop, same arithmetic (the floor)', floorMs, replayed);
  row('end to end (indicators + engine replay)', indicatorsMs + engineMs, BARS);
  const overhead = (label: string, a: number, b: number) => {
    const ns = ((a - b) / replayed) * 1e6;
    console.log(`  ${label.padEnd(46)} ${ns >= 0 ? '+' : ''}${ns.toFixed(0)} ns per bar (${((a / b - 1) * 100).toFixed(0)} %)`);
  };
  overhead('engine over the floor, with inference', engineMs, floorMs);
  const engineOnlyMs = median(engineOnlyTimes);
  const accountOnlyMs = median(accountOnlyTimes);
  console.log(`  decisions precomputed, account only (median of ${accountRuns}):`);
  row('engine (onBar + finish)', engineOnlyMs, replayed);
  row('bare account loop (the floor)', accountOnlyMs, replayed);
  overhead('engine over the floor, account only', engineOnlyMs, accountOnlyMs);
  const agree = Math.abs(result.final_equity - floorFinal) <= 1e-6 * Math.abs(floorFinal);
  console.log(
    `  ${result.metrics.total_trades} trades; final equity engine ${result.final_equity.toFixed(2)}, floor ${floorFinal.toFixed(2)} (${agree ? 'agree' : 'DIFFER'})`,
  );
}
