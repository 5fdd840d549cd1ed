/**
 * Training losses on a network's raw outputs, each with its gradient, and the
 * class weights for imbalanced labels.
 *
 * Classification losses (`cross_entropy`, `focal`) take logits and class
 * indices and need the `softmax` output activation; regression losses
 * (`huber`, `mse`) take one real target per output and apply the `linear`,
 * `tanh` or `sigmoid` output activation first. A loss is a ratio
 * total / weight so that a data set evaluated in chunks gets exactly the value
 * of one pass (the weighted cross-entropy divides by the sum of the weights of
 * all its rows, not per chunk).
 */
import { z } from 'zod';
import type { OutputActivation} from './output.js';
import { logSumExp, sigmoid, softmaxRow } from './output.js';
import { parseWith } from './validation.js';
import { createError } from '../common/errors.js';

export const LossConfigSchema = z.discriminatedUnion('type', [
  /** Σ w_y·(−log p_y) / Σ w_y. */
  z.object({ type: z.literal('cross_entropy') }),
  /** mean of w_y·(1 − p_y)^γ·(−log p_y) (Lin et al. 2017), not normalised by the weights. */
  z.object({ type: z.literal('focal'), focal_gamma: z.number().min(0).default(2) }),
  /** mean of ½r² when |r| < δ, else δ·(|r| − ½δ); r = prediction − target. */
  z.object({ type: z.literal('huber'), huber_delta: z.number().positive().default(0.01) }),
  /** mean of r². */
  z.object({ type: z.literal('mse') }),
]);
export type LossConfig = z.output<typeof LossConfigSchema>;
export type LossConfigInput = z.input<typeof LossConfigSchema>;
export type LossType = LossConfig['type'];

export const REGRESSION_LOSSES: readonly LossType[] = ['huber', 'mse'];
export const isRegressionLoss = (type: LossType): boolean => REGRESSION_LOSSES.includes(type);

/** Raised for a loss that cannot be computed as configured; the message names the value and the rule. */
export class LossError extends createError('LossError') {}

/** Numerator and denominator of a loss over some rows: the loss is total / weight. */
export interface LossParts {
  total: number;
  weight: number;
}

export interface Loss {
  readonly config: LossConfig;
  readonly regression: boolean;
  /** Sums of `rows` rows of raw outputs (`width` each) against `targets[targetOffset ..]`. */
  parts(raw: ArrayLike<number>, targets: ArrayLike<number>, targetOffset: number, rows: number): LossParts;
  /** The loss of the batch, with ∂loss/∂raw written into `gradient` (rows × width). */
  lossAndGradient(
    raw: ArrayLike<number>,
    targets: ArrayLike<number>,
    targetOffset: number,
    rows: number,
    gradient: Float64Array,
  ): number;
}

export interface LossSetup {
  /** Outputs per row: classes for classification, target values for regression. */
  readonly width: number;
  readonly activation: OutputActivation;
  /** One weight per class (classification only); absent means all 1. */
  readonly classWeights?: Float64Array | null;
}

/** A loss for `config`; refuses a classification loss without softmax outputs and a regression loss with them. */
export function createLoss(config: LossConfigInput, setup: LossSetup): Loss {
  const parsed = parseWith(LossConfigSchema, config, 'loss', (m) => new LossError(m));
  const regression = isRegressionLoss(parsed.type);
  if (regression && setup.activation === 'softmax') {
    throw new LossError(`loss ${parsed.type}: a regression loss needs output_activation linear, tanh or sigmoid, not softmax`);
  }
  if (!regression && setup.activation !== 'softmax') {
    throw new LossError(`loss ${parsed.type}: a classification loss needs output_activation softmax, not ${setup.activation}`);
  }
  if (!regression && setup.width < 2) throw new LossError(`loss ${parsed.type}: needs at least 2 classes, got ${setup.width}`);
  const weights = setup.classWeights ?? null;
  if (weights !== null) {
    if (regression) throw new LossError(`class weights: loss ${parsed.type} is a regression loss, class weights apply to classification`);
    if (weights.length !== setup.width) {
      throw new LossError(`class weights: ${weights.length} given for ${setup.width} classes`);
    }
    weights.forEach((w, k) => {
      if (!(Number.isFinite(w) && w >= 0)) throw new LossError(`class weights[${k}]: ${w} is not a finite number ≥ 0`);
    });
  }
  switch (parsed.type) {
    case 'cross_entropy':
    case 'focal':
      return new ClassificationLoss(parsed, setup.width, weights, parsed.type === 'focal' ? parsed.focal_gamma : null);
    case 'huber':
    case 'mse':
      return new RegressionLoss(parsed, setup.width, setup.activation);
  }
}

/**
 * The original's class weights: with K' = max(label) + 1, wₖ = 1/countₖ for the
 * classes present and 0 for absent ones, scaled so that Σwₖ = K'; classes
 * beyond K' (up to `classes`) get 0.
 */
export function balancedClassWeights(labels: ArrayLike<number>, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  let maxLabel = -1;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new LossError(`class weights: label ${label} of row ${i} is not a class index in [0, ${classes})`);
    }
    counts[label] = (counts[label] as number) + 1;
    if (label > maxLabel) maxLabel = label;
  }
  const weights = new Float64Array(classes);
  let sum = 0;
  for (let k = 0; k < classes; k++) {
    const count = counts[k] as number;
    if (count > 0) {
      weights[k] = 1 / count;
      sum += 1 / count;
    }
  }
  if (sum === 0) return weights;
  const scale = (maxLabel + 1) / sum;
  for (let k = 0; k < classes; k++) weights[k] = (weights[k] as number) * scale;
  return weights;
}

