/**
 * Test-set figures of a trained model (7.9) and the warnings of a model that
 * learned nothing: predicting one class only, or not beating the majority
 * class (regression: one direction only, or not beating the majority sign).
 * Recurrent models are evaluated on the windows of the test set (never
 * crossing a segment), labelled by their last row.
 */
import { classificationReport } from '../../nn/metrics.js';
import type { Dataset } from '../../nn/dataset.js';
import type { Model } from '../../nn/model.js';
import { gatherWindows, windowEnds } from '../../nn/windows.js';

export interface Evaluation {
  readonly test_accuracy: number;
  readonly test_loss: number;
  readonly precision: Record<string, number>;
  readonly recall: Record<string, number>;
  readonly test_rows: number;
  readonly confusion_matrix: number[][] | null;
  /** Regression only. */
  readonly mse?: number;
  readonly mae?: number;
  readonly warnings: string[];
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** The model's activated outputs over every window of `data`, and the targets of those windows. */
function predictAll(model: Model, data: Dataset): { outputs: Float64Array; targets: Float64Array } {
  const length = model.sequenceLength;
  const ends = windowEnds(data.rows, length, { segments: data.segments ?? null });
  const width = model.outputSize;
  const outputs = new Float64Array(ends.length * width);
  const chunk = 256;
  const buffer = new Float64Array(Math.min(chunk, Math.max(1, ends.length)) * length * data.cols);
  for (let start = 0; start < ends.length; start += chunk) {
    const count = Math.min(chunk, ends.length - start);
    gatherWindows(data.X, data.cols, length, ends, start, count, buffer);
    outputs.set(model.predictBatch(buffer.subarray(0, count * length * data.cols), count), start * width);
  }
  return { outputs, targets: Float64Array.from(ends, (end) => data.y[end] as number) };
}

export function evaluateModel(model: Model, test: Dataset, classes: readonly string[]): Evaluation {
  const { outputs, targets } = predictAll(model, test);
  const rows = targets.length;
  if (rows === 0) throw new Error(`the test set has no sample of ${model.sequenceLength} consecutive rows`);
  if (classes.length === 0) return evaluateRegression(outputs, targets);
  const report = classificationReport(targets, outputs, classes);
  const predictedCount = new Array<number>(classes.length).fill(0);
  report.confusion_matrix.forEach((row) => row.forEach((count, predicted) => (predictedCount[predicted] = (predictedCount[predicted] ?? 0) + count)));
  const actualCount = report.confusion_matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const warnings: string[] = [];
  const used = predictedCount.filter((count) => count > 0).length;
  if (used === 1) {
    const only = classes[predictedCount.findIndex((count) => count > 0)];
    warnings.push(`the model predicts only ${only} on the test set (${rows} samples): it learned nothing to trade on`);
  }
  const majority = actualCount.indexOf(Math.max(...actualCount));
  const majorityShare = (actualCount[majority] as number) / rows;
  if (report.accuracy <= majorityShare) {
    warnings.push(
      `test accuracy ${percent(report.accuracy)} does not beat always predicting the majority class ${classes[majority]} (${percent(majorityShare)})`,
    );
  }
  return {
    test_accuracy: report.accuracy,
    test_loss: report.loss,
    precision: Object.fromEntries(classes.map((name) => [name, report.per_class[name]?.precision ?? 0])),
    recall: Object.fromEntries(classes.map((name) => [name, report.per_class[name]?.recall ?? 0])),
    test_rows: rows,
    confusion_matrix: report.confusion_matrix,
    warnings,
  };
}

/** 7.9: directional accuracy sign(ŷ) = sign(y), Huber loss with δ = 1, plus mse and mae. */
function evaluateRegression(predictions: Float64Array, targets: Float64Array): Evaluation {
  const rows = targets.length;
  let agree = 0;
  let huber = 0;
  let squares = 0;
  let absolute = 0;
  let up = 0;
  let predictedUp = 0;
  for (let k = 0; k < rows; k++) {
    const prediction = predictions[k] as number;
    const target = targets[k] as number;
    if (Math.sign(prediction) === Math.sign(target)) agree++;
    const r = prediction - target;
    huber += Math.abs(r) < 1 ? 0.5 * r * r : Math.abs(r) - 0.5;
    squares += r * r;
    absolute += Math.abs(r);
    if (target > 0) up++;
    if (prediction > 0) predictedUp++;
  }
  const accuracy = agree / rows;
  const warnings: string[] = [];
  if (predictedUp === 0 || predictedUp === rows) {
    warnings.push(`the model predicts only ${predictedUp === 0 ? 'falling' : 'rising'} prices on the test set (${rows} samples): it learned nothing to trade on`);
  }
  const majorityShare = Math.max(up, rows - up) / rows;
  if (accuracy <= majorityShare) {
    warnings.push(`directional accuracy ${percent(accuracy)} does not beat always predicting the majority direction (${percent(majorityShare)})`);
  }
  return { test_accuracy: accuracy, test_loss: huber / rows, precision: {}, recall: {}, test_rows: rows, confusion_matrix: null, mse: squares / rows, mae: absolute / rows, warnings };
}
