/**
 * The moving averages the indicators are built from, over Float64Array in
 * O(n). Each reads `values[from..]` as its series (`from` lets MACD's signal
 * line and ADX smooth a series that itself starts after a warm-up) and returns
 * an array as long as `values`, NaN before its first defined index.
 *
 * Conventions (docs/indicators.md):
 * - SMA: mean of the last `period` values, first defined at from + period - 1.
 * - EMA: alpha = 2 / (period + 1), seeded with the SMA of the first `period`
 *   values (first defined at from + period - 1), then e += alpha * (x - e).
 *   This is the TA-Lib / technicalindicators convention; trading-signals seeds
 *   with the first value instead, which differs only until the seed decays.
 * - Wilder smoothing (RMA): alpha = 1 / period, seeded the same way; J. Welles
 *   Wilder, "New Concepts in Technical Trading Systems" (1978), as used by
 *   RSI, ATR and ADX.
 */

/** Bars between exact re-summations of the SMA window, so rounding cannot pile up over a long series. */
const RESUM_INTERVAL = 1024;

/** Simple moving average: mean of the last `period` values, a running sum re-summed every RESUM_INTERVAL bars. */
export function simpleMovingAverage(values: Float64Array, period: number, from = 0): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const first = from + period - 1;
  if (first >= n) return out;
  const resum = Math.max(RESUM_INTERVAL, period);
  let sum = 0;
  for (let i = from; i < first; i++) sum += values[i]!;
  for (let i = first; i < n; i++) {
    if (i % resum === 0) {
      sum = 0;
      for (let j = i - period + 1; j <= i; j++) sum += values[j]!;
    } else {
      sum += values[i]!;
    }
    out[i] = sum / period;
    sum -= values[i - period + 1]!;
  }
  return out;
}

/** Exponential smoothing with factor `alpha`, seeded with the mean of the first `period` values. */
export function seededExponentialSmoothing(values: Float64Array, period: number, alpha: number, from = 0): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const first = from + period - 1;
  if (first >= n) return out;
  let sum = 0;
  for (let i = from; i <= first; i++) sum += values[i]!;
  let smoothed = sum / period;
  out[first] = smoothed;
  for (let i = first + 1; i < n; i++) {
    smoothed += alpha * (values[i]! - smoothed);
    out[i] = smoothed;
  }
  return out;
}

/** EMA, alpha 2 / (period + 1), SMA-seeded. */
export function exponentialMovingAverage(values: Float64Array, period: number, from = 0): Float64Array {
  return seededExponentialSmoothing(values, period, 2 / (period + 1), from);
}

/** Wilder's smoothing, alpha 1 / period, SMA-seeded. */
export function wilderSmoothing(values: Float64Array, period: number, from = 0): Float64Array {
  return seededExponentialSmoothing(values, period, 1 / period, from);
}
