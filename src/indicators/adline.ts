/**
 * Accumulation/Distribution line and the series the original derives from it:
 * line = cumulative sum of the money-flow volume; roc_10 = 100 * (line[t] /
 * line[t-10] - 1) (pandas pct_change: a zero base gives +-Infinity, or NaN for
 * 0 / 0); momentum_21 = line[t] - line[t-21]; relative_strength = 100 *
 * (line / mean of the last 50 line values (at least 20) - 1).
 * `use_sma_smoothing: true` made the original fail at run time (an extra
 * column); it is refused here when the file is loaded. `smoothing_period` is
 * accepted and has no effect.
 * Warm-up: roc_10 10, momentum_21 21, relative_strength 19 leading NaNs.
 */
import type { z } from 'zod';
import { booleanParam, indicatorParams, intParam } from './params.js';
import { moneyFlow } from './money-flow.js';
import { rollingMean } from './smoothing.js';
import { defineIndicator } from './types.js';

const smoothing = booleanParam('use_sma_smoothing', false, true);
export const adlineParams = indicatorParams('adline', {
  use_sma_smoothing: {
    schema: (smoothing.schema as z.ZodType<boolean, unknown>).refine((value) => value === false, {
      error: 'use_sma_smoothing: true is not supported (the earlier ktrdr fails on it at run time); leave it false',
    }),
    doc: { ...smoothing.doc, rule: 'false' },
  },
  smoothing_period: intParam('smoothing_period', 21, 2, 200),
});

export function accumulationDistribution(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array) {
  const n = close.length;
  const { multiplier, flowVolume } = moneyFlow(high, low, close, volume);
  const line = new Float64Array(n);
  let total = 0;
  for (let t = 0; t < n; t++) {
    total += flowVolume[t]!;
    line[t] = total;
  }
  const roc = new Float64Array(n).fill(Number.NaN);
  for (let t = 10; t < n; t++) roc[t] = 100 * (line[t]! / line[t - 10]! - 1);
  const momentum = new Float64Array(n).fill(Number.NaN);
  for (let t = 21; t < n; t++) momentum[t] = line[t]! - line[t - 21]!;
  const average = rollingMean(line, 50, 20);
  const relativeStrength = new Float64Array(n);
  for (let t = 0; t < n; t++) relativeStrength[t] = 100 * (line[t]! / average[t]! - 1);
  return { line, mf_multiplier: multiplier, mf_volume: flowVolume, roc_10: roc, momentum_21: momentum, relative_strength: relativeStrength };
}

export const adline = defineIndicator({
  type: 'adline',
  aliases: ['adlineindicator'],
  family: 'volume',
  params: adlineParams,
  outputs: ['line', 'mf_multiplier', 'mf_volume', 'roc_10', 'momentum_21', 'relative_strength'],
  warmup: () => 21,
  minBars: () => 1,
  compute: (bars) => ({ ...accumulationDistribution(bars.high, bars.low, bars.close, bars.volume) }),
});
