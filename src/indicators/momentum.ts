/**
 * Momentum: source[t] - source[t-period].
 * Warm-up: period leading NaNs.
 */
import { indicatorParams, intParam, sourceColumn, sourceParam } from './params.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const momentumParams = indicatorParams('momentum', { period: intParam('period', 10, 1, 100), source: sourceParam() });

export function priceMomentum(values: Float64Array, period: number): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let t = period; t < values.length; t++) out[t] = values[t]! - values[t - period]!;
  return out;
}

export const momentum = defineIndicator({
  type: 'momentum',
  aliases: ['momentumindicator'],
  family: 'momentum',
  params: momentumParams,
  outputs: [],
  warmup: ({ period }) => period,
  minBars: ({ period }) => period + 1,
  compute: (bars, { period, source }) => ({ [SINGLE_OUTPUT]: priceMomentum(sourceColumn(bars, source), period) }),
});
