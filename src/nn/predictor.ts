/**
 * Inference on a feature matrix, whatever the kind of network: the MLP reads
 * the row itself, a recurrent network the window of its last
 * `sequence_length` rows ending at the row (oldest first, 6.2). A row whose
 * window does not exist yet or holds a NaN / infinite feature gets no
 * prediction (null), which a backtest turns into "no decision".
 */
import { createError } from '../common/errors.js';
import type { Model } from './model.js';

export interface FeatureRows {
  readonly rows: number;
  readonly cols: number;
  /** rows × cols, row-major. */
  readonly data: Float64Array;
}

/** The activated outputs (class probabilities for softmax) at `row`, in a new array, or null. */
export type Predictor = (row: number) => Float64Array | null;

export class PredictorError extends createError('PredictorError') {}

export function createPredictor(model: Model, features: FeatureRows): Predictor {
  const { rows, cols, data } = features;
  if (cols !== model.inputSize) {
    throw new PredictorError(`features: ${cols} columns, the model was trained on ${model.inputSize}`);
  }
  if (data.length !== rows * cols) throw new PredictorError(`features: data holds ${data.length} values, ${rows} rows × ${cols} cols need ${rows * cols}`);
  const length = model.sequenceLength;
  const size = length * cols;
  return (row: number) => {
    if (!Number.isInteger(row) || row < 0 || row >= rows) throw new PredictorError(`row ${row} is outside the feature rows [0, ${rows})`);
    const first = row - length + 1;
    if (first < 0) return null;
    const start = first * cols;
    for (let k = start, end = start + size; k < end; k++) if (!Number.isFinite(data[k] as number)) return null;
    return model.predictBatch(data.subarray(start, start + size), 1);
  };
}
