/**
 * Williams %R: -100 * (HH - C) / (HH - LL) over the last `period` bars. As in
 * the original, every NaN (the warm-up, a window with no range) reads -50, the
 * middle of the scale.
 * Warm-up: none.
 */
import { indicatorParams, intParam } from './params.js';
import { rollingMax, rollingMin } from './smoothing.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const williamsrParams = indicatorParams('williamsr', { period: intParam('period', 14, 1, 100) });

export function williamsPercentR(high: Float64Array, low: Float64Array, close: Float64Array, period: number): Float64Array {
  const highest = rollingMax(high, period);
  const lowest = rollingMin(low, period);
  const out = new Float64Array(close.length);
  for (let t = 0; t < close.length; t++) {
    const value = (-100 * (highest[t]! - close[t]!)) / (highest[t]! - lowest[t]!);
    out[t] = value === value ? value : -50;
  }
  return out;
}

export const williamsr = defineIndicator({
  type: 'williamsr',
  aliases: ['williamsrindicator'],
  family: 'momentum',
  params: williamsrParams,
  outputs: [],
  warmup: () => 0,
  minBars: ({ period }) => period,
  compute: (bars, { period }) => ({ [SINGLE_OUTPUT]: williamsPercentR(bars.high, bars.low, bars.close, period) }),
});
