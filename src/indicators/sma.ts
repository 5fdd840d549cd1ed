/**
 * Simple moving average: value[t] = mean(source[t-period+1 .. t]).
 * Warm-up: period - 1 leading NaNs.
 */
import { indicatorParams, intParam, sourceColumn, sourceParam } from './params.js';
import { simpleMovingAverage } from './smoothing.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const smaParams = indicatorParams('sma', { period: intParam('period', 20, 2, 500), source: sourceParam() });

export const sma = defineIndicator({
  type: 'sma',
  aliases: ['simplemovingaverage'],
  family: 'trend',
  params: smaParams,
  outputs: [],
  warmup: ({ period }) => period - 1,
  minBars: ({ period }) => period,
  compute: (bars, { period, source }) => ({ [SINGLE_OUTPUT]: simpleMovingAverage(sourceColumn(bars, source), period) }),
});
