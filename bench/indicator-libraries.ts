/**
 * The same indicators computed by two npm libraries, laid out like ours (one
 * Float64Array per output, as long as the series, NaN where the library gives
 * nothing) so tests can compare them and the benchmark can time them.
 *
 * Their conventions, read from their sources (technicalindicators 3.1,
 * trading-signals 8.3), and how they compare with ours:
 * - technicalindicators: EMA, RSI, ATR, ADX seeded exactly as ours (SMA seed,
 *   Wilder smoothing, TR from bar 1, ADX from 2n-1): equal from our first value.
 *   RSI is rounded to 2 decimals. MACD with SimpleMAOscillator/SimpleMASignal
 *   false uses SMA-seeded EMAs like ours; its line starts before the signal,
 *   ours waits for the signal. Bollinger: population SD, like ours.
 * - trading-signals: EMA seeded with the first price (so MACD too), ATR and ADX
 *   include bar 0's TR = high - low in their Wilder seed, ROC is a fraction
 *   (ours is percent), +DI/-DI are fractions (ours 0..100), and a +DM/-DM tie
 *   counts for both. Seeds decay geometrically, so values agree once enough
 *   bars have passed; the tests compare from bar 1000 (a 14-bar Wilder seed's
 *   weight there is (13/14)^986 ~ 1e-32).
 */
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import type { BarSeries } from '../src/market-data/types.js';

export interface PlainBars {
  readonly high: number[];
  readonly low: number[];
  readonly close: number[];
}

export type LibraryParams = Readonly<Record<string, number>>;
export type LibraryIndicator = (bars: PlainBars, params: LibraryParams) => Record<string, Float64Array>;

export function plainBars(bars: BarSeries): PlainBars {
  return { high: Array.from(bars.high), low: Array.from(bars.low), close: Array.from(bars.close) };
}

const num = (params: LibraryParams, name: string): number => {
  const value = params[name];
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
};

/** Right-aligns a library's results (they start at its first defined bar) in an n-long, NaN-padded array. */
function tail<T>(results: readonly T[], n: number, pick: (result: T) => number | undefined): Float64Array {
  const out = new Float64Array(n).fill(Number.NaN);
  const offset = n - results.length;
  results.forEach((result, i) => {
    const value = pick(result);
    if (value !== undefined) out[offset + i] = value;
  });
  return out;
}

/** Feeds every bar to a streaming trading-signals indicator and records what `record` reads after each. */
function stream<I>(n: number, outputs: readonly string[], input: (t: number) => I, update: (item: I) => unknown, record: (t: number, out: Record<string, Float64Array>) => void) {
  const out: Record<string, Float64Array> = {};
  for (const name of outputs) out[name] = new Float64Array(n).fill(Number.NaN);
  for (let t = 0; t < n; t++) {
    if (update(input(t)) !== null) record(t, out);
  }
  return out;
}

const candle = (bars: PlainBars) => (t: number) => ({ high: bars.high[t]!, low: bars.low[t]!, close: bars.close[t]! });

export const TECHNICAL_INDICATORS: Readonly<Record<string, LibraryIndicator>> = {
  sma: (b, p) => ({ value: tail(ti.SMA.calculate({ period: num(p, 'period'), values: b.close }), b.close.length, (v) => v) }),
  ema: (b, p) => ({ value: tail(ti.EMA.calculate({ period: num(p, 'period'), values: b.close }), b.close.length, (v) => v) }),
  rsi: (b, p) => ({ value: tail(ti.RSI.calculate({ period: num(p, 'period'), values: b.close }), b.close.length, (v) => v) }),
  roc: (b, p) => ({ value: tail(ti.ROC.calculate({ period: num(p, 'period'), values: b.close }), b.close.length, (v) => v) }),
  atr: (b, p) => ({ value: tail(ti.ATR.calculate({ ...b, period: num(p, 'period') }), b.close.length, (v) => v) }),
  macd: (b, p) => {
    const results = ti.MACD.calculate({
      values: b.close,
      fastPeriod: num(p, 'fast_period'),
      slowPeriod: num(p, 'slow_period'),
      signalPeriod: num(p, 'signal_period'),
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    });
    const n = b.close.length;
    return {
      line: tail(results, n, (r) => r.MACD),
      signal: tail(results, n, (r) => r.signal),
      histogram: tail(results, n, (r) => r.histogram),
    };
  },
  adx: (b, p) => {
    const results = ti.ADX.calculate({ ...b, period: num(p, 'period') });
    const n = b.close.length;
    return { adx: tail(results, n, (r) => r.adx), plus_di: tail(results, n, (r) => r.pdi), minus_di: tail(results, n, (r) => r.mdi) };
  },
  bbands: (b, p) => {
    const results = ti.BollingerBands.calculate({ period: num(p, 'period'), stdDev: num(p, 'multiplier'), values: b.close });
    const n = b.close.length;
    return {
      upper: tail(results, n, (r) => r.upper),
      middle: tail(results, n, (r) => r.middle),
      lower: tail(results, n, (r) => r.lower),
      width: tail(results, n, (r) => (r.upper - r.lower) / r.middle),
    };
  },
  stochastic: (b, p) => {
    const results = ti.Stochastic.calculate({ ...b, period: num(p, 'k_period'), signalPeriod: num(p, 'd_period') });
    const n = b.close.length;
    return { k: tail(results, n, (r) => r.k), d: tail(results, n, (r) => r.d) };
  },
};

