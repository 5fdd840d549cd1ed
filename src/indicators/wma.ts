/**
 * Weighted moving average: sum(w_i * x_i) / sum(w_i) over the last `period`
 * values with weights 1..period (newest = period). O(n): the weighted sum moves
 * by period * x[t] - (plain window sum), both re-summed exactly every
 * RESUM_INTERVAL bars so rounding cannot pile up.
 * Warm-up: period - 1 leading NaNs.
 */
import { indicatorParams, intParam, sourceColumn, sourceParam } from './params.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const wmaParams = indicatorParams('wma', { period: intParam('period', 20, 2, 500), source: sourceParam() });

const RESUM_INTERVAL = 1024;

export function weightedMovingAverage(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const divisor = (period * (period + 1)) / 2;
  let weighted = 0;
  let plain = 0;
  for (let t = period - 1; t < n; t++) {
    if (t === period - 1 || t % RESUM_INTERVAL === 0) {
      weighted = 0;
      plain = 0;
      for (let j = 0; j < period; j++) {
        const x = values[t - period + 1 + j]!;
        weighted += (j + 1) * x;
        plain += x;
      }
    } else {
      // Every older value loses one weight step, the new one enters with weight `period`.
      weighted += period * values[t]! - plain;
      plain += values[t]! - values[t - period]!;
    }
    out[t] = weighted / divisor;
  }
  return out;
}

export const wma = defineIndicator({
  type: 'wma',
  aliases: ['weightedmovingaverage'],
  family: 'trend',
  params: wmaParams,
  outputs: [],
  warmup: ({ period }) => period - 1,
  minBars: ({ period }) => period,
  compute: (bars, { period, source }) => ({ [SINGLE_OUTPUT]: weightedMovingAverage(sourceColumn(bars, source), period) }),
});
