/**
 * Simple moving average: value[t] = mean(source[t-period+1 .. t]).
 * Warm-up: period - 1 leading NaNs.
 */
import { z } from 'zod';
import { integerParam, sourceColumn, sourceParam } from './params.js';
import { simpleMovingAverage } from './smoothing.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const smaParams = z.object({ period: integerParam('period', 1), source: sourceParam });

export const sma = defineIndicator({
  type: 'sma',
  params: smaParams,
  outputs: [],
  warmup: ({ period }) => period - 1,
  compute: (bars, { period, source }) => ({ [SINGLE_OUTPUT]: simpleMovingAverage(sourceColumn(bars, source), period) }),
});
