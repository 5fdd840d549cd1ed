/**
 * ZigZag pivots: the source's value at each swing extreme, NaN elsewhere. Bar 0
 * is a pivot; the first move of at least `threshold` (a fraction) from it sets
 * the direction and makes a pivot; while rising, a higher value moves the last
 * pivot there, a fall of `threshold` from it makes a new pivot and turns down
 * (mirrored while falling). The last pivot can still move with later bars, so
 * this series looks ahead: the original offers it as an indicator, and so does
 * ktrdr, but a model fed with it learns from the future.
 * Warm-up: none (NaN between pivots by design).
 */
import { indicatorParams, numberParam, sourceColumn, sourceParam } from './params.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const zigzagParams = indicatorParams('zigzag', {
  threshold: numberParam('threshold', 0.05, { above: 0, below: 1 }, true),
  source: sourceParam(),
});

export function zigzagPivots(values: Float64Array, threshold: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (n === 0) return out;
  let extremeIndex = 0;
  let extreme = values[0]!;
  let direction = 0;
  out[0] = extreme;
  const pivot = (t: number, value: number) => {
    out[t] = value;
    extremeIndex = t;
    extreme = value;
  };
  for (let t = 1; t < n; t++) {
    const value = values[t]!;
    const change = (value - extreme) / extreme;
    if (direction === 0) {
      if (Math.abs(change) >= threshold) {
        direction = change > 0 ? 1 : -1;
        pivot(t, value);
      }
    } else if (direction === 1) {
      if (value > extreme) {
        out[extremeIndex] = Number.NaN;
        pivot(t, value);
      } else if (change <= -threshold) {
        direction = -1;
        pivot(t, value);
      }
    } else if (value < extreme) {
      out[extremeIndex] = Number.NaN;
      pivot(t, value);
    } else if (change >= threshold) {
      direction = 1;
      pivot(t, value);
    }
  }
  return out;
}

export const zigzag = defineIndicator({
  type: 'zigzag',
  aliases: ['zigzagindicator'],
  family: 'other',
  params: zigzagParams,
  outputs: [],
  warmup: () => 0,
  minBars: () => 3,
  compute: (bars, { threshold, source }) => ({ [SINGLE_OUTPUT]: zigzagPivots(sourceColumn(bars, source), threshold) }),
});
