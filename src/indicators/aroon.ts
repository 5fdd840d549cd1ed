/**
 * Aroon (Chande), over a window of the last `period` bars including the
 * current one (the original's window; the textbook one has period + 1 bars):
 * k = bars since the window's highest high, the oldest one on a tie;
 * up = 100 * (period - k) / period; down likewise with the lowest low;
 * oscillator = up - down. `include_oscillator` is accepted and has no effect
 * (the oscillator is always produced), as in the original.
 * Warm-up: period - 1 leading NaNs.
 */
import { booleanParam, indicatorParams, intParam } from './params.js';
import { defineIndicator } from './types.js';

export const aroonParams = indicatorParams('aroon', {
  period: intParam('period', 14, 1, 200),
  include_oscillator: booleanParam('include_oscillator', false, true),
});

/** For each t, how many bars ago the window's extreme was (oldest on a tie): a monotonic queue that keeps equal older values. */
function barsSinceExtreme(values: Float64Array, period: number, newerWins: (newer: number, older: number) => boolean): Int32Array {
  const n = values.length;
  const out = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let t = 0; t < n; t++) {
    while (tail > head && newerWins(values[t]!, values[queue[tail - 1]!]!)) tail--;
    queue[tail++] = t;
    if (queue[head]! <= t - period) head++;
    if (t >= period - 1) out[t] = t - queue[head]!;
  }
  return out;
}

export function aroonIndicator(high: Float64Array, low: Float64Array, period: number): { up: Float64Array; down: Float64Array; oscillator: Float64Array } {
  const n = high.length;
  const sinceHigh = barsSinceExtreme(high, period, (newer, older) => newer > older);
  const sinceLow = barsSinceExtreme(low, period, (newer, older) => newer < older);
  const up = new Float64Array(n).fill(Number.NaN);
  const down = new Float64Array(n).fill(Number.NaN);
  const oscillator = new Float64Array(n).fill(Number.NaN);
  for (let t = period - 1; t < n; t++) {
    up[t] = (100 * (period - sinceHigh[t]!)) / period;
    down[t] = (100 * (period - sinceLow[t]!)) / period;
    oscillator[t] = up[t]! - down[t]!;
  }
  return { up, down, oscillator };
}

export const aroon = defineIndicator({
  type: 'aroon',
  aliases: ['aroonindicator'],
  family: 'momentum',
  params: aroonParams,
  outputs: ['up', 'down', 'oscillator'],
  warmup: ({ period }) => period - 1,
  minBars: ({ period }) => period,
  compute: (bars, { period }) => ({ ...aroonIndicator(bars.high, bars.low, period) }),
});
