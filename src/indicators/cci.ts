/**
 * Commodity Channel Index (Lambert): TP = (H + L + C) / 3, M = SMA(TP, period),
 * MD = mean |TP[j] - M[t]| over the window ending at t (deviations from the
 * current mean, so it is recomputed per bar: O(n * period)),
 * CCI = (TP - M) / (0.015 * MD). A window with no deviation gives +-Infinity or
 * NaN, which the original leaves in place.
 * Warm-up: period - 1 leading NaNs.
 */
import { indicatorParams, intParam } from './params.js';
import { simpleMovingAverage } from './smoothing.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const cciParams = indicatorParams('cci', { period: intParam('period', 20, 2, 100) });

export function typicalPrice(high: Float64Array, low: Float64Array, close: Float64Array): Float64Array {
  const out = new Float64Array(close.length);
  for (let t = 0; t < close.length; t++) out[t] = (high[t]! + low[t]! + close[t]!) / 3;
  return out;
}

export function commodityChannelIndex(high: Float64Array, low: Float64Array, close: Float64Array, period: number): Float64Array {
  const tp = typicalPrice(high, low, close);
  const mean = simpleMovingAverage(tp, period);
  const out = new Float64Array(tp.length).fill(Number.NaN);
  for (let t = period - 1; t < tp.length; t++) {
    const m = mean[t]!;
    let deviation = 0;
    for (let j = t - period + 1; j <= t; j++) deviation += Math.abs(tp[j]! - m);
    out[t] = (tp[t]! - m) / (0.015 * (deviation / period));
  }
  return out;
}

export const cci = defineIndicator({
  type: 'cci',
  aliases: ['cciindicator'],
  family: 'momentum',
  params: cciParams,
  outputs: [],
  warmup: ({ period }) => period - 1,
  minBars: ({ period }) => period,
  compute: (bars, { period }) => ({ [SINGLE_OUTPUT]: commodityChannelIndex(bars.high, bars.low, bars.close, period) }),
});
