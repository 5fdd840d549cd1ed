/**
 * The first values of the indicators on an 8-bar series, worked out by hand
 * from the earlier ktrdr's formulas (STRATEGY-V3 section 3.2). The arithmetic
 * is written out as fractions so it can be checked on paper.
 *
 *   t       0    1    2    3    4    5    6    7
 *   open    9   10   12   11   11   13   13   13
 *   high   10   12   12   11   14   15   13   16
 *   low     8    9   10    9   11   12   11   13
 *   close   9   11   11   10   13   14   12   15
 *   volume 100 200  100  300  200  100  400  100
 *
 * True range (bar 0 = high - low): 2, 3, 2, 2, 4, 3, 3, 4.
 * Typical price (H + L + C) / 3: 9, 32/3, 11, 10, 38/3, ...
 */
import { describe, expect, it } from 'vitest';
import { findIndicator } from '../../src/indicators/registry.js';
import type { RawIndicatorParams } from '../../src/indicators/types.js';
import { barsFrom } from './series.js';

const bars = barsFrom({
  high: [10, 12, 12, 11, 14, 15, 13, 16],
  low: [8, 9, 10, 9, 11, 12, 11, 13],
  close: [9, 11, 11, 10, 13, 14, 12, 15],
  open: [9, 10, 12, 11, 11, 13, 13, 13],
  volume: [100, 200, 100, 300, 200, 100, 400, 100],
});
const NaN_ = Number.NaN;

function compute(type: string, params: RawIndicatorParams): Record<string, Float64Array> {
  const definition = findIndicator(type);
  if (!definition) throw new Error(`no indicator ${type}`);
  return definition.compute(bars, params);
}

/** Compares element by element; NaN must match NaN. */
function expectSeries(actual: Float64Array | undefined, expected: number[]): void {
  expect(actual).toBeDefined();
  expect(actual!.length).toBe(expected.length);
  expected.forEach((value, i) => {
    if (Number.isNaN(value)) expect(actual![i], `index ${i}`).toBeNaN();
    else expect(actual![i], `index ${i}`).toBeCloseTo(value, 10);
  });
}

