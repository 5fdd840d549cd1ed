/** Each loss against values worked by hand, its gradient against finite differences, and the class weights. */
import { describe, expect, it } from 'vitest';
import { balancedClassWeights, createLoss, LossError } from '../../src/nn/losses.js';
import type { LossConfigInput, LossSetup } from '../../src/nn/losses.js';

// Two rows of logits. Row 1 [2, 0, −1], label 0: p₀ = e²/(e² + 1 + e⁻¹) = 7.389056/8.756935 = 0.843795,
// −log p₀ = 0.169846. Row 2 [0.5, 0.5, 1], label 2: p₂ = e/(2e^½ + e) = 2.718282/6.015725 = 0.451863,
// −log p₂ = 0.794377.
const logits = Float64Array.of(2, 0, -1, 0.5, 0.5, 1);
const labels = Int8Array.of(0, 2);
const classWeights = Float64Array.of(0.5, 1, 2);
const classification = (weights: Float64Array | null = null): LossSetup => ({ width: 3, activation: 'softmax', classWeights: weights });

function lossOf(config: LossConfigInput, setup: LossSetup, raw: Float64Array, targets: ArrayLike<number>, rows: number) {
  const gradient = new Float64Array(raw.length);
  const value = createLoss(config, setup).lossAndGradient(raw, targets, 0, rows, gradient);
  return { value, gradient };
}

/** Largest |analytic − central difference| of the loss's gradient with respect to the raw outputs. */
function gradientGap(config: LossConfigInput, setup: LossSetup, raw: Float64Array, targets: ArrayLike<number>, rows: number) {
  const { gradient } = lossOf(config, setup, raw, targets, rows);
  const h = 1e-6;
  let worst = 0;
  for (let k = 0; k < raw.length; k++) {
    const at = (value: number) => {
      const moved = Float64Array.from(raw);
      moved[k] = value;
      return lossOf(config, setup, moved, targets, rows).value;
    };
    const numeric = (at((raw[k] as number) + h) - at((raw[k] as number) - h)) / (2 * h);
    worst = Math.max(worst, Math.abs(numeric - (gradient[k] as number)));
  }
  return worst;
}

describe('classification losses against hand values', () => {
  it('cross-entropy: the mean NLL, and with class weights Σ w·NLL / Σ w', () => {
    expect(lossOf({ type: 'cross_entropy' }, classification(), logits, labels, 2).value).toBeCloseTo((0.169846 + 0.794377) / 2, 6);
    // (0.5·0.169846 + 2·0.794377) / (0.5 + 2) = 0.669471
    expect(lossOf({ type: 'cross_entropy' }, classification(classWeights), logits, labels, 2).value).toBeCloseTo(0.669471, 6);
    // Its gradient is w·(p − onehot)/Σw: row 1, class 0: 0.5·(0.843795 − 1)/2.5 = −0.031241.
    expect(lossOf({ type: 'cross_entropy' }, classification(classWeights), logits, labels, 2).gradient[0]).toBeCloseTo(-0.031241, 6);
  });

  it('focal: mean of w·(1 − p)^γ·NLL, not normalised by the weights; γ = 0 is the plain mean NLL', () => {
    // (0.5·0.156205²·0.169846 + 2·0.548137²·0.794377) / 2 = 0.239710
    expect(lossOf({ type: 'focal', focal_gamma: 2 }, classification(classWeights), logits, labels, 2).value).toBeCloseTo(0.23971, 6);
    expect(lossOf({ type: 'focal', focal_gamma: 0 }, classification(), logits, labels, 2).value).toBeCloseTo(0.482111, 6);
    expect(createLoss({ type: 'focal' }, classification()).config).toEqual({ type: 'focal', focal_gamma: 2 });
  });

  it.each([
    [{ type: 'cross_entropy' }, null],
    [{ type: 'cross_entropy' }, classWeights],
    [{ type: 'focal', focal_gamma: 2 }, classWeights],
    [{ type: 'focal', focal_gamma: 0.5 }, null],
  ] as const)('%o with weights %o has the gradient of finite differences', (config, weights) => {
    expect(gradientGap(config, classification(weights), logits, labels, 2)).toBeLessThan(1e-8);
  });

  it('sums in parts that give the one-pass loss when a set is evaluated in chunks', () => {
    const loss = createLoss({ type: 'cross_entropy' }, classification(classWeights));
    const first = loss.parts(logits.subarray(0, 3), labels, 0, 1);
    const second = loss.parts(logits.subarray(3), labels, 1, 1);
    expect((first.total + second.total) / (first.weight + second.weight)).toBeCloseTo(0.669471, 6);
  });
});

