/**
 * Average True Range (Wilder, 1978).
 * TR[t] = max(high[t] - low[t], |high[t] - close[t-1]|, |low[t] - close[t-1]|)
 * for t >= 1 (bar 0 has no previous close, so no TR — the TA-Lib and
 * technicalindicators convention; trading-signals uses high - low there).
 * ATR is TR under Wilder smoothing (alpha 1 / period) seeded with the simple
 * mean of TR[1 .. period]: first value at t = period.
 * Warm-up: period leading NaNs.
 *
 * ATR reads high, low and close. `source` is accepted (docs/architecture.md §6.2 lists it for
 * atr) but may only be 'close', so a setting that would be ignored is refused.
 */
import { z } from 'zod';
import { integerParam } from './params.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const atrParams = z.object({
  period: integerParam('period', 1, 14),
  source: z
    .literal('close', {
      error: (issue) => `source may only be 'close' for atr, which reads high, low and close (got ${JSON.stringify(issue.input)})`,
    })
    .default('close'),
});

/** True range at t >= 1. */
export function trueRangeAt(high: Float64Array, low: Float64Array, close: Float64Array, t: number): number {
  const h = high[t]!;
  const l = low[t]!;
  const previousClose = close[t - 1]!;
  return Math.max(h - l, Math.abs(h - previousClose), Math.abs(l - previousClose));
}

export function averageTrueRange(high: Float64Array, low: Float64Array, close: Float64Array, period: number): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (period >= n) return out;
  let atr = 0;
  for (let t = 1; t <= period; t++) atr += trueRangeAt(high, low, close, t);
  atr /= period;
  out[period] = atr;
  for (let t = period + 1; t < n; t++) {
    atr += (trueRangeAt(high, low, close, t) - atr) / period;
    out[t] = atr;
  }
  return out;
}

export const atr = defineIndicator({
  type: 'atr',
  params: atrParams,
  outputs: [],
  warmup: ({ period }) => period,
  compute: (bars, { period }) => ({ [SINGLE_OUTPUT]: averageTrueRange(bars.high, bars.low, bars.close, period) }),
});
