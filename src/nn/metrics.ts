/**
 * Classification metrics over class indices 0..classes-1 (for ktrdr 0 BUY,
 * 1 HOLD, 2 SELL, but nothing here assumes three).
 *
 * Conventions:
 * - the confusion matrix is indexed [actual][predicted];
 * - precision of class c = TP / (TP + FP), the column; recall = TP / (TP + FN),
 *   the row; either is 0 when its denominator is 0 (no prediction of c, or no
 *   row of c), as scikit-learn's `zero_division=0` does, so that a model that
 *   never predicts a class scores 0 there rather than NaN;
 * - the loss is the mean natural-log cross-entropy of the probability given to
 *   the true class, clamped below at 1e-15 (scikit-learn's historical
 *   `log_loss` eps) so that a confident wrong answer costs ~34.5, not ∞.
 */
import { argmax } from './argmax.js';
import { createError } from '../common/errors.js';

export class MetricsError extends createError('MetricsError') {}

export const PROBABILITY_FLOOR = 1e-15;

export interface ClassMetrics {
  readonly precision: number;
  readonly recall: number;
  /** Rows whose actual class is this one. */
  readonly support: number;
}

export interface ClassificationReport {
  readonly accuracy: number;
  readonly loss: number;
  /** [actual][predicted] counts. */
  readonly confusion_matrix: number[][];
  readonly per_class: Record<string, ClassMetrics>;
}

function checkClassIndex(value: number, classes: number, what: string, index: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= classes) {
    throw new MetricsError(`${what}[${index}] is ${value}, expected a class index in [0, ${classes})`);
  }
}

function checkSameLength(actual: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (actual.length !== predicted.length) {
    throw new MetricsError(`actual holds ${actual.length} labels and predicted ${predicted.length}; they must match`);
  }
  if (actual.length === 0) throw new MetricsError('no rows: metrics of an empty set are undefined');
}

/** Share of rows where `predicted` equals `actual`. */
export function accuracy(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkSameLength(actual, predicted);
  let correct = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i] === predicted[i]) correct++;
  return correct / actual.length;
}

/** Mean cross-entropy of `probabilities` (rows × classes, row-major) against `labels`; see the file comment. */
export function meanCrossEntropy(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  if (probabilities.length !== labels.length * classes) {
    throw new MetricsError(
      `probabilities hold ${probabilities.length} values, ${labels.length} rows × ${classes} classes need ${labels.length * classes}`,
    );
  }
  if (labels.length === 0) throw new MetricsError('no rows: metrics of an empty set are undefined');
  let total = 0;
  for (let r = 0; r < labels.length; r++) {
    const label = labels[r] as number;
    checkClassIndex(label, classes, 'labels', r);
    const p = probabilities[r * classes + label] as number;
    total -= Math.log(Math.max(p, PROBABILITY_FLOOR));
  }
  return total / labels.length;
}

/** Most probable class per row (the first on a tie; -1 for a row of NaN). */
export function predictedClasses(probabilities: ArrayLike<number>, classes: number): Int32Array {
  const rows = Math.floor(probabilities.length / classes);
  const predicted = new Int32Array(rows);
  for (let r = 0; r < rows; r++) predicted[r] = argmax(probabilities, r * classes, classes);
  return predicted;
}

/** Counts [actual][predicted]. */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  checkSameLength(actual, predicted);
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const p = predicted[i] as number;
    checkClassIndex(a, classes, 'actual', i);
    checkClassIndex(p, classes, 'predicted', i);
    const row = matrix[a] as number[];
    row[p] = (row[p] as number) + 1;
  }
  return matrix;
}

/** Precision, recall and support of every class from a confusion matrix [actual][predicted]. */
export function perClassMetrics(matrix: readonly (readonly number[])[]): ClassMetrics[] {
  const classes = matrix.length;
  for (const [i, row] of matrix.entries()) {
    if (row.length !== classes) throw new MetricsError(`confusion matrix row ${i} has ${row.length} cells, expected ${classes}`);
  }
  const cell = (a: number, p: number) => (matrix[a] as readonly number[])[p] as number;
  const result: ClassMetrics[] = [];
  for (let c = 0; c < classes; c++) {
    let predictedAsC = 0;
    let actuallyC = 0;
    for (let k = 0; k < classes; k++) {
      predictedAsC += cell(k, c);
      actuallyC += cell(c, k);
    }
    const truePositives = cell(c, c);
    result.push({
      precision: predictedAsC === 0 ? 0 : truePositives / predictedAsC,
      recall: actuallyC === 0 ? 0 : truePositives / actuallyC,
      support: actuallyC,
    });
  }
  return result;
}

/**
 * Accuracy, loss, confusion matrix and per-class precision/recall of
 * `probabilities` (rows × classes) against `labels`, classes named by
 * `classNames` (e.g. ['BUY', 'HOLD', 'SELL']).
 */
export function classificationReport(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  classNames: readonly string[],
): ClassificationReport {
  const classes = classNames.length;
  if (classes < 2) throw new MetricsError(`classNames: ${classes} names given, at least 2 classes are needed`);
  const loss = meanCrossEntropy(probabilities, labels, classes);
  const predicted = predictedClasses(probabilities, classes);
  for (let r = 0; r < predicted.length; r++) {
    if (predicted[r] === -1) throw new MetricsError(`probabilities of row ${r} are NaN: no class can be predicted`);
  }
  const matrix = confusionMatrix(labels, predicted, classes);
  const perClass = perClassMetrics(matrix);
  return {
    accuracy: accuracy(labels, predicted),
    loss,
    confusion_matrix: matrix,
    per_class: Object.fromEntries(classNames.map((name, c) => [name, perClass[c] as ClassMetrics])),
  };
}
