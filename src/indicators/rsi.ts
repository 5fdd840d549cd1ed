/**
 * Relative Strength Index (Wilder, 1978), as the earlier ktrdr computes it:
 * change[t] = source[t] - source[t-1]; the first average gain (loss) is the
 * simple mean of the gains (losses) of bars 1..period, giving the first RSI at
 * bar `period`; then avg = (avg * (period - 1) + current) / period.
 * RSI = 100 - 100 / (1 + avgGain / avgLoss); with no loss it is 100 when
 * something rose and 50 when nothing moved.
 * Warm-up: period leading NaNs.
 */
import { indicatorParams, intParam, sourceColumn, sourceParam } from './params.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const rsiParams = indicatorParams('rsi', { period: intParam('period', 14, 2, 100), source: sourceParam() });

const rsiOf = (avgGain: number, avgLoss: number): number => {
  if (avgLoss === 0) return avgGain > 0 ? 100 : 50;
  return 100 - 100 / (1 + avgGain / avgLoss);
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
    avgGain = (avgGain * (period - 1) + (change > 0 ? change : 0)) / period;
    avgLoss = (avgLoss * (period - 1) + (change < 0 ? -change : 0)) / period;
    out[t] = rsiOf(avgGain, avgLoss);
  }
  return out;
}

export const rsi = defineIndicator({
  type: 'rsi',
  aliases: ['rsiindicator'],
  family: 'momentum',
  params: rsiParams,
  outputs: [],
  warmup: ({ period }) => period,
  minBars: ({ period }) => period + 1,
  compute: (bars, { period, source }) => ({ [SINGLE_OUTPUT]: relativeStrengthIndex(sourceColumn(bars, source), period) }),
});
