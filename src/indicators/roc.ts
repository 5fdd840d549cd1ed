/**
 * Rate of change, in percent: value[t] = 100 * (source[t] - source[t-period]) / source[t-period].
 * Warm-up: period leading NaNs. A zero base (only possible with
 * source: volume; prices are validated positive) has no rate of change and
 * gives NaN at that bar.
 */
import { z } from 'zod';
import { integerParam, sourceColumn, sourceParam } from './params.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const rocParams = z.object({ period: integerParam('period', 1), source: sourceParam });

export function rateOfChange(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  for (let t = period; t < n; t++) {
    const base = values[t - period]!;
    if (base !== 0) out[t] = (100 * (values[t]! - base)) / base;
  }
  return out;
}

export const roc = defineIndicator({
  type: 'roc',
  params: rocParams,
  outputs: [],
  warmup: ({ period }) => period,
  compute: (bars, { period, source }) => ({ [SINGLE_OUTPUT]: rateOfChange(sourceColumn(bars, source), period) }),
});
