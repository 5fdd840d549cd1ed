/** The predicted class of a row of scores. */

/** Index of the largest of `values[offset .. offset + count)`, the first on a tie; -1 if all are NaN. */
export function argmax(values: ArrayLike<number>, offset: number, count: number): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let c = 0; c < count; c++) {
    const value = values[offset + c] as number;
    if (value > bestValue || (best === -1 && value === -Infinity)) {
      best = c;
      bestValue = value;
    }
  }
  return best;
}
