/**
 * Volume-weighted average price: price = typical price (H + L + C) / 3, or the
 * close; VWAP = sum(price * V) / sum(V) over the last `period` bars (fewer at
 * the start, as the original's min_periods = 1), or over every bar so far when
 * period is 0. No volume in the window gives NaN (so FX data with zero volume
 * gives NaN throughout, as in the original).
 * Warm-up: none.
 */
import { booleanParam, indicatorParams, intParam } from './params.js';
import { typicalPrice } from './cci.js';
import { rollingMean } from './smoothing.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const vwapParams = indicatorParams('vwap', {
  period: intParam('period', 20, 0, 200),
  use_typical_price: booleanParam('use_typical_price', true, true),
});

export function volumeWeightedAveragePrice(price: Float64Array, volume: Float64Array, period: number): Float64Array {
  const n = price.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const priceVolume = new Float64Array(n);
  for (let t = 0; t < n; t++) priceVolume[t] = price[t]! * volume[t]!;
  if (period === 0) {
    let sumPv = 0;
    let sumV = 0;
    for (let t = 0; t < n; t++) {
      sumPv += priceVolume[t]!;
      sumV += volume[t]!;
      if (sumV !== 0) out[t] = sumPv / sumV;
    }
    return out;
  }
  // Ratio of means = ratio of sums over the same (possibly partial) window.
  const meanPv = rollingMean(priceVolume, period, 1);
  const meanV = rollingMean(volume, period, 1);
  for (let t = 0; t < n; t++) if (meanV[t] !== 0) out[t] = meanPv[t]! / meanV[t]!;
  return out;
}

export const vwap = defineIndicator({
  type: 'vwap',
  aliases: ['vwapindicator'],
  family: 'volume',
  params: vwapParams,
  outputs: [],
  warmup: () => 0,
  minBars: ({ period }) => Math.max(1, period),
  compute: (bars, { period, use_typical_price }) => ({
    [SINGLE_OUTPUT]: volumeWeightedAveragePrice(use_typical_price ? typicalPrice(bars.high, bars.low, bars.close) : bars.close, bars.volume, period),
  }),
});
