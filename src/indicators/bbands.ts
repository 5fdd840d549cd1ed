/**
 * Bollinger Bands: middle = SMA(period) of the source; sd = POPULATION standard
 * deviation of the same window (divide by period, as Bollinger and
 * technicalindicators do); upper/lower = middle +/- multiplier * sd;
 * width = (upper - lower) / middle.
 * Numerics: the window's mean and variance come from running sums of
 * deviations from a reference level K (S1 = sum(x - K), S2 = sum((x - K)^2)),
 * K being reset to the window's mean every RESYNC_INTERVAL bars, when both
 * sums are recomputed exactly. Near K the deviations are small and exact, so
 * neither the cancellation of sum(x^2) - n * mean^2 at large price levels nor
 * the drift of a sliding Welford update (which loses a 1e-3 spread on a 1e5
 * price within 1e6 bars) can build up. O(n): the resync costs O(period) per
 * interval.
 * Warm-up: period - 1 leading NaNs on every output.
 */
import { z } from 'zod';
import { integerParam, positiveNumberParam, sourceColumn, sourceParam } from './params.js';
import { defineIndicator } from './types.js';

export const bbandsParams = z.object({
  period: integerParam('period', 2, 20),
  multiplier: positiveNumberParam('multiplier', 2),
  source: sourceParam,
});

export interface BollingerOutputs {
  upper: Float64Array;
  middle: Float64Array;
  lower: Float64Array;
  width: Float64Array;
}

/** Bars between exact recomputations of the reference level and the window's sums. */
export const RESYNC_INTERVAL = 256;

export function bollingerBands(values: Float64Array, period: number, multiplier: number): BollingerOutputs {
  const n = values.length;
  const upper = new Float64Array(n).fill(Number.NaN);
  const middle = new Float64Array(n).fill(Number.NaN);
  const lower = new Float64Array(n).fill(Number.NaN);
  const width = new Float64Array(n).fill(Number.NaN);
  const resync = Math.max(RESYNC_INTERVAL, period);
  let reference = 0;
  let sum = 0;
  let sumOfSquares = 0;
  for (let t = period - 1; t < n; t++) {
    if (t === period - 1 || t % resync === 0) {
      reference = 0;
      for (let j = t - period + 1; j <= t; j++) reference += values[j]!;
      reference /= period;
      sum = 0;
      sumOfSquares = 0;
      for (let j = t - period + 1; j <= t; j++) {
        const deviation = values[j]! - reference;
        sum += deviation;
        sumOfSquares += deviation * deviation;
      }
    } else {
      const entering = values[t]! - reference;
      const leaving = values[t - period]! - reference;
      sum += entering - leaving;
      sumOfSquares += entering * entering - leaving * leaving;
    }
    const offset = sum / period;
    const variance = sumOfSquares / period - offset * offset;
    const band = multiplier * Math.sqrt(variance > 0 ? variance : 0);
    const mean = reference + offset;
    middle[t] = mean;
    upper[t] = mean + band;
    lower[t] = mean - band;
    width[t] = (2 * band) / mean;
  }
  return { upper, middle, lower, width };
}

export const bbands = defineIndicator({
  type: 'bbands',
  params: bbandsParams,
  outputs: ['upper', 'middle', 'lower', 'width'],
  warmup: ({ period }) => period - 1,
  compute: (bars, { period, multiplier, source }) => ({ ...bollingerBands(sourceColumn(bars, source), period, multiplier) }),
});