describe('momentum family by hand', () => {
  it('rsi(3): seeded with the mean of the first 3 changes, then (avg * 2 + x) / 3', () => {
    // changes t=1..7: +2, 0, -1, +3, +1, -2, +3
    // t=3: gain 2/3, loss 1/3 -> 100 - 100 / (1 + 2) = 200/3
    // t=4: gain (4/3 + 3)/3 = 13/9, loss (2/3)/3 = 2/9 -> 100 - 100/(1 + 13/2) = 260/3
    // t=5: gain (26/9 + 1)/3 = 35/27, loss 4/27 -> 3500/39; t=6: gain 70/81, loss (8/27 + 2)/3 = 62/81 -> 7000/132
    // t=7: gain (140/81 + 3)/3 = 383/243, loss 124/243 -> 38300/507
    expectSeries(compute('rsi', { period: 3 }).value, [NaN_, NaN_, NaN_, 200 / 3, 260 / 3, 3500 / 39, 7000 / 132, 38300 / 507]);
  });

  it('roc(2) in percent and momentum(2) in price', () => {
    expectSeries(compute('roc', { period: 2 }).value, [NaN_, NaN_, 200 / 9, -100 / 11, 200 / 11, 40, -100 / 13, 100 / 14]);
    expectSeries(compute('momentum', { period: 2 }).value, [NaN_, NaN_, 2, -1, 2, 4, -1, 1]);
  });

  it('cci(3): deviations from the current window mean', () => {
    // t=2: TP 9, 32/3, 11; M = 92/9; MD = (11/9 + 4/9 + 7/9)/3 = 22/27; CCI = (7/9) / (0.015 * 22/27) = 700/11
    expect(compute('cci', { period: 3 }).value![2]).toBeCloseTo(700 / 11, 9);
    expect(compute('cci', { period: 3 }).value![1]).toBeNaN();
  });

  it('williamsr(3): -50 during the warm-up, then -100 (HH - C) / (HH - LL)', () => {
    expectSeries(compute('williamsr', { period: 3 }).value!.subarray(0, 5), [-50, -50, -25, -200 / 3, -20]);
  });

  it('stochastic(3, 2, smooth 3): raw 50 in the warm-up, %K and %D means over what exists', () => {
    // raw: 50, 50, 100 (11-8)/4 = 75, 100 (10-9)/3 = 100/3, 100 (13-9)/5 = 80
    // %K: 50, 50, (50+50+75)/3 = 175/3, (50+75+100/3)/3 = 475/9, (75+100/3+80)/3 = 565/9
    // %D: 50, 50, (50 + 175/3)/2 = 325/6, (175/3 + 475/9)/2 = 500/9, (475/9 + 565/9)/2 = 520/9
    const out = compute('stochastic', { k_period: 3, d_period: 2 });
    expectSeries(out.k!.subarray(0, 5), [50, 50, 175 / 3, 475 / 9, 565 / 9]);
    expectSeries(out.d!.subarray(0, 5), [50, 50, 325 / 6, 500 / 9, 520 / 9]);
    // smooth_k 1 is the fast stochastic.
    expectSeries(compute('stochastic', { k_period: 3, d_period: 2, smooth_k: 1 }).k!.subarray(0, 5), [50, 50, 75, 100 / 3, 80]);
  });

  it('rvi(4, 2): 1-2-2-1 weighted C - O over H - L', () => {
    // C - O: 0, 1, -1, -1, 2, 1, -1, 2; H - L: 2, 3, 2, 2, 3, 3, 2, 3
    // num t=3..7: -1/6, -1/6, 2/6, 4/6, 4/6; den: 14/6, 14/6, 15/6, 16/6, 16/6
    // t=6: (-1 - 1 + 2 + 4) / (14 + 14 + 15 + 16) = 4/59; t=7: (-1 + 2 + 4 + 4) / (14 + 15 + 16 + 16) = 9/61
    const out = compute('rvi', { period: 4, signal_period: 2 });
    expectSeries(out.rvi!, [NaN_, NaN_, NaN_, NaN_, NaN_, NaN_, 4 / 59, 9 / 61]);
    expectSeries(out.signal!, [NaN_, NaN_, NaN_, NaN_, NaN_, NaN_, NaN_, (4 / 59 + 9 / 61) / 2]);
  });

  it('fishertransform(3, smoothing 1): 0.5 ln((1 + x) / (1 - x)), signal one bar later', () => {
    // t=2: median 11, HH 12, LL 8 -> x = 2 * 3/4 - 1 = 1/2 -> 0.5 ln 3; t=3: median 10, HH 12, LL 9 -> x = -1/3 -> 0.5 ln(1/2)
    const out = compute('fishertransform', { period: 3, smoothing: 1 });
    expectSeries(out.fisher!.subarray(0, 4), [NaN_, NaN_, 0.5 * Math.log(3), 0.5 * Math.log(0.5)]);
    expectSeries(out.signal!.subarray(0, 4), [NaN_, NaN_, NaN_, 0.5 * Math.log(3)]);
  });

  it('aroon(3): bars since the window extreme, the oldest on a tie', () => {
    // t=2: highs 10,12,12 -> first 12 is 1 bar ago -> up 200/3; lows 8,9,10 -> 2 bars ago -> down 100/3
    // t=3: highs 12,12,11 -> 2 bars ago -> 100/3; lows 9,10,9 -> first 9 2 bars ago -> 100/3
    // t=4: highs 12,11,14 -> 0 -> 100; lows 10,9,11 -> 1 -> 200/3
    const out = compute('aroon', { period: 3 });
    expectSeries(out.up!.subarray(0, 5), [NaN_, NaN_, 200 / 3, 100 / 3, 100]);
    expectSeries(out.down!.subarray(0, 5), [NaN_, NaN_, 100 / 3, 100 / 3, 200 / 3]);
    expectSeries(out.oscillator!.subarray(0, 5), [NaN_, NaN_, 100 / 3, 0, 100 / 3]);
  });
});

