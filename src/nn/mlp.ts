/**
 * A dense multi-layer perceptron: hidden layers with relu, leaky relu (slope
 * 0.01), tanh or sigmoid, inverted dropout while training, a linear output
 * layer whose raw outputs go through `output_activation` (softmax for
 * classes, the default; linear, tanh or sigmoid for regression), on plain
 * Float64Arrays. `forward`/`backward` are the softmax + mean cross-entropy
 * shortcut; `forwardRaw`/`backwardRaw` serve any loss (see `Model`).
 *
 * Layout: every parameter lives in one flat `params` array (and its gradient
 * at the same index of `grads`), layer by layer, weights then biases. The
 * weights of a layer are stored [output][input] row-major, so each output is a
 * dot product over contiguous memory in the forward pass, and the backward
 * pass walks the same rows. One flat array keeps the optimizer a single loop
 * and a checkpoint a single buffer.
 *
 * Determinism: sums run in a fixed order and the only randomness (weight
 * initialisation, dropout masks) comes from the `Rng` passed in, so equal
 * seeds and inputs give bit-identical results.
 */
import { z } from 'zod';
import { argmax } from './argmax.js';
import { networkJson, networkParameters } from './encoding.js';
import type { ForwardOptions, Model } from './model.js';
import { activateOutputs, OutputActivation } from './output.js';
import type { Rng } from './rng.js';
import { parseWith } from './validation.js';
import { createError } from '../common/errors.js';

export type { ForwardOptions } from './model.js';

export const Activation = z.enum(['relu', 'tanh', 'sigmoid', 'leaky_relu']);
export type Activation = z.infer<typeof Activation>;

export const MlpArchitectureSchema = z.object({
  /** Features per row. */
  input_size: z.number().int().min(1),
  /** Units of each hidden layer, input side first; [] is multinomial logistic regression. */
  hidden_layers: z.array(z.number().int().min(1)),
  /** Classes (softmax outputs), or regression outputs. */
  output_size: z.number().int().min(1),
  activation: Activation,
  /** Probability of dropping a hidden unit while training, in [0, 1). */
  dropout: z.number().min(0).lt(1),
  /** Applied to the last layer's outputs; models stored before this key existed are softmax classifiers. */
  output_activation: OutputActivation.default('softmax'),
}).refine((a) => a.output_activation !== 'softmax' || a.output_size >= 2, {
  message: 'a softmax output needs output_size ≥ 2',
  path: ['output_size'],
});
export type MlpArchitecture = z.output<typeof MlpArchitectureSchema>;
export type MlpArchitectureInput = z.input<typeof MlpArchitectureSchema>;

export const MLP_FORMAT = 'ktrdr.mlp';
export const MLP_FORMAT_VERSION = 1;

/** A model as stored in an artifact: its architecture and its parameters (base64 of little-endian doubles). */
export const MlpJsonSchema = z.object({
  format: z.literal(MLP_FORMAT),
  version: z.literal(MLP_FORMAT_VERSION),
  architecture: MlpArchitectureSchema,
  parameters: z.string(),
});
export type MlpJson = z.infer<typeof MlpJsonSchema>;

/** Raised for an invalid architecture, input or serialised model; the message names the value and the rule. */
export class MlpError extends createError('MlpError') {}

/** Where one weight matrix or bias vector sits in `params`/`grads`. */
export interface ParameterTensor {
  /** e.g. `layer1.weights`; layer 0 takes the input, the last one gives the logits. */
  readonly name: string;
  readonly layer: number;
  readonly kind: 'weights' | 'biases';
  readonly offset: number;
  readonly length: number;
  /** Weights: [outputs][inputs]; biases: [outputs][1]. */
  readonly shape: readonly [number, number];
}

export interface BatchEvaluation {
  /** Mean cross-entropy (natural log) over the rows. */
  readonly loss: number;
  /** Share of rows whose most probable class is the label. */
  readonly accuracy: number;
}

