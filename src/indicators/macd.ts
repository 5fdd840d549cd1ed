/**
 * MACD (Appel): line = EMA(fast_period) - EMA(slow_period) of the source,
 * signal = EMA(signal_period) of the line, histogram = line - signal.
 * Every EMA is alpha 2 / (n + 1), seeded with the SMA of its first n inputs,
 * each started at bar 0 (technicalindicators with SimpleMAOscillator and
 * SimpleMASignal false does the same; TA-Lib aligns the fast EMA's seed with the
 * slow one instead). The line exists from slow_period - 1; the signal's seed is
 * the mean of the first signal_period line values.
 * Warm-up: slow_period + signal_period - 2 leading NaNs on every output (the
 * line is held back until the signal exists, so all three start together).
 */
import { z } from 'zod';
import { integerParam, sourceColumn, sourceParam } from './params.js';
import { exponentialMovingAverage } from './smoothing.js';
import { defineIndicator, fillWarmup } from './types.js';

export const macdParams = z
  .object({
    fast_period: integerParam('fast_period', 1, 12),
    slow_period: integerParam('slow_period', 2, 26),
    signal_period: integerParam('signal_period', 1, 9),
    source: sourceParam,
  })
  .superRefine((params, ctx) => {
    if (params.fast_period >= params.slow_period) {
      ctx.addIssue({
        code: 'custom',
        path: ['fast_period'],
        message: `fast_period must be < slow_period (got fast_period ${params.fast_period}, slow_period ${params.slow_period})`,
      });
    }
  });

export interface MacdOutputs {
  line: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}

export const macdWarmup = (slowPeriod: number, signalPeriod: number): number => slowPeriod + signalPeriod - 2;

export function movingAverageConvergenceDivergence(
  values: Float64Array,
  fastPeriod: number,
  slowPeriod: number,
  signalPeriod: number,
): MacdOutputs {
  const n = values.length;
  const fast = exponentialMovingAverage(values, fastPeriod);
  const line = exponentialMovingAverage(values, slowPeriod);
  for (let t = slowPeriod - 1; t < n; t++) line[t] = fast[t]! - line[t]!;
  const signal = exponentialMovingAverage(line, signalPeriod, slowPeriod - 1);
  const histogram = new Float64Array(n);
  for (let t = 0; t < n; t++) histogram[t] = line[t]! - signal[t]!;
  const warmup = macdWarmup(slowPeriod, signalPeriod);
  return { line: fillWarmup(line, warmup), signal, histogram: fillWarmup(histogram, warmup) };
}

export const macd = defineIndicator({
  type: 'macd',
  params: macdParams,
  outputs: ['line', 'signal', 'histogram'],
  warmup: ({ slow_period, signal_period }) => macdWarmup(slow_period, signal_period),
  compute: (bars, { fast_period, slow_period, signal_period, source }) => ({
    ...movingAverageConvergenceDivergence(sourceColumn(bars, source), fast_period, slow_period, signal_period),
  }),
});
