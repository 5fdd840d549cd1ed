/** Classification metrics on hand-made predictions with hand-computed answers. */
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  classificationReport,
  confusionMatrix,
  meanCrossEntropy,
  MetricsError,
  perClassMetrics,
} from '../../src/nn/metrics.js';

// 10 rows, classes 0 BUY, 1 HOLD, 2 SELL.
const actual = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2];
const predicted = [0, 0, 1, 1, 1, 2, 0, 2, 1, 1];
// [actual][predicted]:      BUY HOLD SELL
//                     BUY    2    1    0
//                     HOLD   1    2    1
//                     SELL   0    2    1
const MATRIX = [
  [2, 1, 0],
  [1, 2, 1],
  [0, 2, 1],
];

describe('metrics', () => {
  it('counts the confusion matrix as [actual][predicted]', () => {
    expect(confusionMatrix(actual, predicted, 3)).toEqual(MATRIX);
  });

  it('computes accuracy and per-class precision and recall by hand', () => {
    expect(accuracy(actual, predicted)).toBe(5 / 10);
    const perClass = perClassMetrics(MATRIX);
    // BUY: predicted 3 times, 2 right; actually 3, 2 found.
    expect(perClass[0]).toEqual({ precision: 2 / 3, recall: 2 / 3, support: 3 });
    // HOLD: predicted 5 times, 2 right; actually 4, 2 found.
    expect(perClass[1]).toEqual({ precision: 2 / 5, recall: 2 / 4, support: 4 });
    // SELL: predicted 2 times, 1 right; actually 3, 1 found.
    expect(perClass[2]).toEqual({ precision: 1 / 2, recall: 1 / 3, support: 3 });
  });

  it('scores 0 where precision or recall is undefined', () => {
    // Class 2 is never predicted (precision 0/0) and class 1 never occurs (recall 0/0);
    // class 0 is predicted twice, once rightly, and occurs twice.
    const perClass = perClassMetrics(confusionMatrix([0, 0, 2], [0, 1, 0], 3));
    expect(perClass[2]).toEqual({ precision: 0, recall: 0, support: 1 });
    expect(perClass[1]).toEqual({ precision: 0, recall: 0, support: 0 });
    expect(perClass[0]).toEqual({ precision: 1 / 2, recall: 1 / 2, support: 2 });
  });

  it('computes the mean cross-entropy with the 1e-15 floor', () => {
    const probabilities = [0.5, 0.25, 0.25, 0.1, 0.9, 0, 0, 0, 1];
    expect(meanCrossEntropy(probabilities, [0, 1, 0], 3)).toBeCloseTo(
      (-Math.log(0.5) - Math.log(0.9) - Math.log(1e-15)) / 3,
      14,
    );
  });

  it('reports everything per named class', () => {
    const probabilities = [0.7, 0.2, 0.1, 0.2, 0.2, 0.6, 0.3, 0.3, 0.4, 0.1, 0.8, 0.1];
    // Predicted (argmax, first on a tie): 0, 2, 2, 1 against labels 0, 1, 2, 1.
    const report = classificationReport([0, 1, 2, 1], probabilities, ['BUY', 'HOLD', 'SELL']);
    expect(report.accuracy).toBe(3 / 4);
    expect(report.loss).toBeCloseTo(-(Math.log(0.7) + Math.log(0.2) + Math.log(0.4) + Math.log(0.8)) / 4, 14);
    expect(report.confusion_matrix).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(report.per_class).toEqual({
      BUY: { precision: 1, recall: 1, support: 1 },
      HOLD: { precision: 1, recall: 1 / 2, support: 2 },
      SELL: { precision: 1 / 2, recall: 1, support: 1 },
    });
  });

  it('is generic in the number of classes', () => {
    expect(confusionMatrix([0, 1, 1], [1, 1, 0], 2)).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(perClassMetrics(confusionMatrix([3, 3, 0], [3, 0, 0], 5))[3]).toEqual({ precision: 1, recall: 1 / 2, support: 2 });
  });

  it('rejects inputs it cannot score, naming the index and the value', () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(/actual\[1\] is 3, expected a class index in \[0, 3\)/);
    expect(() => accuracy([0], [0, 1])).toThrow(/actual holds 1 labels and predicted 2/);
    expect(() => accuracy([], [])).toThrow(MetricsError);
    expect(() => meanCrossEntropy([0.5, 0.5], [0, 1], 2)).toThrow(/2 rows × 2 classes need 4/);
  });
});
