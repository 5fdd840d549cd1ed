/**
 * The two zig-zag pivot finders of the original's label modules. Each pivot
 * also says at which bar it became final (`confirmedAt`), which is how far a
 * label built on it looked ahead.
 */

export interface Pivots {
  /** Bar indices of the pivots, ascending; bar 0 first. */
  readonly index: number[];
  /** The bar at which each pivot stopped moving (the last bar for the final, unconfirmed one). */
  readonly confirmedAt: number[];
}

/**
 * 7.8.1: bar 0 is a pivot; once a move of `threshold` from it sets a
 * direction, a new extreme in that direction moves the last pivot, and a
 * move of `threshold` against it adds a pivot.
 */
export function zigzagPivots(close: Float64Array, threshold: number): Pivots {
  const n = close.length;
  const index: number[] = n > 0 ? [0] : [];
  const confirmedAt: number[] = n > 0 ? [0] : [];
  let extremePrice = close[0] as number;
  let direction = 0;
  for (let i = 1; i < n; i++) {
    const price = close[i] as number;
    const change = (price - extremePrice) / extremePrice;
    const moveLast = () => {
      index[index.length - 1] = i;
      extremePrice = price;
    };
    const add = (to: number) => {
      confirmedAt[confirmedAt.length - 1] = i;
      index.push(i);
      confirmedAt.push(i);
      extremePrice = price;
      direction = to;
    };
    if (direction === 0) {
      if (Math.abs(change) >= threshold) add(Math.sign(change));
    } else if (direction > 0) {
      if (price > extremePrice) moveLast();
      else if (change <= -threshold) add(-1);
    } else if (price < extremePrice) moveLast();
    else if (change >= threshold) add(1);
  }
  // The last pivot is only the latest extreme: it is settled by the last bar read.
  if (n > 0) confirmedAt[confirmedAt.length - 1] = n - 1;
  return { index, confirmedAt };
}

/**
 * 7.8.5 step 2: a pivot is recorded only when the price reverses from the
 * running extreme by `threshold` (the recorded pivot is that extreme); bar 0
 * is the first pivot and the final running extreme is appended.
 */
export function reversalPivots(close: Float64Array, threshold: number): Pivots {
  const n = close.length;
  if (n === 0) return { index: [], confirmedAt: [] };
  const index = [0];
  const confirmedAt = [0];
  let trend = 0;
  let extremeIndex = 0;
  let extremePrice = close[0] as number;
  for (let i = 1; i < n; i++) {
    const price = close[i] as number;
    const pivotPrice = close[index[index.length - 1] as number] as number;
    if (trend === 0) {
      if (price >= pivotPrice * (1 + threshold)) trend = 1;
      else if (price <= pivotPrice * (1 - threshold)) trend = -1;
      if (trend !== 0) {
        extremeIndex = i;
        extremePrice = price;
      }
    } else if (trend > 0 ? price > extremePrice : price < extremePrice) {
      extremeIndex = i;
      extremePrice = price;
    } else if (trend > 0 ? price <= extremePrice * (1 - threshold) : price >= extremePrice * (1 + threshold)) {
      index.push(extremeIndex);
      confirmedAt.push(i);
      trend = -trend;
      extremeIndex = i;
      extremePrice = price;
    }
  }
  if (extremeIndex !== index[index.length - 1]) {
    index.push(extremeIndex);
    confirmedAt.push(n - 1);
  }
  return { index, confirmedAt };
}
