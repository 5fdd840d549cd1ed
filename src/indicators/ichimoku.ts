/**
 * Ichimoku as the earlier ktrdr computes it: mid(N) = (highest high + lowest
 * low) / 2 over N bars; tenkan = mid(tenkan_period), kijun = mid(kijun_period),
 * senkou_a = (tenkan + kijun) / 2, senkou_b = mid(senkou_b_period),
 * chikou = close. Nothing is shifted: `displacement` is accepted and, as in
 * the original, not applied (shifting forward would also put future bars'
 * values on past rows).
 * Warm-up: each output its own window - 1; all defined from the longest.
 */
import { indicatorParams, intParam } from './params.js';
import { rollingMax, rollingMin } from './smoothing.js';
import { defineIndicator } from './types.js';

export const ichimokuParams = indicatorParams('ichimoku', {
  tenkan_period: intParam('tenkan_period', 9, 1, 50),
  kijun_period: intParam('kijun_period', 26, 1, 100),
  senkou_b_period: intParam('senkou_b_period', 52, 1, 200),
  displacement: intParam('displacement', 26, 1, 100),
});

function midpoint(high: Float64Array, low: Float64Array, period: number): Float64Array {
  const highest = rollingMax(high, period);
  const lowest = rollingMin(low, period);
  const out = new Float64Array(high.length);
  for (let t = 0; t < high.length; t++) out[t] = (highest[t]! + lowest[t]!) / 2;
  return out;
}

export function ichimokuCloud(high: Float64Array, low: Float64Array, close: Float64Array, tenkanPeriod: number, kijunPeriod: number, senkouBPeriod: number) {
  const tenkan = midpoint(high, low, tenkanPeriod);
  const kijun = midpoint(high, low, kijunPeriod);
  const senkouA = new Float64Array(close.length);
  for (let t = 0; t < close.length; t++) senkouA[t] = (tenkan[t]! + kijun[t]!) / 2;
  return { tenkan, kijun, senkou_a: senkouA, senkou_b: midpoint(high, low, senkouBPeriod), chikou: Float64Array.from(close) };
}

export const ichimoku = defineIndicator({
  type: 'ichimoku',
  aliases: ['ichimokuindicator'],
  family: 'trend',
  params: ichimokuParams,
  outputs: ['tenkan', 'kijun', 'senkou_a', 'senkou_b', 'chikou'],
  warmup: ({ tenkan_period, kijun_period, senkou_b_period }) => Math.max(tenkan_period, kijun_period, senkou_b_period) - 1,
  minBars: ({ tenkan_period, kijun_period, senkou_b_period }) => Math.max(tenkan_period, kijun_period, senkou_b_period),
  compute: (bars, { tenkan_period, kijun_period, senkou_b_period }) => ({
    ...ichimokuCloud(bars.high, bars.low, bars.close, tenkan_period, kijun_period, senkou_b_period),
  }),
});