export const TRADING_SIGNALS: Readonly<Record<string, LibraryIndicator>> = {
  sma: (b, p) => {
    const sma = new ts.SMA(num(p, 'period'));
    return stream(b.close.length, ['value'], (t) => b.close[t]!, (x) => sma.update(x, false), (t, o) => (o.value![t] = sma.getResultOrThrow()));
  },
  ema: (b, p) => {
    const ema = new ts.EMA(num(p, 'period'));
    // EMA.update returns a value from the first price on; isStable says when the library itself considers it ready.
    const update = (x: number) => {
      ema.update(x, false);
      return ema.isStable ? true : null;
    };
    return stream(b.close.length, ['value'], (t) => b.close[t]!, update, (t, o) => (o.value![t] = ema.getResultOrThrow()));
  },
  rsi: (b, p) => {
    const rsi = new ts.RSI(num(p, 'period'));
    return stream(b.close.length, ['value'], (t) => b.close[t]!, (x) => rsi.update(x, false), (t, o) => (o.value![t] = rsi.getResultOrThrow()));
  },
  roc: (b, p) => {
    const roc = new ts.ROC(num(p, 'period'));
    return stream(b.close.length, ['value'], (t) => b.close[t]!, (x) => roc.update(x, false), (t, o) => (o.value![t] = 100 * roc.getResultOrThrow()));
  },
  atr: (b, p) => {
    const atr = new ts.ATR(num(p, 'period'));
    return stream(b.close.length, ['value'], candle(b), (c) => atr.update(c, false), (t, o) => (o.value![t] = atr.getResultOrThrow()));
  },
  macd: (b, p) => {
    const macd = new ts.MACD(new ts.EMA(num(p, 'fast_period')), new ts.EMA(num(p, 'slow_period')), new ts.EMA(num(p, 'signal_period')));
    return stream(b.close.length, ['line', 'signal', 'histogram'], (t) => b.close[t]!, (x) => macd.update(x, false), (t, o) => {
      const r = macd.getResultOrThrow();
      o.line![t] = r.macd;
      o.signal![t] = r.signal;
      o.histogram![t] = r.histogram;
    });
  },
  adx: (b, p) => {
    const adx = new ts.ADX(num(p, 'period'));
    return stream(b.close.length, ['adx', 'plus_di', 'minus_di'], candle(b), (c) => adx.update(c, false), (t, o) => {
      o.adx![t] = adx.getResultOrThrow();
      o.plus_di![t] = 100 * (adx.pdi as number);
      o.minus_di![t] = 100 * (adx.mdi as number);
    });
  },
  bbands: (b, p) => {
    const bands = new ts.BollingerBands(num(p, 'period'), num(p, 'multiplier'));
    return stream(b.close.length, ['upper', 'middle', 'lower', 'width'], (t) => b.close[t]!, (x) => bands.update(x, false), (t, o) => {
      const r = bands.getResultOrThrow();
      o.upper![t] = r.upper;
      o.middle![t] = r.middle;
      o.lower![t] = r.lower;
      o.width![t] = (r.upper - r.lower) / r.middle;
    });
  },
  stochastic: (b, p) => {
    const stoch = new ts.StochasticOscillator({ kPeriod: num(p, 'k_period'), kSlowingPeriod: 1, dPeriod: num(p, 'd_period') });
    return stream(b.close.length, ['k', 'd'], candle(b), (c) => stoch.update(c, false), (t, o) => {
      const r = stoch.getResultOrThrow();
      o.k![t] = r.stochK;
      o.d![t] = r.stochD;
    });
  },
};

/**
 * The largest difference between two series over [from, to), relative to
 * max(1, |expected|) so that it reads as absolute for small values and relative
 * for large ones; throws when one is NaN where the other is not.
 */
export function maxDifference(actual: ArrayLike<number>, expected: ArrayLike<number>, from = 0, to = expected.length): number {
  let worst = 0;
  for (let i = from; i < to; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Number.isNaN(a) || Number.isNaN(e)) {
      if (Number.isNaN(a) && Number.isNaN(e)) continue;
      throw new Error(`index ${i}: ${a} vs ${e}`);
    }
    worst = Math.max(worst, Math.abs(a - e) / Math.max(1, Math.abs(e)));
  }
  return worst;
}