/** Per-batch scratch buffers, grown to the largest batch seen. */
interface BatchBuffers {
  readonly capacity: number;
  /** Per hidden layer: pre-activations, then activations in place. */
  readonly hidden: Float64Array[];
  /** Per hidden layer: the activations after dropout (used only while training with dropout). */
  readonly dropped: Float64Array[];
  /** Per hidden layer: the inverted-dropout multipliers (0 or 1/(1-rate)). */
  readonly masks: Float64Array[];
  readonly logits: Float64Array;
  readonly probabilities: Float64Array;
  /** Per row: log of the softmax normaliser, max + log Σ exp(z - max). */
  readonly logNormalisers: Float64Array;
  /** Two gradient buffers of the widest layer, used in turn going backwards. */
  readonly deltaA: Float64Array;
  readonly deltaB: Float64Array;
}

/** What the last `forward` computed, for `backward`. */
interface ForwardRecord {
  input: Float64Array;
  rows: number;
  dropoutApplied: boolean;
}

const EVALUATION_CHUNK_ROWS = 1024;

const LEAKY_SLOPE = 0.01;

export class Mlp implements Model {
  readonly kind = 'mlp' as const;
  readonly sequenceLength = 1;
  readonly architecture: MlpArchitecture;
  /** Every parameter; see the file comment for the layout and `tensors` for the pieces. */
  readonly params: Float64Array;
  /** Gradients of the mean loss of the last `backward`, same layout as `params`. */
  readonly grads: Float64Array;
  readonly tensors: readonly ParameterTensor[];

  /** Units per layer boundary: input, hidden..., output. */
  private readonly widths: readonly number[];
  private readonly weightOffsets: readonly number[];
  private readonly biasOffsets: readonly number[];
  private buffers: BatchBuffers | null = null;
  private lastForward: ForwardRecord | null = null;
  /** Single-row buffers so that `predictProba` allocates nothing. */
  private readonly rowActivations: Float64Array[];
  private readonly rowProbabilities: Float64Array;

  /** A model with the given parameters, or all zeros; use `Mlp.create` for an initialised one. */
  constructor(architecture: MlpArchitectureInput, params?: Float64Array) {
    this.architecture = parseWith(MlpArchitectureSchema, architecture, 'architecture', (m) => new MlpError(m));
    const { input_size, hidden_layers, output_size } = this.architecture;
    this.widths = [input_size, ...hidden_layers, output_size];
    const tensors: ParameterTensor[] = [];
    const weightOffsets: number[] = [];
    const biasOffsets: number[] = [];
    let offset = 0;
    for (let layer = 0; layer < this.widths.length - 1; layer++) {
      const inputs = this.widths[layer] as number;
      const outputs = this.widths[layer + 1] as number;
      weightOffsets.push(offset);
      tensors.push({ name: `layer${layer}.weights`, layer, kind: 'weights', offset, length: inputs * outputs, shape: [outputs, inputs] });
      offset += inputs * outputs;
      biasOffsets.push(offset);
      tensors.push({ name: `layer${layer}.biases`, layer, kind: 'biases', offset, length: outputs, shape: [outputs, 1] });
      offset += outputs;
    }
    this.tensors = tensors;
    this.weightOffsets = weightOffsets;
    this.biasOffsets = biasOffsets;
    if (params !== undefined && params.length !== offset) {
      throw new MlpError(`parameters: ${params.length} values given, the architecture needs ${offset}`);
    }
    this.params = params === undefined ? new Float64Array(offset) : Float64Array.from(params);
    this.grads = new Float64Array(offset);
    this.rowActivations = hidden_layers.map((units) => new Float64Array(units));
    this.rowProbabilities = new Float64Array(output_size);
  }

