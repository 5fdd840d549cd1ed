/**
 * Stochastic oscillator (Lane), "slow" form as the earlier ktrdr computes it:
 * raw = 100 * (C - LL) / (HH - LL) over k_period bars, where every NaN (the
 * warm-up and a window with no range) reads 50; %K = mean of the last smooth_k
 * raw values (fewer at the start), %D = mean of the last d_period %K values
 * (fewer at the start).
 * Warm-up: none (the first bars read 50).
 */
import { indicatorParams, intParam } from './params.js';
import { rollingMax, rollingMean, rollingMin } from './smoothing.js';
import { defineIndicator } from './types.js';

export const stochasticParams = indicatorParams('stochastic', {
  k_period: intParam('k_period', 14, 1, 100),
  d_period: intParam('d_period', 3, 1, 20),
  smooth_k: intParam('smooth_k', 3, 1, 20),
});

export interface StochasticOutputs {
  k: Float64Array;
  d: Float64Array;
}

export function stochasticOscillator(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  kPeriod: number,
  dPeriod: number,
  smoothK: number,
): StochasticOutputs {
  const highest = rollingMax(high, kPeriod);
  const lowest = rollingMin(low, kPeriod);
  const raw = new Float64Array(close.length);
  for (let t = 0; t < close.length; t++) {
    const value = (100 * (close[t]! - lowest[t]!)) / (highest[t]! - lowest[t]!);
    raw[t] = value === value ? value : 50;
  }
  const k = smoothK > 1 ? rollingMean(raw, smoothK, 1) : raw;
  return { k, d: rollingMean(k, dPeriod, 1) };
}

export const stochastic = defineIndicator({
  type: 'stochastic',
  aliases: ['stochasticindicator'],
  family: 'momentum',
  params: stochasticParams,
  outputs: ['k', 'd'],
  warmup: () => 0,
  minBars: ({ k_period, d_period, smooth_k }) => Math.max(k_period, smooth_k) + d_period,
  compute: (bars, { k_period, d_period, smooth_k }) => ({
    ...stochasticOscillator(bars.high, bars.low, bars.close, k_period, d_period, smooth_k),
  }),
});