describe('regression losses against hand values', () => {
  // Predictions [0.2, 1.5, −0.9] against targets [0, 0.5, 0]: residuals [0.2, 1.0, −0.9].
  const predictions = Float64Array.of(0.2, 1.5, -0.9);
  const targets = Float64Array.of(0, 0.5, 0);
  const linear: LossSetup = { width: 1, activation: 'linear' };

  it('huber: ½r² inside δ, δ·(|r| − ½δ) outside', () => {
    // δ = 0.5: 0.02 + 0.5·(1 − 0.25) + 0.5·(0.9 − 0.25) = 0.02 + 0.375 + 0.325 = 0.72, mean 0.24.
    const { value, gradient } = lossOf({ type: 'huber', huber_delta: 0.5 }, linear, predictions, targets, 3);
    expect(value).toBeCloseTo(0.24, 14);
    // Gradient r/3 inside, ±δ/3 outside.
    expect(Array.from(gradient)).toEqual([0.2 / 3, 0.5 / 3, -0.5 / 3]);
    expect(createLoss({ type: 'huber' }, linear).config).toEqual({ type: 'huber', huber_delta: 0.01 });
  });

  it('mse: the mean of r²', () => {
    // (0.04 + 1 + 0.81) / 3 = 0.616667
    expect(lossOf({ type: 'mse' }, linear, predictions, targets, 3).value).toBeCloseTo(0.616667, 6);
  });

  it.each(['linear', 'tanh', 'sigmoid'] as const)('differentiates through a %s output', (activation) => {
    const setup: LossSetup = { width: 1, activation };
    expect(gradientGap({ type: 'mse' }, setup, predictions, targets, 3)).toBeLessThan(1e-8);
    expect(gradientGap({ type: 'huber', huber_delta: 0.3 }, setup, predictions, targets, 3)).toBeLessThan(1e-8);
  });
});

describe('class weights', () => {
  it('are the inverse class frequencies scaled to sum to max(label) + 1, 0 for absent classes', () => {
    // counts 3, 1, 2 → 1/3, 1, 1/2 (sum 11/6) × 18/11 → 6/11, 18/11, 9/11.
    const weights = balancedClassWeights([0, 0, 0, 1, 2, 2], 3);
    [6 / 11, 18 / 11, 9 / 11].forEach((w, k) => expect(weights[k]).toBeCloseTo(w, 15));
    expect(Array.from(balancedClassWeights([0, 0, 2], 3))).toEqual([1, 0, 2]);
    // K' = 2 when the top class never occurs: 1/2 and 1/1 (sum 1.5) scaled to sum 2.
    const partial = balancedClassWeights([0, 0, 1], 3);
    expect([partial[0], partial[1], partial[2]].map((w) => Number((w as number).toFixed(12)))).toEqual([0.666666666667, 1.333333333333, 0]);
  });

  it('make a minority class count as much as the majority in cross-entropy', () => {
    const raw = Float64Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0); // uniform predictions
    const targets = Int8Array.of(1, 1, 0);
    const setup = classification(balancedClassWeights(targets, 3));
    const { gradient } = lossOf({ type: 'cross_entropy' }, setup, raw, targets, 3);
    // Row 3 (the lone class 0) pulls on its logit as hard as rows 1 and 2 together pull on theirs.
    expect(gradient[6] as number).toBeCloseTo((gradient[1] as number) + (gradient[4] as number), 15);
  });

  it('refuse a label outside the classes, naming the row', () => {
    expect(() => balancedClassWeights([0, 3], 3)).toThrow(/label 3 of row 1 is not a class index in \[0, 3\)/);
  });
});

describe('loss configuration', () => {
  it('refuses a classification loss on a non-softmax output and a regression loss on softmax', () => {
    expect(() => createLoss({ type: 'cross_entropy' }, { width: 1, activation: 'linear' })).toThrow(
      /classification loss needs output_activation softmax, not linear/,
    );
    expect(() => createLoss({ type: 'mse' }, { width: 3, activation: 'softmax' })).toThrow(/regression loss needs output_activation linear/);
    expect(() => createLoss({ type: 'huber', huber_delta: -1 }, { width: 1, activation: 'linear' })).toThrow(LossError);
    expect(() => createLoss({ type: 'cross_entropy' }, classification(Float64Array.of(1, 2)))).toThrow(/2 given for 3 classes/);
  });
});
