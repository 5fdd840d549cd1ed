/**
 * Backtest throughput (issue 4): 1,000,000 one-hour bars with 3 indicators (EMA 20, RSI 14, ATR 14)
 * and MLP inference per bar (3 features → [32, 16] relu → 3 classes, predictProba, then the strategy's
 * decision function), replayed through the bar loop of src/backtest (fill at the next open, 25 % whole-unit
 * sizing), beside a bare loop over the same arrays doing the same arithmetic inline (features, inference,
 * decision, cash/position/equity) without the engine: the floor. The
 * difference between the two is what the engine's bookkeeping costs (validation, trade records, the
 * equity curve). Inference dominates both, so the same pair is also timed with the decisions computed
 * beforehand: the account alone, engine against an inline loop.
 */
import { createDecisionFunction, type DecisionFunction } from '../src/backtest/decision.js';
import { BacktestEngine } from '../src/backtest/engine.js';
import type { Decision, Direction } from '../src/backtest/types.js';
import { findIndicator, type IndicatorDefinition } from '../src/indicators/registry.js';
import { generateBars } from '../src/market-data/generate.js';
import type { BarSeries } from '../src/market-data/types.js';
import { Mlp } from '../src/nn/mlp.js';
import { Rng } from '../src/nn/rng.js';
import { median, timeRuns } from './stats.js';

const BARS = 1_000_000;
const RUNS = 5;
const CONFIDENCE_THRESHOLD = 0.4;
const COMMISSION = 0.001;
const SLIPPAGE = 0.0005;
const INITIAL_CAPITAL = 100_000;
const POSITION_SIZE = 0.25;
/** Both sides traded, every signal acted on at once, so the engine's bookkeeping is exercised on many trades. */
const DECIDE: DecisionFunction = createDecisionFunction({
  output_format: 'classification',
  confidence_threshold: CONFIDENCE_THRESHOLD,
  position_awareness: true,
  allow_short_from_flat: true,
  min_signal_separation: 0,
  round_trip_cost: 0.003,
  min_edge_multiplier: 1.5,
});
const decideSignal = (p: Float64Array, position: Direction | null, time: number) => DECIDE(p, { position, time, lastTradeTime: null }).signal;

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

const engineOptions = { initialCapital: INITIAL_CAPITAL, commission: COMMISSION, slippage: SLIPPAGE, positionSize: POSITION_SIZE };
const barOf = (bars: BarSeries, t: number) => ({ index: t, time: bars.time[t] as number, open: bars.open[t] as number, close: bars.close[t] as number });

function engineReplay(bars: BarSeries, indicators: Indicators, scaling: Scaling, model: Mlp): BacktestEngine {
  const engine = new BacktestEngine(engineOptions);
  const row = new Float64Array(3);
  const probabilities = new Float64Array(3);
  const last = bars.close.length - 1;
  for (let t = indicators.firstValid; t < last; t++) {
    fillFeatures(row, bars.close[t] as number, indicators, t, scaling);
    const p = model.predictProba(row, 0, probabilities);
    engine.onBar(barOf(bars, t), (state) => DECIDE(p, state).signal);
  }
  engine.finish(barOf(bars, last));
  return engine;
}

/** The engine's rules written inline: pending order filled at the next open, 25 % whole-unit sizing, both sides alike. */
class BareAccount {
  cash = INITIAL_CAPITAL;
  direction: Direction | null = null;
  units = 0;
  entry = 0;

  fill(signal: Decision | null, open: number): void {
    if (signal === null || signal === 'HOLD') return;
    if (this.direction !== null) {
      if ((signal === 'BUY') === (this.direction === 'LONG')) return;
      const long = this.direction === 'LONG';
      const exit = long ? open * (1 - SLIPPAGE) : open * (1 + SLIPPAGE);
      const gross = long ? (exit - this.entry) * this.units : (this.entry - exit) * this.units;
      this.cash += this.entry * this.units + gross - exit * this.units * COMMISSION;
      this.direction = null;
      return;
    }
    let units = Math.floor((POSITION_SIZE * this.cash) / (1 + COMMISSION) / open);
    if (!(units > 0)) return;
    const long = signal === 'BUY';
    const fill = long ? open * (1 + SLIPPAGE) : open * (1 - SLIPPAGE);
    if (fill * units * (1 + COMMISSION) > this.cash) units = Math.floor(this.cash / (1 + COMMISSION) / fill);
    if (!(units > 0)) return;
    this.cash -= fill * units + fill * units * COMMISSION;
    this.direction = long ? 'LONG' : 'SHORT';
    this.units = units;
    this.entry = fill;
  }

  equity(close: number): number {
    if (this.direction === null) return this.cash;
    const unrealised = this.direction === 'LONG' ? (close - this.entry) * this.units : (this.entry - close) * this.units;
    return this.cash + this.entry * this.units + unrealised;
  }

  forceClose(close: number): number {
    if (this.direction !== null) this.fill(this.direction === 'LONG' ? 'SELL' : 'BUY', close);
    return this.cash;
  }
}

/** The floor: the engine's arithmetic inline over the arrays, equity per bar into a preallocated array. */
function bareLoop(bars: BarSeries, indicators: Indicators, scaling: Scaling, model: Mlp, equity: Float64Array): number {
  const row = new Float64Array(3);
  const probabilities = new Float64Array(3);
  const { open, close, time } = bars;
  const last = close.length - 1;
  const account = new BareAccount();
  let pending: Decision | null = null;
  let n = 0;
  for (let t = indicators.firstValid; t < last; t++) {
    account.fill(pending, open[t] as number);
    fillFeatures(row, close[t] as number, indicators, t, scaling);
    pending = decideSignal(model.predictProba(row, 0, probabilities), account.direction, time[t] as number);
    equity[n++] = account.equity(close[t] as number);
  }
  account.fill(pending, open[last] as number);
  equity[n] = account.forceClose(close[last] as number);
  return account.cash;
}

/** Bookkeeping alone: the model's outputs are computed beforehand, so only decisions and the account are timed. */
function engineOnly(bars: BarSeries, firstValid: number, outputs: readonly Float64Array[]): BacktestEngine {
  const engine = new BacktestEngine(engineOptions);
  const last = bars.close.length - 1;
  for (let t = firstValid; t < last; t++) {
    const p = outputs[t - firstValid] as Float64Array;
    engine.onBar(barOf(bars, t), (state) => DECIDE(p, state).signal);
  }
  engine.finish(barOf(bars, last));
  return engine;
}

function accountOnly(bars: BarSeries, firstValid: number, outputs: readonly Float64Array[], equity: Float64Array): number {
  const { open, close, time } = bars;
  const last = close.length - 1;
  const account = new BareAccount();
  let pending: Decision | null = null;
  let n = 0;
  for (let t = firstValid; t < last; t++) {
    account.fill(pending, open[t] as number);
    pending = decideSignal(outputs[t - firstValid] as Float64Array, account.direction, time[t] as number);
    equity[n++] = account.equity(close[t] as number);
  }
  account.fill(pending, open[last] as number);
  equity[n] = account.forceClose(close[last] as number);
  return account.cash;
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
  const decisions: Float64Array[] = [];
  for (let t = indicators.firstValid; t < BARS; t++) {
    fillFeatures(row3, bars.close[t] as number, indicators, t, scaling);
    decisions.push(Float64Array.from(model.predictProba(row3)));
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
  row('engine replay (features, MLP, decisions, onBar)', engineMs, replayed);
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
