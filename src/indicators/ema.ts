/**
 * Exponential moving average as the earlier ktrdr computes it: pandas
 * EWM(span = period), alpha = 2 / (period + 1), ADJUSTED by default (each value
 * is the normalised weighted mean of every value so far, so there is no seed
 * and no warm-up); `adjust: false` gives the recursive form started at the
 * first value. The original's test-only quirk (a ramp multiplied in when the
 * first close is exactly 100 and the fifth exactly 140) is not reproduced.
 * Warm-up: none.
 */
import { booleanParam, indicatorParams, intParam, sourceColumn, sourceParam } from './params.js';
import { ewm, spanAlpha } from './smoothing.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const emaParams = indicatorParams('ema', {
  period: intParam('period', 20, 1, 500),
  source: sourceParam(),
  adjust: booleanParam('adjust', true, true),
});

export function exponentialMovingAverage(values: Float64Array, period: number, adjust: boolean): Float64Array {
  return ewm(values, spanAlpha(period), adjust);
}

export const ema = defineIndicator({
  type: 'ema',
  aliases: ['exponentialmovingaverage'],
  family: 'trend',
  params: emaParams,
  outputs: [],
  warmup: () => 0,
  minBars: ({ period }) => period,
  compute: (bars, { period, source, adjust }) => ({ [SINGLE_OUTPUT]: exponentialMovingAverage(sourceColumn(bars, source), period, adjust) }),
});
