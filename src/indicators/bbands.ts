/**
 * Bollinger Bands: middle = SMA(period) of the source; sd = SAMPLE standard
 * deviation of the same window (divide by period - 1, pandas' rolling std, as
 * the earlier ktrdr); upper/lower = middle +/- multiplier * sd. `width` =
 * (upper - lower) / middle is a ktrdr addition the original does not have (it
 * has the separate bollingerbandwidth type); the original's outputs come first,
 * so a bare reference still means `upper`.
 * Numerics: the window's mean and variance come from running sums of
 * deviations from a reference level K (S1 = sum(x - K), S2 = sum((x - K)^2)),
 * K being reset to the window's mean every RESYNC_INTERVAL bars, when both
 * sums are recomputed exactly. Near K the deviations are small and exact, so
 * neither the cancellation of sum(x^2) - n * mean^2 at large price levels nor
 * the drift of a sliding Welford update can build up.
 * Warm-up: period - 1 leading NaNs on every output.
 */
import { indicatorParams, intParam, numberParam, sourceColumn, sourceParam } from './params.js';
import { defineIndicator } from './types.js';

export const bbandsParams = indicatorParams('bollingerbands', {
  period: intParam('period', 20, 2, 200),
  multiplier: numberParam('multiplier', 2, { above: 0, atMost: 10 }, false),
  source: sourceParam(),
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
    const variance = (sumOfSquares - period * offset * offset) / (period - 1);
    const band = multiplier * Math.sqrt(variance > 0 ? variance : 0);
    const mean = reference + offset;
    middle[t] = mean;
    upper[t] = mean + band;
    lower[t] = mean - band;
    width[t] = (upper[t]! - lower[t]!) / mean;
  }
  return { upper, middle, lower, width };
}

export const bbands = defineIndicator({
  type: 'bollingerbands',
  aliases: ['bollingerbandsindicator', 'bbands'],
  family: 'volatility',
  params: bbandsParams,
  outputs: ['upper', 'middle', 'lower', 'width'],
  warmup: ({ period }) => period - 1,
  minBars: ({ period }) => period,
  compute: (bars, { period, multiplier, source }) => ({ ...bollingerBands(sourceColumn(bars, source), period, multiplier) }),
});

const bandwidthParams = indicatorParams('bollingerbandwidth', {
  period: intParam('period', 20, 2, 200),
  multiplier: numberParam('multiplier', 2, { above: 0, atMost: 10 }, false),
  source: sourceParam(),
});

/** (upper - lower) / middle where |middle| > 1e-10, else 0 — the warm-up rows included, as in the original. */
export function bollingerBandwidth(values: Float64Array, period: number, multiplier: number): Float64Array {
  const { upper, middle, lower } = bollingerBands(values, period, multiplier);
  const out = new Float64Array(values.length);
  for (let t = 0; t < values.length; t++) out[t] = Math.abs(middle[t]!) > 1e-10 ? (upper[t]! - lower[t]!) / middle[t]! : 0;
  return out;
}

export const bollingerbandwidth = defineIndicator({
  type: 'bollingerbandwidth',
  aliases: ['bollingerbandwidthindicator'],
  family: 'volatility',
  params: bandwidthParams,
  outputs: [],
  warmup: () => 0,
  minBars: ({ period }) => period,
  compute: (bars, { period, multiplier, source }) => ({ value: bollingerBandwidth(sourceColumn(bars, source), period, multiplier) }),
});