describe('volatility family by hand', () => {
  it('atr(3): the simple mean of the last 3 true ranges, bar 0 included', () => {
    expectSeries(compute('atr', { period: 3 }).value, [NaN_, NaN_, 7 / 3, 7 / 3, 8 / 3, 3, 10 / 3, 10 / 3]);
  });

  it('bollingerbands(3, 2): SMA +/- 2 SAMPLE standard deviations; bandwidth 0 in the warm-up', () => {
    // t=2: window 9, 11, 11, mean 31/3, squared deviations 16/9 + 4/9 + 4/9 = 24/9 -> variance 24/9 / 2 = 4/3
    // t=3: window 11, 11, 10, mean 32/3, 1/9 + 1/9 + 4/9 = 6/9 -> variance 1/3
    const [sd2, sd3] = [Math.sqrt(4 / 3), Math.sqrt(1 / 3)];
    const out = compute('BBands', { period: 3, multiplier: 2 });
    expectSeries(out.middle!.subarray(0, 4), [NaN_, NaN_, 31 / 3, 32 / 3]);
    expectSeries(out.upper!.subarray(0, 4), [NaN_, NaN_, 31 / 3 + 2 * sd2, 32 / 3 + 2 * sd3]);
    expectSeries(out.lower!.subarray(0, 4), [NaN_, NaN_, 31 / 3 - 2 * sd2, 32 / 3 - 2 * sd3]);
    expectSeries(compute('bollingerbandwidth', { period: 3 }).value!.subarray(0, 4), [0, 0, (4 * sd2) / (31 / 3), (4 * sd3) / (32 / 3)]);
  });

  it('keltnerchannels(3, atr 2, x1): EWM(span 3) of the close +/- the 2-bar simple ATR', () => {
    // middle (alpha 1/2 from bar 0): 9, 10, 10.5, 10.25, 11.625; ATR(2): NaN, 2.5, 2.5, 2, 3
    const out = compute('keltnerchannels', { period: 3, atr_period: 2, multiplier: 1 });
    expectSeries(out.middle!.subarray(0, 5), [9, 10, 10.5, 10.25, 11.625]);
    expectSeries(out.upper!.subarray(0, 5), [NaN_, 12.5, 13, 12.25, 14.625]);
    expectSeries(out.lower!.subarray(0, 5), [NaN_, 7.5, 8, 8.25, 8.625]);
  });

  it('donchianchannels(3)', () => {
    const out = compute('donchianchannels', { period: 3 });
    expectSeries(out.upper!.subarray(0, 5), [NaN_, NaN_, 12, 12, 14]);
    expectSeries(out.lower!.subarray(0, 5), [NaN_, NaN_, 8, 9, 9]);
    expectSeries(out.middle!.subarray(0, 5), [NaN_, NaN_, 10, 10.5, 11.5]);
  });

  it('supertrend(2, x0.2): seeded with the first valid basic band, flips on a close through the final band', () => {
    // ATR(2): -, 2.5, 2.5, 2, 3, 3.5, 3, 3.5; median: -, 10.5, 11, 10, 12.5, 13.5, 12, 14.5
    // t=1 seed: U 11, L 10; close 11 > 10 -> up, trend 10
    // t=2: bU 11.5 not below 11 -> U 11; bL 10.5 > 10 -> L 10.5; up, trend 10.5
    // t=3: bU 10.4 < 11 -> U 10.4; L stays 10.5; close 10 <= 10.5 -> down, trend 10.4
    // t=4: U stays 10.4 (close[3] 10 not above it); bL 11.9 -> L 11.9; close 13 >= 10.4 -> up, trend 11.9
    // t=5: close[4] 13 > 10.4 -> U 14.2; L 12.8; up, trend 12.8
    // t=6: bU 12.6 < 14.2 -> U 12.6; L stays 12.8; close 12 <= 12.8 -> down, trend 12.6
    // t=7: U stays 12.6; L 13.8; close 15 >= 12.6 -> up, trend 13.8
    const out = compute('supertrend', { period: 2, multiplier: 0.2 });
    expectSeries(out.trend!, [NaN_, 10, 10.5, 10.4, 11.9, 12.8, 12.6, 13.8]);
    expectSeries(out.direction!, [1, 1, 1, -1, 1, 1, -1, 1]);
  });
});

