/**
 * Relative Strength Index (Wilder, 1978).
 * change[t] = source[t] - source[t-1]; gain = max(change, 0), loss = max(-change, 0).
 * Average gain and loss use Wilder smoothing (alpha 1 / period) seeded with the
 * simple mean of the first `period` changes (t = 1 .. period), so the first
 * RSI is at t = period; then avg += (x - avg) / period.
 * RSI = 100 * avgGain / (avgGain + avgLoss)  (= 100 - 100 / (1 + RS)).
 * A flat window (no gain, no loss) reads 50, neither overbought nor oversold;
 * technicalindicators and trading-signals report 100 there.
 * Warm-up: period leading NaNs.
 */
import { z } from 'zod';
import { integerParam, sourceColumn, sourceParam } from './params.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const rsiParams = z.object({ period: integerParam('period', 1, 14), source: sourceParam });

const rsiOf = (avgGain: number, avgLoss: number): number => {
  const total = avgGain + avgLoss;
  return total === 0 ? 50 : (100 * avgGain) / total;
};

export function relativeStrengthIndex(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (period >= n) return out;
  let avgGain = 0;
  let avgLoss = 0;
  for (let t = 1; t <= period; t++) {
    const change = values[t]! - values[t - 1]!;
    if (change > 0) avgGain += change;
    else avgLoss -= change;
  }
  avgGain /= period;
  avgLoss /= period;
  out[period] = rsiOf(avgGain, avgLoss);
  for (let t = period + 1; t < n; t++) {
    const change = values[t]! - values[t - 1]!;
    avgGain += ((change > 0 ? change : 0) - avgGain) / period;
    avgLoss += ((change < 0 ? -change : 0) - avgLoss) / period;
    out[t] = rsiOf(avgGain, avgLoss);
  }
  return out;
}

export const rsi = defineIndicator({
  type: 'rsi',
  params: rsiParams,
  outputs: [],
  warmup: ({ period }) => period,
  compute: (bars, { period, source }) => ({ [SINGLE_OUTPUT]: relativeStrengthIndex(sourceColumn(bars, source), period) }),
});
