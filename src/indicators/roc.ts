/**
 * Rate of change, in percent: 100 * (source[t] - source[t-period]) / source[t-period];
 * a zero base (only possible with source: volume) gives NaN, as the original
 * turns its infinities into NaN.
 * Warm-up: period leading NaNs.
 */
import { indicatorParams, intParam, sourceColumn, sourceParam } from './params.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const rocParams = indicatorParams('roc', { period: intParam('period', 10, 1, 100), source: sourceParam() });

export function rateOfChange(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  for (let t = period; t < n; t++) {
    const base = values[t - period]!;
    const value = (100 * (values[t]! - base)) / base;
    if (Number.isFinite(value)) out[t] = value;
  }
  return out;
}

export const roc = defineIndicator({
  type: 'roc',
  aliases: ['rocindicator'],
  family: 'momentum',
  params: rocParams,
  outputs: [],
  warmup: ({ period }) => period,
  minBars: ({ period }) => period + 1,
  compute: (bars, { period, source }) => ({ [SINGLE_OUTPUT]: rateOfChange(sourceColumn(bars, source), period) }),
});