  /**
   * A freshly initialised model: hidden weights from He normal (std √(2/fan_in))
   * for relu and leaky relu, Glorot/Xavier normal (std √(2/(fan_in+fan_out))) for tanh and sigmoid;
   * the output layer, linear into the softmax, from Glorot normal; biases 0.
   * Draws from `rng` layer by layer, row-major.
   */
  static create(architecture: MlpArchitectureInput, rng: Rng): Mlp {
    const model = new Mlp(architecture);
    const { widths } = model;
    const layers = widths.length - 1;
    for (let layer = 0; layer < layers; layer++) {
      const fanIn = widths[layer] as number;
      const fanOut = widths[layer + 1] as number;
      const isHidden = layer < layers - 1;
      const rectifier = model.architecture.activation === 'relu' || model.architecture.activation === 'leaky_relu';
      const std = isHidden && rectifier ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut));
      const start = model.weightOffsets[layer] as number;
      for (let i = start; i < start + fanIn * fanOut; i++) model.params[i] = std * rng.normal();
    }
    return model;
  }

  static fromJSON(json: unknown): Mlp {
    const { architecture, parameters } = parseWith(MlpJsonSchema, json, 'model', (m) => new MlpError(m));
    return new Mlp(architecture, networkParameters(parameters, countParameters(architecture), (m) => new MlpError(m)));
  }

  toJSON(): MlpJson {
    return networkJson(MLP_FORMAT, MLP_FORMAT_VERSION, this.architecture, this.params);
  }

  get parameterCount(): number {
    return this.params.length;
  }

  get inputSize(): number {
    return this.architecture.input_size;
  }

  get outputSize(): number {
    return this.architecture.output_size;
  }

  get outputActivation(): OutputActivation {
    return this.architecture.output_activation;
  }

  /**
   * The activated outputs (class probabilities for softmax) for `rows` rows
   * of `x` (row-major, `input_size` columns), as a rows × outputs view into a
   * buffer that the next `forward` overwrites. Keeps what `backward` needs.
   */
  forward(x: Float64Array, rows: number, options: ForwardOptions = {}): Float64Array {
    const logits = this.forwardRaw(x, rows, options);
    const buffers = this.buffers as BatchBuffers;
    const outputs = this.architecture.output_size;
    if (this.architecture.output_activation === 'softmax') {
      softmaxRows(buffers.logits, buffers.probabilities, buffers.logNormalisers, rows, outputs);
    } else {
      activateOutputs(logits, buffers.probabilities, rows, outputs, this.architecture.output_activation);
    }
    return buffers.probabilities.subarray(0, rows * outputs);
  }

  /** The last layer's raw outputs (logits) for `rows` rows, as a view the next forward overwrites; see `Model`. */
  forwardRaw(x: Float64Array, rows: number, options: ForwardOptions = {}): Float64Array {
    const inputSize = this.widths[0] as number;
    if (!Number.isInteger(rows) || rows < 1) throw new MlpError(`forward: rows ${rows} must be a positive integer`);
    if (x.length < rows * inputSize) {
      throw new MlpError(`forward: input holds ${x.length} values, ${rows} rows of ${inputSize} need ${rows * inputSize}`);
    }
    const rate = this.architecture.dropout;
    const applyDropout = options.training === true && rate > 0;
    if (applyDropout && options.rng === undefined) throw new MlpError('forward: training with dropout needs an rng');
    const buffers = this.buffersFor(rows);
    const layers = this.widths.length - 1;
    const activation = this.architecture.activation;
    const keepScale = 1 / (1 - rate);
    const params = this.params;
    let input = x;
    for (let layer = 0; layer < layers; layer++) {
      const inputs = this.widths[layer] as number;
      const outputs = this.widths[layer + 1] as number;
      const isHidden = layer < layers - 1;
      const output = isHidden ? (buffers.hidden[layer] as Float64Array) : buffers.logits;
      const weights = this.weightOffsets[layer] as number;
      const biases = this.biasOffsets[layer] as number;
      for (let r = 0; r < rows; r++) {
        const inRow = r * inputs;
        const outRow = r * outputs;
        for (let o = 0; o < outputs; o++) {
          const weightRow = weights + o * inputs;
          let sum = params[biases + o] as number;
          for (let i = 0; i < inputs; i++) sum += (input[inRow + i] as number) * (params[weightRow + i] as number);
          output[outRow + o] = sum;
        }
      }
      if (!isHidden) break;
      const count = rows * outputs;
      activateHidden(output, count, activation);
      if (applyDropout) {
        const rng = options.rng as Rng;
        const mask = buffers.masks[layer] as Float64Array;
        const dropped = buffers.dropped[layer] as Float64Array;
        // A unit survives with probability 1 - rate; survivors are scaled by 1/(1-rate) so the
        // expected activation matches evaluation, where nothing is dropped ("inverted" dropout).
        for (let k = 0; k < count; k++) {
          const keep = rng.nextUint32() / 4294967296 >= rate ? keepScale : 0;
          mask[k] = keep;
          dropped[k] = (output[k] as number) * keep;
        }
        input = dropped;
      } else {
        input = output;
      }
    }
    this.lastForward = { input: x, rows, dropoutApplied: applyDropout };
    return buffers.logits.subarray(0, rows * this.architecture.output_size);
  }

  /**
   * Gradients of the mean cross-entropy of the last `forward` batch against
   * `labels` (class indices, one per row from `labelOffset`), written over
   * `grads`; returns that mean loss.
   */
  backward(labels: ArrayLike<number>, labelOffset = 0): number {
    const record = this.lastForward;
    if (record === null) throw new MlpError('backward: call forward on the batch first');
    if (this.architecture.output_activation !== 'softmax') {
      throw new MlpError(`backward: the cross-entropy shortcut needs a softmax output, this model's is ${this.architecture.output_activation}`);
    }
    const { rows } = record;
    const buffers = this.buffers as BatchBuffers;
    const classes = this.architecture.output_size;
    const probabilities = buffers.probabilities;
    const logits = buffers.logits;

    // Softmax + cross-entropy: ∂loss/∂logit = (p - onehot(label)) / rows for the mean loss.
    const delta = buffers.deltaA;
    let lossSum = 0;
    for (let r = 0; r < rows; r++) {
      const label = labels[labelOffset + r] as number;
      if (!Number.isInteger(label) || label < 0 || label >= classes) {
        throw new MlpError(`backward: label ${label} of batch row ${r} is not a class index in [0, ${classes})`);
      }
      const row = r * classes;
      lossSum += (buffers.logNormalisers[r] as number) - (logits[row + label] as number);
      for (let c = 0; c < classes; c++) delta[row + c] = (probabilities[row + c] as number) / rows;
      delta[row + label] = (delta[row + label] as number) - 1 / rows;
    }
    this.backPropagate(record);
    return lossSum / rows;
  }

  /** See `Model.backwardRaw`: `outputGradient` holds ∂loss/∂logit for the rows of the last `forwardRaw`. */
  backwardRaw(outputGradient: Float64Array): void {
    const record = this.lastForward;
    if (record === null) throw new MlpError('backwardRaw: call forwardRaw on the batch first');
    const count = record.rows * this.architecture.output_size;
    if (outputGradient.length < count) {
      throw new MlpError(`backwardRaw: ${outputGradient.length} output gradients given, the batch has ${count} outputs`);
    }
    (this.buffers as BatchBuffers).deltaA.set(outputGradient.subarray(0, count));
    this.backPropagate(record);
  }

  /** From ∂loss/∂logits in `deltaA` down to every parameter gradient. */
  private backPropagate(record: ForwardRecord): void {
    const { input: x, rows, dropoutApplied } = record;
    const buffers = this.buffers as BatchBuffers;
    const layers = this.widths.length - 1;
    const activation = this.architecture.activation;
    const params = this.params;
    const grads = this.grads;
    let delta = buffers.deltaA;
    let spare = buffers.deltaB;
    for (let layer = layers - 1; layer >= 0; layer--) {
      const inputs = this.widths[layer] as number;
      const outputs = this.widths[layer + 1] as number;
      const input =
        layer === 0
          ? x
          : dropoutApplied
            ? (buffers.dropped[layer - 1] as Float64Array)
            : (buffers.hidden[layer - 1] as Float64Array);
      const weights = this.weightOffsets[layer] as number;
      const biases = this.biasOffsets[layer] as number;
      grads.fill(0, weights, biases + outputs);
      for (let r = 0; r < rows; r++) {
        const inRow = r * inputs;
        const outRow = r * outputs;
        for (let o = 0; o < outputs; o++) {
          const d = delta[outRow + o] as number;
          if (d === 0) continue; // dead relu units and dropped units contribute nothing
          grads[biases + o] = (grads[biases + o] as number) + d;
          const weightRow = weights + o * inputs;
          for (let i = 0; i < inputs; i++) grads[weightRow + i] = (grads[weightRow + i] as number) + d * (input[inRow + i] as number);
        }
      }
      if (layer === 0) break;

      // Back through the weights, then the dropout mask, then the activation of the layer below.
      const count = rows * inputs;
      spare.fill(0, 0, count);
      for (let r = 0; r < rows; r++) {
        const inRow = r * inputs;
        const outRow = r * outputs;
        for (let o = 0; o < outputs; o++) {
          const d = delta[outRow + o] as number;
          if (d === 0) continue;
          const weightRow = weights + o * inputs;
          for (let i = 0; i < inputs; i++) spare[inRow + i] = (spare[inRow + i] as number) + d * (params[weightRow + i] as number);
        }
      }
      const activated = buffers.hidden[layer - 1] as Float64Array;
      if (dropoutApplied) {
        const mask = buffers.masks[layer - 1] as Float64Array;
        for (let k = 0; k < count; k++) spare[k] = (spare[k] as number) * (mask[k] as number);
      }
      multiplyBySlope(spare, activated, count, activation);
      const used = delta;
      delta = spare;
      spare = used;
    }
  }

  /** Forward in training mode then backward: the mean loss, with `grads` filled. */
  lossAndGradients(x: Float64Array, labels: ArrayLike<number>, rows: number, rng?: Rng): number {
    this.forward(x, rows, { training: true, rng });
    return this.backward(labels);
  }

  /** Mean loss and accuracy over `rows` rows without dropout, in chunks; changes no parameter. */
  evaluate(x: Float64Array, labels: ArrayLike<number>, rows: number): BatchEvaluation {
    if (this.architecture.output_activation !== 'softmax') {
      throw new MlpError(`evaluate: cross-entropy needs a softmax output, this model's is ${this.architecture.output_activation}`);
    }
    const inputSize = this.widths[0] as number;
    const classes = this.architecture.output_size;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < rows; start += EVALUATION_CHUNK_ROWS) {
      const chunk = Math.min(EVALUATION_CHUNK_ROWS, rows - start);
      const probabilities = this.forward(x.subarray(start * inputSize, (start + chunk) * inputSize), chunk);
      const buffers = this.buffers as BatchBuffers;
      for (let r = 0; r < chunk; r++) {
        const label = labels[start + r] as number;
        if (!Number.isInteger(label) || label < 0 || label >= classes) {
          throw new MlpError(`evaluate: label ${label} of row ${start + r} is not a class index in [0, ${classes})`);
        }
        lossSum += (buffers.logNormalisers[r] as number) - (buffers.logits[r * classes + label] as number);
        if (argmax(probabilities, r * classes, classes) === label) correct++;
      }
    }
    this.lastForward = null;
    return { loss: lossSum / rows, accuracy: correct / rows };
  }

  /** See `Model.predictBatch`. */
  predictBatch(x: Float64Array, rows: number): Float64Array {
    return this.predictProbaBatch(x, rows);
  }

  /** Activated outputs (probabilities for softmax) for every row, in a new rows × outputs array. */
  predictProbaBatch(x: Float64Array, rows: number): Float64Array {
    const inputSize = this.widths[0] as number;
    const classes = this.architecture.output_size;
    const result = new Float64Array(rows * classes);
    for (let start = 0; start < rows; start += EVALUATION_CHUNK_ROWS) {
      const chunk = Math.min(EVALUATION_CHUNK_ROWS, rows - start);
      result.set(this.forward(x.subarray(start * inputSize, (start + chunk) * inputSize), chunk), start * classes);
    }
    this.lastForward = null;
    return result;
  }

  /**
   * Class probabilities of the row at `input[offset .. offset + input_size)`,
   * without dropout. Allocates nothing: the result is written to `out` when
   * given, else to an internal array that the next call overwrites. A NaN
   * feature gives NaN probabilities.
   */
  predictProba(input: ArrayLike<number>, offset = 0, out?: Float64Array): Float64Array {
    const inputSize = this.widths[0] as number;
    const classes = this.architecture.output_size;
    if (offset < 0 || offset + inputSize > input.length) {
      throw new MlpError(`predictProba: row at offset ${offset} needs ${inputSize} values, the input holds ${input.length}`);
    }
    const result = out ?? this.rowProbabilities;
    if (result.length < classes) throw new MlpError(`predictProba: out holds ${result.length} values, ${classes} needed`);
    const layers = this.widths.length - 1;
    const activation = this.architecture.activation;
    const params = this.params;
    let source: ArrayLike<number> = input;
    let sourceOffset = offset;
    for (let layer = 0; layer < layers; layer++) {
      const inputs = this.widths[layer] as number;
      const outputs = this.widths[layer + 1] as number;
      const isHidden = layer < layers - 1;
      const target = isHidden ? (this.rowActivations[layer] as Float64Array) : result;
      const weights = this.weightOffsets[layer] as number;
      const biases = this.biasOffsets[layer] as number;
      for (let o = 0; o < outputs; o++) {
        const weightRow = weights + o * inputs;
        let sum = params[biases + o] as number;
        for (let i = 0; i < inputs; i++) sum += (source[sourceOffset + i] as number) * (params[weightRow + i] as number);
        target[o] = isHidden ? activate(sum, activation) : sum;
      }
      source = target;
      sourceOffset = 0;
    }
    return activateOutputs(result, result, 1, classes, this.architecture.output_activation);
  }

  /** The most probable class of the row at `offset` (the first on a tie); -1 when the row gives NaN. */
  predict(input: ArrayLike<number>, offset = 0): number {
    const probabilities = this.predictProba(input, offset);
    return argmax(probabilities, 0, this.architecture.output_size);
  }

  private buffersFor(rows: number): BatchBuffers {
    if (this.buffers !== null && this.buffers.capacity >= rows) return this.buffers;
    const capacity = Math.max(rows, this.buffers?.capacity ?? 0);
    const hidden = this.architecture.hidden_layers;
    const widest = Math.max(...this.widths);
    const classes = this.architecture.output_size;
    this.buffers = {
      capacity,
      hidden: hidden.map((units) => new Float64Array(capacity * units)),
      dropped: hidden.map((units) => new Float64Array(this.architecture.dropout > 0 ? capacity * units : 0)),
      masks: hidden.map((units) => new Float64Array(this.architecture.dropout > 0 ? capacity * units : 0)),
      logits: new Float64Array(capacity * classes),
      probabilities: new Float64Array(capacity * classes),
      logNormalisers: new Float64Array(capacity),
      deltaA: new Float64Array(capacity * widest),
      deltaB: new Float64Array(capacity * widest),
    };
    return this.buffers;
  }
}

