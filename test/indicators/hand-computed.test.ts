/**
 * The first values of every indicator on an 8-bar series, worked out by hand.
 * The arithmetic is written out as fractions so it can be checked on paper.
 *
 *   t      0   1   2   3   4   5   6   7
 *   high  10  12  12  11  14  15  13  16
 *   low    8   9  10   9  11  12  11  13
 *   close  9  11  11  10  13  14  12  15
 */
import { describe, expect, it } from 'vitest';
import { INDICATORS } from '../../src/indicators/registry.js';
import type { RawIndicatorParams } from '../../src/indicators/types.js';
import { barsFrom } from './series.js';

const bars = barsFrom({
  high: [10, 12, 12, 11, 14, 15, 13, 16],
  low: [8, 9, 10, 9, 11, 12, 11, 13],
  close: [9, 11, 11, 10, 13, 14, 12, 15],
});
const NaN_ = Number.NaN;

function compute(type: string, params: RawIndicatorParams): Record<string, Float64Array> {
  const definition = INDICATORS[type];
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

describe('indicators by hand', () => {
  it('sma(3): the mean of the last three closes', () => {
    expectSeries(compute('sma', { period: 3 }).value, [
      NaN_, NaN_,
      (9 + 11 + 11) / 3, (11 + 11 + 10) / 3, (11 + 10 + 13) / 3, (10 + 13 + 14) / 3, (13 + 14 + 12) / 3, (14 + 12 + 15) / 3,
    ]);
  });

  it('sma on another source reads that column', () => {
    expectSeries(compute('sma', { period: 2, source: 'high' }).value, [NaN_, 11, 12, 11.5, 12.5, 14.5, 14, 14.5]);
  });

  it('ema(3): seeded with the SMA of the first 3, then alpha = 2/(3+1) = 1/2', () => {
    const seed = 31 / 3;
    const e3 = seed + 0.5 * (10 - seed); // 61/6
    const e4 = e3 + 0.5 * (13 - e3); // 139/12
    const e5 = e4 + 0.5 * (14 - e4); // 307/24
    expect(e3).toBeCloseTo(61 / 6, 12);
    expect(e4).toBeCloseTo(139 / 12, 12);
    expect(e5).toBeCloseTo(307 / 24, 12);
    const value = compute('ema', { period: 3 }).value!;
    expectSeries(value.subarray(0, 6), [NaN_, NaN_, 31 / 3, 61 / 6, 139 / 12, 307 / 24]);
  });

  it('rsi(3): Wilder averages of gains and losses seeded with the mean of the first 3 changes', () => {
    // changes t=1..7: +2, 0, -1, +3, +1, -2, +3
    // t=3: avgGain = (2+0+0)/3 = 2/3, avgLoss = (0+0+1)/3 = 1/3 -> RSI = 100 * (2/3) / (3/3) = 200/3
    // t=4: gain = 2/3 + (3 - 2/3)/3 = 13/9, loss = 1/3 + (0 - 1/3)/3 = 2/9 -> 100 * 13/15 = 260/3
    // t=5: gain = 13/9 + (1 - 13/9)/3 = 35/27, loss = 2/9 - (2/9)/3 = 4/27 -> 100 * 35/39 = 3500/39
    // t=6: gain = 35/27 - (35/27)/3 = 70/81, loss = 4/27 + (2 - 4/27)/3 = 62/81 -> 100 * 70/132 = 7000/132
    // t=7: gain = 70/81 + (3 - 70/81)/3 = 383/243, loss = 62/81 - (62/81)/3 = 124/243 -> 100 * 383/507
    expectSeries(compute('rsi', { period: 3 }).value, [NaN_, NaN_, NaN_, 200 / 3, 260 / 3, 3500 / 39, 7000 / 132, 38300 / 507]);
  });

  it('roc(2): percent change over 2 bars', () => {
    expectSeries(compute('roc', { period: 2 }).value, [
      NaN_, NaN_,
      (100 * (11 - 9)) / 9, (100 * (10 - 11)) / 11, (100 * (13 - 11)) / 11, (100 * (14 - 10)) / 10, (100 * (12 - 13)) / 13, (100 * (15 - 14)) / 14,
    ]);
  });

  it('atr(3): Wilder average of true ranges from bar 1', () => {
    // TR t=1: max(12-9, |12-9|, |9-9|) = 3; t=2: max(2, |12-11|, |10-11|) = 2; t=3: max(2, |11-11|, |9-11|) = 2
    // t=4: max(3, |14-10|, |11-10|) = 4; t=5: max(3, |15-13|, |12-13|) = 3; t=6: max(2, |13-14|, |11-14|) = 3
    // t=7: max(3, |16-12|, |13-12|) = 4
    // ATR t=3: (3+2+2)/3 = 7/3; t=4: 7/3 + (4 - 7/3)/3 = 26/9; t=5: 26/9 + (3 - 26/9)/3 = 79/27;
    // t=6: 79/27 + (3 - 79/27)/3 = 239/81; t=7: 239/81 + (4 - 239/81)/3 = 802/243
    const a7 = 802 / 243;
    expectSeries(compute('atr', { period: 3 }).value, [NaN_, NaN_, NaN_, 7 / 3, 26 / 9, 79 / 27, 239 / 81, a7]);
  });

  it('macd(2, 3, 2): EMA(2) - EMA(3), signal EMA(2) of the line', () => {
    // EMA(2), alpha 2/3: t=1 seed (9+11)/2 = 10; t=2: 10 + 2/3 (11-10) = 32/3; t=3: 32/3 + 2/3 (10 - 32/3) = 92/9;
    //   t=4: 92/9 + 2/3 (13 - 92/9) = 326/27
    // EMA(3), alpha 1/2: t=2: 31/3; t=3: 61/6; t=4: 139/12
    // line t=2: 32/3 - 31/3 = 1/3; t=3: 92/9 - 61/6 = 1/18; t=4: 326/27 - 139/12 = 53/108
    // signal t=3: (1/3 + 1/18)/2 = 7/36; t=4: 7/36 + 2/3 (53/108 - 7/36) = 127/324
    // histogram t=3: 1/18 - 7/36 = -5/36; t=4: 53/108 - 127/324 = 8/81
    // Warm-up 3 + 2 - 2 = 3: the line at t=2 exists but is held back with the signal.
    const out = compute('macd', { fast_period: 2, slow_period: 3, signal_period: 2 });
    expectSeries(out.line!.subarray(0, 5), [NaN_, NaN_, NaN_, 1 / 18, 53 / 108]);
    expectSeries(out.signal!.subarray(0, 5), [NaN_, NaN_, NaN_, 7 / 36, 127 / 324]);
    expectSeries(out.histogram!.subarray(0, 5), [NaN_, NaN_, NaN_, -5 / 36, 8 / 81]);
  });

  it('adx(2): Wilder-smoothed DM and TR, DX, then ADX', () => {
    // t=1: up 12-10=2, down 8-9=-1 -> +DM 2, -DM 0, TR 3
    // t=2: up 0, down -1 -> 0, 0, TR 2
    // t=3: up -1, down 10-9=1 -> 0, 1, TR 2
    // t=4: up 3, down -2 -> 3, 0, TR 4
    // t=5: up 1, down -1 -> 1, 0, TR 3
    // seed t=2: TR (3+2)/2 = 2.5, +DM (2+0)/2 = 1, -DM 0 -> +DI 40, -DI 0, DX 100
    // t=3: TR 2.5 + (2-2.5)/2 = 2.25, +DM 1 + (0-1)/2 = 0.5, -DM 0 + (1-0)/2 = 0.5 -> DIs 200/9 each, DX 0
    //   ADX seed = (100 + 0)/2 = 50
    // t=4: TR 2.25 + (4-2.25)/2 = 3.125, +DM 0.5 + (3-0.5)/2 = 1.75, -DM 0.5/2 = 0.25 -> +DI 56, -DI 8,
    //   DX 100 * 48/64 = 75, ADX 50 + (75-50)/2 = 62.5
    // t=5: TR 3.125 + (3-3.125)/2 = 3.0625, +DM 1.75 + (1-1.75)/2 = 1.375, -DM 0.125 -> +DI 137.5/3.0625,
    //   -DI 12.5/3.0625, DX 100 * 1.25/1.5 = 250/3, ADX 62.5 + (250/3 - 62.5)/2
    const out = compute('adx', { period: 2 });
    expectSeries(out.adx!.subarray(0, 6), [NaN_, NaN_, NaN_, 50, 62.5, 62.5 + (250 / 3 - 62.5) / 2]);
    expectSeries(out.plus_di!.subarray(0, 6), [NaN_, NaN_, NaN_, 200 / 9, 56, 137.5 / 3.0625]);
    expectSeries(out.minus_di!.subarray(0, 6), [NaN_, NaN_, NaN_, 200 / 9, 8, 12.5 / 3.0625]);
  });

  it('bbands(3, 2): SMA +/- 2 population standard deviations', () => {
    // t=2: window 9, 11, 11, mean 31/3, deviations -4/3, 2/3, 2/3 -> variance (16+4+4)/9/3 = 8/9
    // t=3: window 11, 11, 10, mean 32/3, deviations 1/3, 1/3, -2/3 -> variance (1+1+4)/9/3 = 2/9
    const sd2 = Math.sqrt(8 / 9);
    const sd3 = Math.sqrt(2 / 9);
    const out = compute('bbands', { period: 3, multiplier: 2 });
    expectSeries(out.middle!.subarray(0, 4), [NaN_, NaN_, 31 / 3, 32 / 3]);
    expectSeries(out.upper!.subarray(0, 4), [NaN_, NaN_, 31 / 3 + 2 * sd2, 32 / 3 + 2 * sd3]);
    expectSeries(out.lower!.subarray(0, 4), [NaN_, NaN_, 31 / 3 - 2 * sd2, 32 / 3 - 2 * sd3]);
    expectSeries(out.width!.subarray(0, 4), [NaN_, NaN_, (4 * sd2) / (31 / 3), (4 * sd3) / (32 / 3)]);
  });

  it('stochastic(3, 2): %K over the 3-bar range, %D its 2-bar mean', () => {
    // t=2: HH max(10,12,12) = 12, LL min(8,9,10) = 8, %K = 100 (11-8)/4 = 75
    // t=3: HH 12, LL 9, %K = 100 (10-9)/3 = 100/3
    // t=4: HH 14, LL 9, %K = 100 (13-9)/5 = 80
    // t=5: HH 15, LL 9, %K = 100 (14-9)/6 = 250/3
    // %D t=3: (75 + 100/3)/2; t=4: (100/3 + 80)/2; t=5: (80 + 250/3)/2
    const out = compute('stochastic', { k_period: 3, d_period: 2 });
    expectSeries(out.k!.subarray(0, 6), [NaN_, NaN_, NaN_, 100 / 3, 80, 250 / 3]);
    expectSeries(out.d!.subarray(0, 6), [NaN_, NaN_, NaN_, (75 + 100 / 3) / 2, (100 / 3 + 80) / 2, (80 + 250 / 3) / 2]);
  });
});