describe('trend family by hand', () => {
  it('sma(3) and wma(3)', () => {
    expectSeries(compute('sma', { period: 3 }).value!.subarray(0, 5), [NaN_, NaN_, 31 / 3, 32 / 3, 34 / 3]);
    // weights 1, 2, 3: t=2 (9 + 22 + 33)/6, t=3 (11 + 22 + 30)/6, t=4 (11 + 20 + 39)/6
    expectSeries(compute('wma', { period: 3 }).value!.subarray(0, 5), [NaN_, NaN_, 64 / 6, 63 / 6, 70 / 6]);
  });

  it('ema(3): adjusted weighted mean of everything so far by default, recursive from bar 0 with adjust false', () => {
    // alpha 1/2, weights 1, 1/2, 1/4, ...: t=1 (11 + 9/2)/(3/2) = 31/3; t=2 (11 + 11/2 + 9/4)/(7/4) = 75/7;
    // t=3 (10 + 11/2 + 11/4 + 9/8)/(15/8) = 31/3
    expectSeries(compute('ema', { period: 3 }).value!.subarray(0, 4), [9, 31 / 3, 75 / 7, 31 / 3]);
    expectSeries(compute('ExponentialMovingAverage', { period: 3, adjust: false }).value!.subarray(0, 5), [9, 10, 10.5, 10.25, 11.625]);
  });

  it('macd(2, 3, 2): EWM(2) - EWM(3) from bar 0, signal EWM(2) of the line', () => {
    // fast (alpha 2/3): 9, 31/3, 97/9, 277/27; slow (alpha 1/2): 9, 10, 10.5, 10.25
    // line: 0, 1/3, 5/18, 1/108; signal: 0, 2/9, 2/27 + 5/27 = 7/27, 7/81 + 1/162 = 5/54
    const out = compute('macd', { fast: 2, slow: 3, signal: 2 });
    expectSeries(out.line!.subarray(0, 4), [0, 1 / 3, 5 / 18, 1 / 108]);
    expectSeries(out.signal!.subarray(0, 4), [0, 2 / 9, 7 / 27, 5 / 54]);
    expectSeries(out.histogram!.subarray(0, 4), [0, 1 / 9, 1 / 54, -1 / 12]);
  });

  it('adx(2): Wilder smoothing (alpha 1/2) from bar 0, no NaN', () => {
    // +DM: 0, 2, 0, 0, 3; -DM: 0, 0, 0, 1, 0; TR: 2, 3, 2, 2, 4
    // smoothed TR: 2, 2.5, 2.25, 2.125, 3.0625; +DM: 0, 1, 0.5, 0.25, 1.625; -DM: 0, 0, 0, 0.5, 0.25
    // +DI: 0, 40, 200/9, 200/17, 162.5/3.0625; -DI: 0, 0, 0, 400/17, 25/3.0625
    // DX: 0 (no movement), 100, 100, 100/3, 100 * 137.5/187.5 = 220/3
    // ADX: 0, 50, 75, 325/6, 765/12
    const out = compute('adx', { period: 2 });
    expectSeries(out.plus_di!.subarray(0, 5), [0, 40, 200 / 9, 200 / 17, 162.5 / 3.0625]);
    expectSeries(out.minus_di!.subarray(0, 5), [0, 0, 0, 400 / 17, 25 / 3.0625]);
    expectSeries(out.adx!.subarray(0, 5), [0, 50, 75, 325 / 6, 765 / 12]);
  });

  it('parabolicsar: starts long on a higher close, SAR capped by the two previous lows', () => {
    // t=1: SAR L0 = 8, EP 12; t=2: s = 8.08, min(8.08, 9, 8) = 8; t=3: s = 8.08, min(8.08, 10, 9) = 8.08
    // t=4: s = 8.08 + 0.02 * 3.92 = 8.1584, EP -> 14, AF 0.04; t=5: s = 8.1584 + 0.04 * 5.8416 = 8.392064
    expectSeries(compute('parabolicsar', {}).value!.subarray(0, 6), [NaN_, 8, 8, 8.08, 8.1584, 8.392064]);
  });

  it('ichimoku(2, 3, 4): midpoints, nothing shifted', () => {
    const out = compute('ichimoku', { tenkan_period: 2, kijun_period: 3, senkou_b_period: 4 });
    expectSeries(out.tenkan!.subarray(0, 4), [NaN_, 10, 10.5, 10.5]);
    expectSeries(out.kijun!.subarray(0, 4), [NaN_, NaN_, 10, 10.5]);
    expectSeries(out.senkou_a!.subarray(0, 4), [NaN_, NaN_, 10.25, 10.5]);
    expectSeries(out.senkou_b!.subarray(0, 4), [NaN_, NaN_, NaN_, 10]);
    expectSeries(out.chikou!, [9, 11, 11, 10, 13, 14, 12, 15]);
  });
});

