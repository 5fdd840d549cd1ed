/**
 * MACD (Appel) as the earlier ktrdr computes it: line = EWM(fast_period) -
 * EWM(slow_period) of the source, signal = EWM(signal_period) of the line,
 * histogram = line - signal, every EWM pandas' span form with adjust = false,
 * started at bar 0 (so line[0] = 0 and nothing is NaN). `fast`, `slow` and
 * `signal` are accepted as the `_period` names (the original dropped them
 * silently). As in the original, fast_period need not be below slow_period.
 * Warm-up: none.
 */
import { indicatorParams, intParam, sourceColumn, sourceParam } from './params.js';
import { emaBySpan } from './smoothing.js';
import { defineIndicator } from './types.js';

export const macdParams = indicatorParams(
  'macd',
  {
    fast_period: intParam('fast_period', 12, 1, 100),
    slow_period: intParam('slow_period', 26, 1, 200),
    signal_period: intParam('signal_period', 9, 1, 50),
    source: sourceParam(),
  },
  { fast: 'fast_period', slow: 'slow_period', signal: 'signal_period' },
);

export interface MacdOutputs {
  line: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}

export function movingAverageConvergenceDivergence(values: Float64Array, fastPeriod: number, slowPeriod: number, signalPeriod: number): MacdOutputs {
  const n = values.length;
  const fast = emaBySpan(values, fastPeriod);
  const slow = emaBySpan(values, slowPeriod);
  const line = new Float64Array(n);
  for (let t = 0; t < n; t++) line[t] = fast[t]! - slow[t]!;
  const signal = emaBySpan(line, signalPeriod);
  const histogram = new Float64Array(n);
  for (let t = 0; t < n; t++) histogram[t] = line[t]! - signal[t]!;
  return { line, signal, histogram };
}

export const macd = defineIndicator({
  type: 'macd',
  aliases: ['macdindicator'],
  family: 'trend',
  params: macdParams,
  outputs: ['line', 'signal', 'histogram'],
  warmup: () => 0,
  minBars: ({ fast_period, slow_period, signal_period }) => Math.max(fast_period, slow_period) + signal_period,
  compute: (bars, { fast_period, slow_period, signal_period, source }) => ({
    ...movingAverageConvergenceDivergence(sourceColumn(bars, source), fast_period, slow_period, signal_period),
  }),
});