class ClassificationLoss implements Loss {
  readonly regression = false;
  private readonly probabilities: Float64Array;

  constructor(
    readonly config: LossConfig,
    private readonly classes: number,
    private readonly weights: Float64Array | null,
    /** null for cross-entropy. */
    private readonly gamma: number | null,
  ) {
    this.probabilities = new Float64Array(classes);
  }

  private label(targets: ArrayLike<number>, index: number): number {
    const label = targets[index] as number;
    if (!Number.isInteger(label) || label < 0 || label >= this.classes) {
      throw new LossError(`loss ${this.config.type}: target ${label} of row ${index} is not a class index in [0, ${this.classes})`);
    }
    return label;
  }

  private weightOf(label: number): number {
    return this.weights === null ? 1 : (this.weights[label] as number);
  }

  parts(raw: ArrayLike<number>, targets: ArrayLike<number>, targetOffset: number, rows: number): LossParts {
    const classes = this.classes;
    let total = 0;
    let weight = 0;
    for (let r = 0; r < rows; r++) {
      const label = this.label(targets, targetOffset + r);
      const w = this.weightOf(label);
      const nll = logSumExp(raw, r * classes, classes) - (raw[r * classes + label] as number);
      if (this.gamma === null) {
        total += w * nll;
        weight += w;
      } else {
        const p = Math.exp(-nll);
        total += w * focalFactor(p, this.gamma) * nll;
        weight += 1;
      }
    }
    return { total, weight };
  }

  lossAndGradient(
    raw: ArrayLike<number>,
    targets: ArrayLike<number>,
    targetOffset: number,
    rows: number,
    gradient: Float64Array,
  ): number {
    const classes = this.classes;
    const p = this.probabilities;
    let denominator = rows;
    if (this.gamma === null) {
      denominator = 0;
      for (let r = 0; r < rows; r++) denominator += this.weightOf(this.label(targets, targetOffset + r));
    }
    // A batch whose classes all weigh 0 carries no signal; it must not divide by zero.
    if (denominator === 0) {
      gradient.fill(0, 0, rows * classes);
      return 0;
    }
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const label = this.label(targets, targetOffset + r);
      const w = this.weightOf(label);
      const row = r * classes;
      const nll = logSumExp(raw, row, classes) - (raw[row + label] as number);
      softmaxRow(raw, row, p, 0, classes);
      let scale: number;
      if (this.gamma === null) {
        total += w * nll;
        scale = w / denominator;
      } else {
        // d/dz_c [(1−p)^γ·(−log p)] = (p_c − δ_c)·[(1−p)^γ + γ·(1−p)^(γ−1)·p·(−log p)], p = p_label.
        const gamma = this.gamma;
        const pl = Math.exp(-nll);
        const q = 1 - pl;
        total += w * focalFactor(pl, gamma) * nll;
        const extra = gamma > 0 && q > 0 ? gamma * Math.pow(q, gamma - 1) * pl * nll : 0;
        scale = (w * (focalFactor(pl, gamma) + extra)) / denominator;
      }
      for (let c = 0; c < classes; c++) gradient[row + c] = scale * ((p[c] as number) - (c === label ? 1 : 0));
    }
    return total / denominator;
  }
}

/** (1 − p)^γ, with 0^0 = 1 so that γ = 0 is the plain weighted NLL. */
function focalFactor(p: number, gamma: number): number {
  return gamma === 0 ? 1 : Math.pow(1 - p, gamma);
}

class RegressionLoss implements Loss {
  readonly regression = true;

  constructor(
    readonly config: LossConfig,
    private readonly width: number,
    private readonly activation: OutputActivation,
  ) {}

  private prediction(raw: number): number {
    switch (this.activation) {
      case 'tanh':
        return Math.tanh(raw);
      case 'sigmoid':
        return sigmoid(raw);
      default:
        return raw;
    }
  }

  /** ∂prediction/∂raw at the given prediction. */
  private slope(prediction: number): number {
    switch (this.activation) {
      case 'tanh':
        return 1 - prediction * prediction;
      case 'sigmoid':
        return prediction * (1 - prediction);
      default:
        return 1;
    }
  }

  private elementLoss(r: number): number {
    if (this.config.type === 'mse') return r * r;
    const delta = (this.config as { huber_delta: number }).huber_delta;
    const size = Math.abs(r);
    return size < delta ? 0.5 * r * r : delta * (size - 0.5 * delta);
  }

  private elementSlope(r: number): number {
    if (this.config.type === 'mse') return 2 * r;
    const delta = (this.config as { huber_delta: number }).huber_delta;
    return Math.abs(r) < delta ? r : r > 0 ? delta : -delta;
  }

  parts(raw: ArrayLike<number>, targets: ArrayLike<number>, targetOffset: number, rows: number): LossParts {
    const count = rows * this.width;
    let total = 0;
    for (let k = 0; k < count; k++) {
      total += this.elementLoss(this.prediction(raw[k] as number) - (targets[targetOffset * this.width + k] as number));
    }
    return { total, weight: count };
  }

  lossAndGradient(
    raw: ArrayLike<number>,
    targets: ArrayLike<number>,
    targetOffset: number,
    rows: number,
    gradient: Float64Array,
  ): number {
    const count = rows * this.width;
    let total = 0;
    for (let k = 0; k < count; k++) {
      const prediction = this.prediction(raw[k] as number);
      const r = prediction - (targets[targetOffset * this.width + k] as number);
      total += this.elementLoss(r);
      gradient[k] = (this.elementSlope(r) * this.slope(prediction)) / count;
    }
    return total / count;
  }
}
