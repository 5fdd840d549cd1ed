/**
 * Feature normalisation (STRATEGY-V3 §5.4, our rule 3): the statistics are
 * fitted on the TRAINING split only (fitting on all rows would leak the
 * validation and test periods into the model's inputs), stored with the model
 * in its feature specification, and re-applied unchanged at backtest.
 *
 * - `minmax`: (x − min)/(max − min); a constant column becomes 0.
 * - `zscore`: (x − mean)/std with the sample standard deviation (N−1); std 0 → 0.
 * - `none`: unchanged.
 * Non-finite values are skipped when fitting and stay as they are when applied
 * (a NaN row is still a warm-up row).
 */
import { z } from 'zod';

export const NORMALIZATION_METHODS = ['minmax', 'zscore', 'none'] as const;
export type NormalizationMethod = (typeof NORMALIZATION_METHODS)[number];

export const Normalizer = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('minmax'), min: z.number(), max: z.number() }),
  z.strictObject({ method: z.literal('zscore'), mean: z.number(), std: z.number() }),
  z.strictObject({ method: z.literal('none') }),
]);
export type Normalizer = z.output<typeof Normalizer>;

/**
 * Fits `method` on column `column` of the row-major matrix `data` (`cols`
 * columns), over the rows listed in `rows` (the training rows).
 */
export function fitNormalizer(method: NormalizationMethod, data: Float64Array, cols: number, column: number, rows: readonly number[]): Normalizer {
  if (method === 'none') return { method };
  let n = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const row of rows) {
    const x = data[row * cols + column] as number;
    if (!Number.isFinite(x)) continue;
    n++;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (method === 'minmax') return n === 0 ? { method, min: 0, max: 0 } : { method, min, max };
  if (n < 2) return { method, mean: n === 1 ? sum : 0, std: 0 };
  const mean = sum / n;
  let squares = 0;
  for (const row of rows) {
    const x = data[row * cols + column] as number;
    if (Number.isFinite(x)) squares += (x - mean) * (x - mean);
  }
  return { method, mean, std: Math.sqrt(squares / (n - 1)) };
}

/** Applies `normalizer` in place to column `column` of every row. */
export function applyNormalizer(normalizer: Normalizer, data: Float64Array, cols: number, column: number): void {
  if (normalizer.method === 'none') return;
  const rows = data.length / cols;
  for (let row = 0; row < rows; row++) {
    const at = row * cols + column;
    const x = data[at] as number;
    if (!Number.isFinite(x)) continue;
    if (normalizer.method === 'minmax') {
      const range = normalizer.max - normalizer.min;
      data[at] = range === 0 ? 0 : (x - normalizer.min) / range;
    } else {
      data[at] = normalizer.std === 0 ? 0 : (x - normalizer.mean) / normalizer.std;
    }
  }
}
