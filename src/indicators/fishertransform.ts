/**
 * Fisher Transform (Ehlers): med = (H + L) / 2, HH / LL = highest high /
 * lowest low of the last `period` bars; x = 2 * (med - LL) / (HH - LL) - 1
 * (0 when the range is exactly 0), clipped to [-0.999, 0.999];
 * fisher = EWM(span = smoothing, adjust = false) of 0.5 * ln((1 + x) / (1 - x));
 * signal = fisher one bar earlier.
 * Warm-up: fisher period - 1 leading NaNs, signal period.
 */
import { indicatorParams, intParam } from './params.js';
import { emaBySpan, rollingMax, rollingMin, shift } from './smoothing.js';
import { defineIndicator } from './types.js';

export const fisherParams = indicatorParams('fishertransform', { period: intParam('period', 10, 2, 100), smoothing: intParam('smoothing', 3, 1, 20) });

export function fisherTransform(high: Float64Array, low: Float64Array, period: number, smoothing: number): { fisher: Float64Array; signal: Float64Array } {
  const highest = rollingMax(high, period);
  const lowest = rollingMin(low, period);
  const raw = new Float64Array(high.length);
  for (let t = 0; t < high.length; t++) {
    const range = highest[t]! - lowest[t]!;
    let x = range !== 0 ? 2 * (((high[t]! + low[t]!) / 2 - lowest[t]!) / range) - 1 : 0;
    if (x < -0.999) x = -0.999;
    else if (x > 0.999) x = 0.999;
    raw[t] = 0.5 * Math.log((1 + x) / (1 - x));
  }
  const fisher = emaBySpan(raw, smoothing);
  return { fisher, signal: shift(fisher, 1) };
}

export const fishertransform = defineIndicator({
  type: 'fishertransform',
  aliases: ['fishertransformindicator'],
  family: 'momentum',
  params: fisherParams,
  outputs: ['fisher', 'signal'],
  warmup: ({ period }) => period,
  minBars: ({ period, smoothing }) => period + smoothing,
  compute: (bars, { period, smoothing }) => ({ ...fisherTransform(bars.high, bars.low, period, smoothing) }),
});