describe('volume family by hand', () => {
  it('obv: + volume up, - volume down, unchanged on an equal close', () => {
    expectSeries(compute('obv', {}).value, [0, 200, 200, -100, 100, 200, -200, -100]);
  });

  it('vwap(2): typical price weighted by volume over a partial then full window', () => {
    // t=1: (9 * 100 + 32/3 * 200) / 300 = 91/9; t=2: (32/3 * 200 + 11 * 100) / 300 = 97/9
    expectSeries(compute('vwap', { period: 2 }).value!.subarray(0, 3), [9, 91 / 9, 97 / 9]);
  });

  it('mfi(2): flows of rising and falling typical prices', () => {
    // flows: t=1 up 6400/3, t=2 up 1100, t=3 down 3000, t=4 up 7600/3
    // t=2: no negative flow -> 100; t=3: 100 - 100 / (1 + 1100/3000) = 1100/41; t=4: 100 - 100 / (1 + 76/90) = 3800/83
    expectSeries(compute('mfi', { period: 2 }).value!.subarray(0, 5), [NaN_, NaN_, 100, 1100 / 41, 3800 / 83]);
  });

  it('cmf(2) and adline: money-flow multiplier, volume and their sums', () => {
    // multiplier: 0, 1/3, 0, 0, 1/3; money-flow volume: 0, 200/3, 0, 0, 200/3
    const out = compute('cmf', { period: 2 });
    expectSeries(out.mf_multiplier!.subarray(0, 5), [0, 1 / 3, 0, 0, 1 / 3]);
    expectSeries(out.cmf!.subarray(0, 5), [NaN_, 2 / 9, 2 / 9, 0, 2 / 15]);
    expectSeries(out.above_zero!.subarray(0, 5), [0, 1, 1, 0, 1]);
    expectSeries(compute('adline', {}).line!.subarray(0, 5), [0, 200 / 3, 200 / 3, 200 / 3, 400 / 3]);
  });
});

describe('others by hand', () => {
  it('volumeratio(2): 1 in the warm-up', () => {
    expectSeries(compute('volumeratio', { period: 2 }).value!.subarray(0, 5), [1, 4 / 3, 2 / 3, 1.5, 0.8]);
  });

  it('distancefromma(3, SMA): percent from the mean', () => {
    expectSeries(compute('distancefromma', { period: 3 }).value!.subarray(0, 3), [NaN_, NaN_, 200 / 31]);
  });

  it('zigzag(0.1): the pivots that survive, NaN between them', () => {
    // 9 -> 11 (+22 %) up; 13 and 14 move that pivot; 12 (-14 %) turns down; 15 (+25 %) turns up
    expectSeries(compute('zigzag', { threshold: 0.1 }).value, [9, NaN_, NaN_, NaN_, NaN_, 14, 12, 15]);
  });
});
