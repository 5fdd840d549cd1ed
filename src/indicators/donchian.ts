/**
 * Donchian Channels: upper = highest high, lower = lowest low of the last
 * `period` bars, middle = (upper + lower) / 2. `include_middle` is accepted and
 * has no effect (middle is always produced), as in the original.
 * Warm-up: period - 1 leading NaNs.
 */
import { booleanParam, indicatorParams, intParam } from './params.js';
import { rollingMax, rollingMin } from './smoothing.js';
import { defineIndicator } from './types.js';

export const donchianParams = indicatorParams('donchianchannels', {
  period: intParam('period', 20, 2, 500),
  include_middle: booleanParam('include_middle', true, false),
});

export function donchianChannels(high: Float64Array, low: Float64Array, period: number) {
  const upper = rollingMax(high, period);
  const lower = rollingMin(low, period);
  const middle = new Float64Array(high.length);
  for (let t = 0; t < high.length; t++) middle[t] = (upper[t]! + lower[t]!) / 2;
  return { upper, middle, lower };
}

export const donchianchannels = defineIndicator({
  type: 'donchianchannels',
  aliases: ['donchianchannelsindicator'],
  family: 'volatility',
  params: donchianParams,
  outputs: ['upper', 'middle', 'lower'],
  warmup: ({ period }) => period - 1,
  minBars: ({ period }) => period,
  compute: (bars, { period }) => ({ ...donchianChannels(bars.high, bars.low, period) }),
});
