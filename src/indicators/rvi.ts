/**
 * Relative Vigor Index (Ehlers): co = C - O, hl = H - L, each smoothed by the
 * symmetric 1-2-2-1 weights over bars t-3..t (/6); rvi = SMA(num, period) /
 * SMA(den, period) where the denominator is neither 0 nor NaN, else NaN;
 * signal = SMA(rvi, signal_period).
 * Warm-up: rvi period + 2 leading NaNs, signal period + signal_period + 1.
 */
import { indicatorParams, intParam } from './params.js';
import { simpleMovingAverage } from './smoothing.js';
import { defineIndicator } from './types.js';

export const rviParams = indicatorParams('rvi', { period: intParam('period', 10, 4, 100), signal_period: intParam('signal_period', 4, 1, 50) });

function symmetricWeighted(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let t = 3; t < values.length; t++) out[t] = (values[t - 3]! + 2 * values[t - 2]! + 2 * values[t - 1]! + values[t]!) / 6;
  return out;
}

export function relativeVigorIndex(
  open: Float64Array,
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  period: number,
  signalPeriod: number,
): { rvi: Float64Array; signal: Float64Array } {
  const n = close.length;
  const closeOpen = new Float64Array(n);
  const highLow = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    closeOpen[t] = close[t]! - open[t]!;
    highLow[t] = high[t]! - low[t]!;
  }
  const numerator = simpleMovingAverage(symmetricWeighted(closeOpen), period);
  const denominator = simpleMovingAverage(symmetricWeighted(highLow), period);
  const rvi = new Float64Array(n).fill(Number.NaN);
  for (let t = 0; t < n; t++) {
    const den = denominator[t]!;
    if (den !== 0 && den === den) rvi[t] = numerator[t]! / den;
  }
  return { rvi, signal: simpleMovingAverage(rvi, signalPeriod) };
}

export const rvi = defineIndicator({
  type: 'rvi',
  aliases: ['rviindicator'],
  family: 'momentum',
  params: rviParams,
  outputs: ['rvi', 'signal'],
  warmup: ({ period, signal_period }) => period + signal_period + 1,
  minBars: ({ period }) => period + 3,
  compute: (bars, { period, signal_period }) => ({ ...relativeVigorIndex(bars.open, bars.high, bars.low, bars.close, period, signal_period) }),
});
