/**
 * The same indicators computed by two npm libraries, laid out like ours (one
 * Float64Array per output, as long as the series, NaN where the library gives
 * nothing) so tests can compare them and the benchmark can time them.
 *
 * Their conventions (technicalindicators 3.1, trading-signals 8.3) against
 * ours, which are the earlier ktrdr's (docs/indicators.md):
 * - Equal from the library's first value: SMA, ROC, WMA, CCI, Williams %R
 *   (ours reads -50 before), MFI, VWAP (cumulative), Donchian, CMF, the A/D
 *   line, momentum, RSI (technicalindicators rounds it to 2 decimals),
 *   trading-signals' EMA (first-price seed = our `adjust: false`), its MACD
 *   line and Keltner middle line, its slow stochastic (ours averages partial
 *   windows before), its RVI line (ours starts 3 bars earlier), OBV
 *   (technicalindicators).
 * - Equal once a different seed has decayed (compared from bar 1000): ADX (the
 *   libraries seed Wilder's smoothing with a mean and start later; ours runs
 *   from bar 0), the MACD signal, technicalindicators' MACD.
 * - Different conventions, not compared: ATR and Keltner/SuperTrend bands
 *   (Wilder ATR there, a simple mean of the true range here), Bollinger's
 *   standard deviation (population there, sample here: the test rescales the
 *   multiplier by sqrt(n / (n - 1)) instead), Aroon (a period + 1 window
 *   there), Parabolic SAR (another first trend), the adjusted EMA.
 * trading-signals reports ROC and the DIs as fractions (scaled here to percent)
 * and counts a +DM/-DM tie for both sides.
 */
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import type { BarSeries } from '../src/market-data/types.js';

export interface PlainBars {
  readonly open: number[];
  readonly high: number[];
  readonly low: number[];
  readonly close: number[];
  readonly volume: number[];
}

export type LibraryParams = Readonly<Record<string, number>>;
export type LibraryIndicator = (bars: PlainBars, params: LibraryParams) => Record<string, Float64Array>;

