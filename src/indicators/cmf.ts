/**
 * Chaikin Money Flow and the series the original derives from it: cmf =
 * sum(mfv) / sum(V) over `period` bars (0 where no volume); momentum = cmf[t] -
 * cmf[t-5]; signal = EWM(cmf, span 9, adjust = false) from cmf's first value;
 * histogram = cmf - signal; above_zero / below_zero = 1 where cmf > 0 / < 0,
 * else 0 (the original's booleans, 0 during the warm-up too).
 * Warm-up: cmf, mf-, signal and histogram period - 1 leading NaNs, momentum
 * period + 4.
 */
import { indicatorParams, intParam } from './params.js';
import { moneyFlow } from './money-flow.js';
import { emaBySpan, rollingMean } from './smoothing.js';
import { defineIndicator } from './types.js';

export const cmfParams = indicatorParams('cmf', { period: intParam('period', 21, 2, 500) });

export function chaikinMoneyFlow(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array, period: number) {
  const n = close.length;
  const { multiplier, flowVolume } = moneyFlow(high, low, close, volume);
  // Ratio of window means = ratio of window sums.
  const meanFlow = rollingMean(flowVolume, period);
  const meanVolume = rollingMean(volume, period);
  const cmf = new Float64Array(n).fill(Number.NaN);
  for (let t = period - 1; t < n; t++) cmf[t] = meanVolume[t] !== 0 ? meanFlow[t]! / meanVolume[t]! : 0;
  const momentum = new Float64Array(n).fill(Number.NaN);
  for (let t = 5; t < n; t++) momentum[t] = cmf[t]! - cmf[t - 5]!;
  const signal = emaBySpan(cmf, 9);
  const histogram = new Float64Array(n);
  const aboveZero = new Float64Array(n);
  const belowZero = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    histogram[t] = cmf[t]! - signal[t]!;
    aboveZero[t] = cmf[t]! > 0 ? 1 : 0;
    belowZero[t] = cmf[t]! < 0 ? 1 : 0;
  }
  return {
    cmf,
    mf_multiplier: multiplier,
    mf_volume: flowVolume,
    momentum,
    signal,
    histogram,
    above_zero: aboveZero,
    below_zero: belowZero,
  };
}

export const cmf = defineIndicator({
  type: 'cmf',
  aliases: ['cmfindicator'],
  family: 'volume',
  params: cmfParams,
  outputs: ['cmf', 'mf_multiplier', 'mf_volume', 'momentum', 'signal', 'histogram', 'above_zero', 'below_zero'],
  warmup: ({ period }) => period + 4,
  minBars: ({ period }) => period,
  compute: (bars, { period }) => ({ ...chaikinMoneyFlow(bars.high, bars.low, bars.close, bars.volume, period) }),
});
