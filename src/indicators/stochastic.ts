/**
 * Stochastic oscillator (Lane), the "fast" form:
 * %K[t] = 100 * (close[t] - LL) / (HH - LL), with HH the highest high and LL the
 * lowest low of the last k_period bars (t included); %D = SMA(d_period) of %K.
 * A window with no range (HH = LL) reads 50, the middle of the scale
 * (technicalindicators reads 0 there). HH and LL come from monotonic queues,
 * O(n) whatever k_period.
 * Warm-up: k_period + d_period - 2 leading NaNs on both outputs (%K is held
 * back until %D exists).
 */
import { z } from 'zod';
import { integerParam } from './params.js';
import { simpleMovingAverage } from './smoothing.js';
import { defineIndicator, fillWarmup } from './types.js';

export const stochasticParams = z.object({
  k_period: integerParam('k_period', 1, 14),
  d_period: integerParam('d_period', 1, 3),
});

export interface StochasticOutputs {
  k: Float64Array;
  d: Float64Array;
}

export const stochasticWarmup = (kPeriod: number, dPeriod: number): number => kPeriod + dPeriod - 2;

export function stochasticOscillator(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  kPeriod: number,
  dPeriod: number,
): StochasticOutputs {
  const n = close.length;
  const k = new Float64Array(n).fill(Number.NaN);
  // Indices of bars whose high (low) may still be the window's maximum (minimum), values decreasing (increasing).
  const highs = new Int32Array(n);
  const lows = new Int32Array(n);
  let highHead = 0;
  let highTail = 0;
  let lowHead = 0;
  let lowTail = 0;
  for (let t = 0; t < n; t++) {
    const h = high[t]!;
    const l = low[t]!;
    while (highTail > highHead && high[highs[highTail - 1]!]! <= h) highTail--;
    highs[highTail++] = t;
    while (lowTail > lowHead && low[lows[lowTail - 1]!]! >= l) lowTail--;
    lows[lowTail++] = t;
    if (highs[highHead]! <= t - kPeriod) highHead++;
    if (lows[lowHead]! <= t - kPeriod) lowHead++;
    if (t < kPeriod - 1) continue;
    const highest = high[highs[highHead]!]!;
    const lowest = low[lows[lowHead]!]!;
    const range = highest - lowest;
    k[t] = range > 0 ? (100 * (close[t]! - lowest)) / range : 50;
  }
  const d = simpleMovingAverage(k, dPeriod, kPeriod - 1);
  return { k: fillWarmup(k, stochasticWarmup(kPeriod, dPeriod)), d };
}

export const stochastic = defineIndicator({
  type: 'stochastic',
  params: stochasticParams,
  outputs: ['k', 'd'],
  warmup: ({ k_period, d_period }) => stochasticWarmup(k_period, d_period),
  compute: (bars, { k_period, d_period }) => ({ ...stochasticOscillator(bars.high, bars.low, bars.close, k_period, d_period) }),
});
