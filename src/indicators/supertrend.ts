/**
 * SuperTrend: ATR = simple mean of the true range over `period`; basic bands =
 * (H + L) / 2 +/- multiplier * ATR; final bands "tighten unless crossed":
 * finalUpper[t] = basicUpper[t] if it is below finalUpper[t-1] or close[t-1]
 * broke above finalUpper[t-1], else finalUpper[t-1] (mirrored for the lower
 * band); direction starts at +1 and flips to -1 when close <= finalLower, back
 * to +1 when close >= finalUpper; trend = finalLower while +1, else finalUpper.
 *
 * Deliberate difference from the original: it seeds the final bands with bar
 * 0's basic band, which is NaN (ATR warm-up), and since every later comparison
 * with NaN is false its bands stay NaN forever (trend all NaN, direction all
 * +1). Here the final bands are seeded with the first valid basic band (bar
 * period - 1), which is what the indicator is meant to compute.
 * Warm-up: trend period - 1 leading NaNs; direction none (+1 during the warm-up).
 */
import { indicatorParams, intParam, numberParam } from './params.js';
import { averageTrueRange } from './atr.js';
import { defineIndicator } from './types.js';

export const supertrendParams = indicatorParams('supertrend', {
  period: intParam('period', 10, 2, 200),
  multiplier: numberParam('multiplier', 3, { above: 0, atMost: 10 }, false),
});

export function superTrend(high: Float64Array, low: Float64Array, close: Float64Array, period: number, multiplier: number) {
  const n = close.length;
  const range = averageTrueRange(high, low, close, period);
  const trend = new Float64Array(n).fill(Number.NaN);
  const direction = new Float64Array(n).fill(1);
  let finalUpper = Number.NaN;
  let finalLower = Number.NaN;
  let up = true;
  for (let t = period - 1; t < n; t++) {
    const median = (high[t]! + low[t]!) / 2;
    const basicUpper = median + multiplier * range[t]!;
    const basicLower = median - multiplier * range[t]!;
    if (t === period - 1) {
      finalUpper = basicUpper;
      finalLower = basicLower;
    } else {
      const previousClose = close[t - 1]!;
      if (basicUpper < finalUpper || previousClose > finalUpper) finalUpper = basicUpper;
      if (basicLower > finalLower || previousClose < finalLower) finalLower = basicLower;
    }
    if (up) {
      if (close[t]! <= finalLower) up = false;
    } else if (close[t]! >= finalUpper) {
      up = true;
    }
    direction[t] = up ? 1 : -1;
    trend[t] = up ? finalLower : finalUpper;
  }
  return { trend, direction };
}

export const supertrend = defineIndicator({
  type: 'supertrend',
  aliases: ['supertrendindicator'],
  family: 'volatility',
  params: supertrendParams,
  outputs: ['trend', 'direction'],
  warmup: ({ period }) => period - 1,
  minBars: ({ period }) => period + 1,
  compute: (bars, { period, multiplier }) => ({ ...superTrend(bars.high, bars.low, bars.close, period, multiplier) }),
});
