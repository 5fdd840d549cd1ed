/**
 * Distance from a moving average, in percent: 100 * (P - MA) / MA, with MA the
 * sma or (adjusted) ema of the source; NaN where the MA is NaN, 0 where
 * |MA| <= 1e-10. `ma_type` is exactly SMA or EMA (upper case), as in the original.
 * Warm-up: as the MA (period - 1 for SMA, none for EMA).
 */
import { choiceParam, indicatorParams, intParam, sourceColumn, sourceParam } from './params.js';
import { exponentialMovingAverage } from './ema.js';
import { simpleMovingAverage } from './smoothing.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const distanceParams = indicatorParams('distancefromma', {
  period: intParam('period', 20, 1, 200),
  ma_type: choiceParam('ma_type', ['SMA', 'EMA'] as const, 'SMA'),
  source: sourceParam(),
});

export function distanceFromMovingAverage(values: Float64Array, period: number, maType: 'SMA' | 'EMA'): Float64Array {
  const average = maType === 'SMA' ? simpleMovingAverage(values, period) : exponentialMovingAverage(values, period, true);
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let t = 0; t < values.length; t++) {
    const ma = average[t]!;
    if (ma === ma) out[t] = Math.abs(ma) > 1e-10 ? (100 * (values[t]! - ma)) / ma : 0;
  }
  return out;
}

export const distancefromma = defineIndicator({
  type: 'distancefromma',
  aliases: ['distancefrommaindicator'],
  family: 'other',
  params: distanceParams,
  outputs: [],
  warmup: ({ period, ma_type }) => (ma_type === 'SMA' ? period - 1 : 0),
  minBars: ({ period }) => period,
  compute: (bars, { period, ma_type, source }) => ({ [SINGLE_OUTPUT]: distanceFromMovingAverage(sourceColumn(bars, source), period, ma_type) }),
});
