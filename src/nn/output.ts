/**
 * The activation between a network's last linear layer and its prediction.
 * Networks hand out raw outputs (logits); the loss and the prediction apply
 * the activation, so that softmax and cross-entropy are fused into the stable
 * `p - onehot` gradient instead of being differentiated separately.
 */
import { z } from 'zod';

/**
 * `softmax`: class probabilities (classification losses); `linear`, `tanh`,
 * `sigmoid`: one real value per output (regression losses).
 */
export const OutputActivation = z.enum(['softmax', 'linear', 'tanh', 'sigmoid']);
export type OutputActivation = z.infer<typeof OutputActivation>;

/** Writes the activated outputs of `rows` rows × `width` raw outputs into `out` (may be `raw` itself). */
export function activateOutputs(
  raw: ArrayLike<number>,
  out: Float64Array,
  rows: number,
  width: number,
  activation: OutputActivation,
): Float64Array {
  const count = rows * width;
  switch (activation) {
    case 'softmax':
      for (let r = 0; r < rows; r++) softmaxRow(raw, r * width, out, r * width, width);
      break;
    case 'linear':
      for (let k = 0; k < count; k++) out[k] = raw[k] as number;
      break;
    case 'tanh':
      for (let k = 0; k < count; k++) out[k] = Math.tanh(raw[k] as number);
      break;
    case 'sigmoid':
      for (let k = 0; k < count; k++) out[k] = sigmoid(raw[k] as number);
      break;
  }
  return out;
}

/** Numerically stable softmax of `values[offset .. offset + width)` into `out[outOffset ..]` (subtracting the maximum). */
export function softmaxRow(values: ArrayLike<number>, offset: number, out: Float64Array, outOffset: number, width: number): void {
  let max = -Infinity;
  for (let c = 0; c < width; c++) if ((values[offset + c] as number) > max) max = values[offset + c] as number;
  let total = 0;
  for (let c = 0; c < width; c++) {
    const e = Math.exp((values[offset + c] as number) - max);
    out[outOffset + c] = e;
    total += e;
  }
  for (let c = 0; c < width; c++) out[outOffset + c] = (out[outOffset + c] as number) / total;
}

/** log Σ exp of a row, shifted by its maximum so that no exponential overflows. */
export function logSumExp(values: ArrayLike<number>, offset: number, width: number): number {
  let max = -Infinity;
  for (let c = 0; c < width; c++) if ((values[offset + c] as number) > max) max = values[offset + c] as number;
  let total = 0;
  for (let c = 0; c < width; c++) total += Math.exp((values[offset + c] as number) - max);
  return max + Math.log(total);
}

export function sigmoid(x: number): number {
  // Both branches keep exp's argument ≤ 0, so neither overflows.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
