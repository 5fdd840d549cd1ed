/**
 * Average True Range as the earlier ktrdr computes it: the SIMPLE mean of the
 * true range over `period` bars (not Wilder's smoothing), with bar 0's true
 * range = high - low.
 * Warm-up: period - 1 leading NaNs.
 */
import { indicatorParams, intParam } from './params.js';
import { simpleMovingAverage, trueRange } from './smoothing.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const atrParams = indicatorParams('atr', { period: intParam('period', 14, 1, 100) });

export function averageTrueRange(high: Float64Array, low: Float64Array, close: Float64Array, period: number): Float64Array {
  return simpleMovingAverage(trueRange(high, low, close), period);
}

export const atr = defineIndicator({
  type: 'atr',
  aliases: ['atrindicator'],
  family: 'volatility',
  params: atrParams,
  outputs: [],
  warmup: ({ period }) => period - 1,
  minBars: ({ period }) => period + 1,
  compute: (bars, { period }) => ({ [SINGLE_OUTPUT]: averageTrueRange(bars.high, bars.low, bars.close, period) }),
});
