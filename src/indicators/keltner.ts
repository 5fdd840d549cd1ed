/**
 * Keltner Channels as the earlier ktrdr computes them: middle =
 * EWM(close, span = period, adjust = false) from bar 0; ATR = simple mean of
 * the true range over atr_period (bar 0's TR = high - low);
 * upper/lower = middle +/- multiplier * ATR.
 * Warm-up: middle none, upper/lower atr_period - 1 leading NaNs.
 */
import { indicatorParams, intParam, numberParam } from './params.js';
import { averageTrueRange } from './atr.js';
import { emaBySpan } from './smoothing.js';
import { defineIndicator } from './types.js';

export const keltnerParams = indicatorParams('keltnerchannels', {
  period: intParam('period', 20, 2, 500),
  atr_period: intParam('atr_period', 10, 2, 200),
  multiplier: numberParam('multiplier', 2, { above: 0, atMost: 10 }, false),
});

export interface ChannelOutputs {
  upper: Float64Array;
  middle: Float64Array;
  lower: Float64Array;
}

export function keltnerChannels(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  period: number,
  atrPeriod: number,
  multiplier: number,
): ChannelOutputs {
  const middle = emaBySpan(close, period);
  const range = averageTrueRange(high, low, close, atrPeriod);
  const upper = new Float64Array(close.length);
  const lower = new Float64Array(close.length);
  for (let t = 0; t < close.length; t++) {
    upper[t] = middle[t]! + multiplier * range[t]!;
    lower[t] = middle[t]! - multiplier * range[t]!;
  }
  return { upper, middle, lower };
}

export const keltnerchannels = defineIndicator({
  type: 'keltnerchannels',
  aliases: ['keltnerchannelsindicator'],
  family: 'volatility',
  params: keltnerParams,
  outputs: ['upper', 'middle', 'lower'],
  warmup: ({ atr_period }) => atr_period - 1,
  minBars: ({ period, atr_period }) => Math.max(period, atr_period) + 1,
  compute: (bars, { period, atr_period, multiplier }) => ({ ...keltnerChannels(bars.high, bars.low, bars.close, period, atr_period, multiplier) }),
});