export function plainBars(bars: BarSeries): PlainBars {
  return {
    open: Array.from(bars.open),
    high: Array.from(bars.high),
    low: Array.from(bars.low),
    close: Array.from(bars.close),
    volume: Array.from(bars.volume),
  };
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

interface Candle {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

const candle = (bars: PlainBars) => (t: number): Candle => ({
  open: bars.open[t]!,
  high: bars.high[t]!,
  low: bars.low[t]!,
  close: bars.close[t]!,
  volume: bars.volume[t]!,
});

/** A streaming single-output trading-signals indicator over the candles. */
function streamCandles(b: PlainBars, indicator: { update(candle: Candle, replace: boolean): unknown; getResultOrThrow(): unknown }) {
  return stream(b.close.length, ['value'], candle(b), (c) => indicator.update(c, false), (t, o) => (o.value![t] = indicator.getResultOrThrow() as number));
}

/** A streaming single-output trading-signals indicator over the closes. */
function streamCloses(b: PlainBars, indicator: { update(price: number, replace: boolean): unknown; getResultOrThrow(): unknown }) {
  return stream(b.close.length, ['value'], (t) => b.close[t]!, (x) => indicator.update(x, false), (t, o) => (o.value![t] = indicator.getResultOrThrow() as number));
}

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
  wma: (b, p) => ({ value: tail(ti.WMA.calculate({ period: num(p, 'period'), values: b.close }), b.close.length, (v) => v) }),
  cci: (b, p) => ({ value: tail(ti.CCI.calculate({ ...b, period: num(p, 'period') }), b.close.length, (v) => v) }),
  williamsr: (b, p) => ({ value: tail(ti.WilliamsR.calculate({ ...b, period: num(p, 'period') }), b.close.length, (v) => v) }),
  obv: (b) => ({ value: tail(ti.OBV.calculate({ close: b.close, volume: b.volume }), b.close.length, (v) => v) }),
  mfi: (b, p) => ({ value: tail(ti.MFI.calculate({ ...b, period: num(p, 'period') }), b.close.length, (v) => v) }),
  adline: (b) => ({ line: tail(ti.ADL.calculate(b), b.close.length, (v) => v) }),
  parabolicsar: (b, p) => ({ value: tail(ti.PSAR.calculate({ high: b.high, low: b.low, step: num(p, 'step_af'), max: num(p, 'max_af') }), b.close.length, (v) => v) }),
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
    const stoch = new ts.StochasticOscillator({ kPeriod: num(p, 'k_period'), kSlowingPeriod: num(p, 'smooth_k'), dPeriod: num(p, 'd_period') });
    return stream(b.close.length, ['k', 'd'], candle(b), (c) => stoch.update(c, false), (t, o) => {
      const r = stoch.getResultOrThrow();
      o.k![t] = r.stochK;
      o.d![t] = r.stochD;
    });
  },
  wma: (b, p) => streamCloses(b, new ts.WMA(num(p, 'period'))),
  momentum: (b, p) => streamCloses(b, new ts.MOM(num(p, 'period'))),
  cci: (b, p) => streamCandles(b, new ts.CCI(num(p, 'period'))),
  williamsr: (b, p) => streamCandles(b, new ts.WilliamsR(num(p, 'period'))),
  mfi: (b, p) => streamCandles(b, new ts.MFI(num(p, 'period'))),
  vwap: (b) => streamCandles(b, new ts.VWAP()),
  adline: (b) => {
    const ad = new ts.AD();
    return stream(b.close.length, ['line'], candle(b), (c) => ad.update(c, false), (t, o) => (o.line![t] = ad.getResultOrThrow()));
  },
  cmf: (b, p) => {
    const cmf = new ts.CMF(num(p, 'period'));
    return stream(b.close.length, ['cmf'], candle(b), (c) => cmf.update(c, false), (t, o) => (o.cmf![t] = cmf.getResultOrThrow()));
  },
  donchianchannels: (b, p) => {
    const channels = new ts.DonchianChannels(num(p, 'period'));
    return stream(b.close.length, ['upper', 'middle', 'lower'], candle(b), (c) => channels.update(c, false), (t, o) => {
      const r = channels.getResultOrThrow();
      o.upper![t] = r.upper;
      o.middle![t] = r.middle;
      o.lower![t] = r.lower;
    });
  },
  aroon: (b, p) => {
    const aroon = new ts.Aroon(num(p, 'period'));
    return stream(b.close.length, ['up', 'down'], candle(b), (c) => aroon.update(c, false), (t, o) => {
      const r = aroon.getResultOrThrow();
      o.up![t] = r.aroonUp;
      o.down![t] = r.aroonDown;
    });
  },
  parabolicsar: (b, p) => streamCandles(b, new ts.PSAR({ accelerationStep: num(p, 'step_af'), accelerationMax: num(p, 'max_af') })),
  keltnerchannels: (b, p) => {
    const channels = new ts.KeltnerChannels({ atrInterval: num(p, 'atr_period'), emaInterval: num(p, 'period'), multiplier: num(p, 'multiplier') });
    return stream(b.close.length, ['upper', 'middle', 'lower'], candle(b), (c) => channels.update(c, false), (t, o) => {
      const r = channels.getResultOrThrow();
      o.upper![t] = r.upper;
      o.middle![t] = r.middle;
      o.lower![t] = r.lower;
    });
  },
  supertrend: (b, p) => {
    const st = new ts.SuperTrend({ interval: num(p, 'period'), multiplier: num(p, 'multiplier') });
    return stream(b.close.length, ['trend'], candle(b), (c) => st.update(c, false), (t, o) => (o.trend![t] = st.getResultOrThrow().supertrend));
  },
  rvi: (b, p) => {
    const rvi = new ts.RelativeVigorIndex(num(p, 'period'));
    return stream(b.close.length, ['rvi', 'signal'], candle(b), (c) => rvi.update(c, false), (t, o) => {
      const r = rvi.getResultOrThrow();
      o.rvi![t] = r.rvgi;
      o.signal![t] = r.signal;
    });
  },
  fishertransform: (b, p) => streamCandles(b, new ts.FisherTransform(num(p, 'period'))),
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
