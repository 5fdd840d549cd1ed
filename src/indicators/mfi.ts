/**
 * Money Flow Index: TP = (H + L + C) / 3, flow = TP * V; over the `period`
 * typical-price changes ending at t, positive flow sums the flows of rising
 * bars and negative flow those of falling bars (unchanged bars count for
 * neither); MFI = 100 if there is no negative flow, 0 if no positive flow,
 * else 100 - 100 / (1 + positive / negative).
 * Warm-up: period leading NaNs.
 */
import { indicatorParams, intParam } from './params.js';
import { typicalPrice } from './cci.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const mfiParams = indicatorParams('mfi', { period: intParam('period', 14, 1, 100) });

export function moneyFlowIndex(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array, period: number): Float64Array {
  const n = close.length;
  const tp = typicalPrice(high, low, close);
  const positive = new Float64Array(n);
  const negative = new Float64Array(n);
  for (let t = 1; t < n; t++) {
    const flow = tp[t]! * volume[t]!;
    if (tp[t]! > tp[t - 1]!) positive[t] = flow;
    else if (tp[t]! < tp[t - 1]!) negative[t] = flow;
  }
  const out = new Float64Array(n).fill(Number.NaN);
  for (let t = period; t < n; t++) {
    // Re-summed per bar: period <= 100, and a running difference of flows would drift.
    let pos = 0;
    let neg = 0;
    for (let j = t - period + 1; j <= t; j++) {
      pos += positive[j]!;
      neg += negative[j]!;
    }
    out[t] = neg === 0 ? 100 : pos === 0 ? 0 : 100 - 100 / (1 + pos / neg);
  }
  return out;
}

export const mfi = defineIndicator({
  type: 'mfi',
  aliases: ['mfiindicator'],
  family: 'volume',
  params: mfiParams,
  outputs: [],
  warmup: ({ period }) => period,
  minBars: ({ period }) => period + 1,
  compute: (bars, { period }) => ({ [SINGLE_OUTPUT]: moneyFlowIndex(bars.high, bars.low, bars.close, bars.volume, period) }),
});