/** The hidden activation of one value (NaN stays NaN). */
function activate(x: number, activation: Activation): number {
  switch (activation) {
    case 'relu':
      return x < 0 ? 0 : x;
    case 'leaky_relu':
      return x < 0 ? LEAKY_SLOPE * x : x;
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }
}

function activateHidden(values: Float64Array, count: number, activation: Activation): void {
  if (activation === 'relu') {
    for (let k = 0; k < count; k++) if ((values[k] as number) < 0) values[k] = 0; // NaN stays NaN
    return;
  }
  for (let k = 0; k < count; k++) values[k] = activate(values[k] as number, activation);
}

/** Multiplies the gradients `delta` by the activation's derivative, written in terms of the activated values. */
function multiplyBySlope(delta: Float64Array, activated: Float64Array, count: number, activation: Activation): void {
  switch (activation) {
    case 'relu':
      for (let k = 0; k < count; k++) if (!((activated[k] as number) > 0)) delta[k] = 0;
      break;
    case 'leaky_relu':
      // The sign of the output is the sign of the input, so the slope can be read from the output.
      for (let k = 0; k < count; k++) if (!((activated[k] as number) > 0)) delta[k] = (delta[k] as number) * LEAKY_SLOPE;
      break;
    case 'tanh':
      for (let k = 0; k < count; k++) {
        const a = activated[k] as number;
        delta[k] = (delta[k] as number) * (1 - a * a);
      }
      break;
    case 'sigmoid':
      for (let k = 0; k < count; k++) {
        const a = activated[k] as number;
        delta[k] = (delta[k] as number) * a * (1 - a);
      }
      break;
  }
}

/** Weights and biases of every layer: Σ (fan_in + 1) · fan_out. */
export function countParameters(architecture: MlpArchitectureInput): number {
  const widths = [architecture.input_size, ...architecture.hidden_layers, architecture.output_size];
  let count = 0;
  for (let layer = 0; layer < widths.length - 1; layer++) count += ((widths[layer] as number) + 1) * (widths[layer + 1] as number);
  return count;
}

/** Numerically stable softmax per row (subtracting the row maximum), keeping log Σ exp for the loss. */
function softmaxRows(
  logits: Float64Array,
  probabilities: Float64Array,
  logNormalisers: Float64Array,
  rows: number,
  classes: number,
): void {
  for (let r = 0; r < rows; r++) {
    const row = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if ((logits[row + c] as number) > max) max = logits[row + c] as number;
    let total = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp((logits[row + c] as number) - max);
      probabilities[row + c] = e;
      total += e;
    }
    for (let c = 0; c < classes; c++) probabilities[row + c] = (probabilities[row + c] as number) / total;
    logNormalisers[r] = max + Math.log(total);
  }
}
