/** pandas-style exponentially weighted statistics (`adjust=True`, span = 2/α − 1), NaN inputs skipped. */

/** EWM mean with weights (1−α)^age over the values seen so far; NaN until the first finite value. */
export function ewmMean(x: Float64Array, span: number): Float64Array {
  const decay = 1 - 2 / (span + 1);
  const out = new Float64Array(x.length).fill(NaN);
  let sum = 0;
  let weight = 0;
  for (let t = 0; t < x.length; t++) {
    const value = x[t] as number;
    sum *= decay;
    weight *= decay;
    if (!Number.isNaN(value)) {
      sum += value;
      weight += 1;
    }
    if (weight > 0) out[t] = sum / weight;
  }
  return out;
}

/** EWM standard deviation with pandas' bias correction (`bias=False`); NaN until two finite values. */
export function ewmStd(x: Float64Array, span: number): Float64Array {
  const decay = 1 - 2 / (span + 1);
  const out = new Float64Array(x.length).fill(NaN);
  let sum = 0;
  let sumSquares = 0;
  let weight = 0;
  let weightSquares = 0;
  let count = 0;
  for (let t = 0; t < x.length; t++) {
    const value = x[t] as number;
    sum *= decay;
    sumSquares *= decay;
    weight *= decay;
    weightSquares *= decay * decay;
    if (!Number.isNaN(value)) {
      sum += value;
      sumSquares += value * value;
      weight += 1;
      weightSquares += 1;
      count++;
    }
    if (count >= 2) {
      const mean = sum / weight;
      const biased = Math.max(0, sumSquares / weight - mean * mean);
      out[t] = Math.sqrt((biased * weight * weight) / (weight * weight - weightSquares));
    }
  }
  return out;
}

/** ln(C_t / C_{t−1}) at t, NaN at 0. */
export function logReturns(close: Float64Array): Float64Array {
  const out = new Float64Array(close.length).fill(NaN);
  for (let t = 1; t < close.length; t++) out[t] = Math.log((close[t] as number) / (close[t - 1] as number));
  return out;
}
