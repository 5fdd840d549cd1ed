/**
 * Exponential moving average: alpha = 2 / (period + 1), seeded with the SMA of
 * the first `period` values (TA-Lib and technicalindicators do the same;
 * trading-signals seeds with the first value), then
 * value[t] = value[t-1] + alpha * (source[t] - value[t-1]).
 * Warm-up: period - 1 leading NaNs.
 */
import { z } from 'zod';
import { integerParam, sourceColumn, sourceParam } from './params.js';
import { exponentialMovingAverage } from './smoothing.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const emaParams = z.object({ period: integerParam('period', 1), source: sourceParam });

export const ema = defineIndicator({
  type: 'ema',
  params: emaParams,
  outputs: [],
  warmup: ({ period }) => period - 1,
  compute: (bars, { period, source }) => ({ [SINGLE_OUTPUT]: exponentialMovingAverage(sourceColumn(bars, source), period) }),
});
