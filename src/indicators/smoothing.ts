/**
 * The window and smoothing primitives the indicators are built from, over
 * Float64Array in O(n), each following the pandas operation the earlier ktrdr
 * used, so the indicators reproduce its numbers:
 * - rollingMean(x, w, minPeriods): pandas `rolling(w, min_periods).mean()`:
 *   NaN inputs are skipped, NaN until `minPeriods` valid values are in the window.
 * - rollingMax / rollingMin: `rolling(w).max()/min()`, NaN for the first w - 1.
 * - ewm(x, alpha, adjust): pandas `ewm(alpha, adjust).mean()` (ignore_na false),
 *   step for step, so the results are the same doubles: leading NaNs stay NaN,
 *   the recursion starts at the first valid value, an interior NaN repeats the
 *   last value and only discounts the old weight.
 * - spanAlpha(span): pandas' alpha for `span`, 1 / (1 + (span - 1) / 2).
 * - trueRange: max(H - L, |H - Cprev|, |L - Cprev|), bar 0 = H - L (the
 *   original takes the row maximum of the three and pandas skips bar 0's NaNs).
 */

/** Bars between exact re-summations of a running window sum, so rounding cannot pile up over a long series. */
const RESUM_INTERVAL = 1024;

export function rollingMean(values: Float64Array, window: number, minPeriods = window): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  let sum = 0;
  let count = 0;
  for (let t = 0; t < n; t++) {
    if (t % RESUM_INTERVAL === 0 && t >= window) {
      sum = 0;
      count = 0;
      for (let j = t - window + 1; j < t; j++) {
        const x = values[j]!;
        if (x === x) {
          sum += x;
          count++;
        }
      }
    } else if (t >= window) {
      const leaving = values[t - window]!;
      if (leaving === leaving) {
        sum -= leaving;
        count--;
      }
    }
    const x = values[t]!;
    if (x === x) {
      sum += x;
      count++;
    }
    if (count >= minPeriods && count > 0) out[t] = sum / count;
  }
  return out;
}

/** Simple moving average: the mean of the last `period` values, NaN until there are `period` of them. */
export function simpleMovingAverage(values: Float64Array, period: number): Float64Array {
  return rollingMean(values, period, period);
}

function rollingExtreme(values: Float64Array, window: number, keepsNewer: (newer: number, older: number) => boolean): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  // Indices of the values that may still be the window's extreme, oldest first.
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let t = 0; t < n; t++) {
    const x = values[t]!;
    while (tail > head && keepsNewer(x, values[queue[tail - 1]!]!)) tail--;
    queue[tail++] = t;
    if (queue[head]! <= t - window) head++;
    if (t >= window - 1) out[t] = values[queue[head]!]!;
  }
  return out;
}

export function rollingMax(values: Float64Array, window: number): Float64Array {
  return rollingExtreme(values, window, (newer, older) => newer >= older);
}

export function rollingMin(values: Float64Array, window: number): Float64Array {
  return rollingExtreme(values, window, (newer, older) => newer <= older);
}

export const spanAlpha = (span: number): number => 1 / (1 + (span - 1) / 2);

export function ewm(values: Float64Array, alpha: number, adjust: boolean): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const oldWeightFactor = 1 - alpha;
  const newWeight = adjust ? 1 : alpha;
  let weighted = values[0]!;
  let oldWeight = 1;
  out[0] = weighted;
  for (let t = 1; t < n; t++) {
    const x = values[t]!;
    const observed = x === x;
    if (weighted === weighted) {
      oldWeight *= oldWeightFactor;
      if (observed) {
        if (weighted !== x) {
          weighted = oldWeight * weighted + newWeight * x;
          weighted /= oldWeight + newWeight;
        }
        oldWeight = adjust ? oldWeight + newWeight : 1;
      }
    } else if (observed) {
      weighted = x;
    }
    out[t] = weighted;
  }
  return out;
}

/** EWM(span, adjust = false): the original's "EMA" inside MACD, Keltner, Fisher and CMF. */
export function emaBySpan(values: Float64Array, span: number): Float64Array {
  return ewm(values, spanAlpha(span), false);
}

/** Wilder's smoothing as the original computes it: EWM with alpha 1 / period from bar 0, no SMA seed. */
export function wilder(values: Float64Array, period: number): Float64Array {
  return ewm(values, 1 / period, false);
}

export function trueRange(high: Float64Array, low: Float64Array, close: Float64Array): Float64Array {
  const n = close.length;
  const out = new Float64Array(n);
  if (n > 0) out[0] = high[0]! - low[0]!;
  for (let t = 1; t < n; t++) {
    const h = high[t]!;
    const l = low[t]!;
    const previousClose = close[t - 1]!;
    out[t] = Math.max(h - l, Math.abs(h - previousClose), Math.abs(l - previousClose));
  }
  return out;
}

/** values[t - k] at t, NaN for the first k. */
export function shift(values: Float64Array, k: number): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let t = k; t < values.length; t++) out[t] = values[t - k]!;
  return out;
}
