/**
 * Stacked LSTM and GRU networks (PyTorch's gate equations, batch-first, zero
 * initial states) with a linear head on the last layer's final hidden state,
 * trained by backpropagation through time, on the same flat Float64 layout as
 * the MLP.
 *
 * Layout of `params`, layer by layer, then the head (G = 4 gates i, f, g, o
 * for the LSTM; 3 gates r, z, n for the GRU; H = hidden_size):
 *   W_ih [G·H][in]  W_hh [G·H][H]  b_ih [G·H]  b_hh [G·H]   (in = features for layer 0, else H)
 *   head W [K][H]  head b [K]
 * which is PyTorch's `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
 * `bias_hh_l{k}` and `Linear` in the same order, so a state dict maps one to one.
 *
 * Dropout (inverted) applies between stacked layers, at every time step, and
 * to the final hidden state before the head, as the original does.
 * Determinism: fixed summation order, randomness only from the `Rng` passed in.
 */
import { z } from 'zod';
import { networkJson, networkParameters } from './encoding.js';
import type { ForwardOptions, Model } from './model.js';
import { activateOutputs, OutputActivation, sigmoid } from './output.js';
import type { Rng } from './rng.js';
import { parseWith } from './validation.js';
import { createError } from '../common/errors.js';

export const RecurrentCell = z.enum(['lstm', 'gru']);
export type RecurrentCell = z.infer<typeof RecurrentCell>;

export const RecurrentArchitectureSchema = z
  .object({
    cell: RecurrentCell,
    /** Features per time step. */
    input_size: z.number().int().min(1),
    hidden_size: z.number().int().min(1).default(64),
    num_layers: z.number().int().min(1).default(2),
    /** Time steps per sample (the window length T). */
    sequence_length: z.number().int().min(1),
    /** Classes (softmax outputs), or regression outputs. */
    output_size: z.number().int().min(1),
    /** Between stacked layers and on the final hidden state, while training; in [0, 1). */
    dropout: z.number().min(0).lt(1).default(0.2),
    output_activation: OutputActivation.default('softmax'),
  })
  .refine((a) => a.output_activation !== 'softmax' || a.output_size >= 2, {
    message: 'a softmax output needs output_size ≥ 2',
    path: ['output_size'],
  });
export type RecurrentArchitecture = z.output<typeof RecurrentArchitectureSchema>;
export type RecurrentArchitectureInput = z.input<typeof RecurrentArchitectureSchema>;

export const RECURRENT_FORMAT = 'ktrdr.recurrent';
export const RECURRENT_FORMAT_VERSION = 1;

export const RecurrentJsonSchema = z.object({
  format: z.literal(RECURRENT_FORMAT),
  version: z.literal(RECURRENT_FORMAT_VERSION),
  architecture: RecurrentArchitectureSchema,
  /** Base64 of the little-endian doubles of `params`. */
  parameters: z.string(),
});
export type RecurrentJson = z.infer<typeof RecurrentJsonSchema>;

/** Raised for an invalid architecture, input or serialised model; the message names the value and the rule. */
export class RecurrentError extends createError('RecurrentError') {}

interface LayerOffsets {
  readonly inputs: number;
  readonly wih: number;
  readonly whh: number;
  readonly bih: number;
  readonly bhh: number;
}

interface Buffers {
  readonly capacity: number;
  /** Per layer: activated gates, samples × T × G·H. */
  readonly gates: Float64Array[];
  /** Per layer, LSTM: cell states c_t; GRU: W_hn·h_{t−1} + b_hn (the part r gates). samples × T × H. */
  readonly cells: Float64Array[];
  /** Per layer, LSTM only: tanh(c_t). */
  readonly cellTanh: Float64Array[];
  /** Per layer: hidden states h_t. */
  readonly hidden: Float64Array[];
  /** Per layer below the top: the dropout masks and the dropped outputs the next layer reads. */
  readonly masks: Float64Array[];
  readonly dropped: Float64Array[];
  /** The head's input (final hidden state after dropout) and its mask, samples × H. */
  readonly headInput: Float64Array;
  readonly headMask: Float64Array;
  readonly outputs: Float64Array;
  /** ∂loss/∂h for a layer's outputs, and for its inputs (the layer below's outputs). samples × T × H. */
  readonly dHidden: Float64Array;
  readonly dInput: Float64Array;
}

const EVALUATION_CHUNK_SAMPLES = 256;

export class RecurrentNet implements Model {
  readonly architecture: RecurrentArchitecture;
  readonly params: Float64Array;
  readonly grads: Float64Array;
  private readonly gateCount: number;
  private readonly layers: readonly LayerOffsets[];
  private readonly headWeights: number;
  private readonly headBiases: number;
  private buffers: Buffers | null = null;
  private last: { x: Float64Array; samples: number; dropout: boolean } | null = null;
  // Per-step scratch: input-side and hidden-side pre-activations, carried gradients.
  private readonly ax: Float64Array;
  private readonly ah: Float64Array;
  private readonly da: Float64Array;
  private readonly dah: Float64Array;
  private readonly dhNext: Float64Array;
  private readonly dcNext: Float64Array;

  /** A network with the given parameters, or all zeros; use `RecurrentNet.create` for an initialised one. */
  constructor(architecture: RecurrentArchitectureInput, params?: Float64Array) {
    this.architecture = parseWith(RecurrentArchitectureSchema, architecture, 'architecture', (m) => new RecurrentError(m));
    const { cell, input_size: features, hidden_size: hiddenSize, num_layers: layerCount, output_size: outputs } = this.architecture;
    this.gateCount = cell === 'lstm' ? 4 : 3;
    const rowsPerLayer = this.gateCount * hiddenSize;
    const layers: LayerOffsets[] = [];
    let offset = 0;
    for (let layer = 0; layer < layerCount; layer++) {
      const inputs = layer === 0 ? features : hiddenSize;
      const wih = offset;
      const whh = wih + rowsPerLayer * inputs;
      const bih = whh + rowsPerLayer * hiddenSize;
      const bhh = bih + rowsPerLayer;
      offset = bhh + rowsPerLayer;
      layers.push({ inputs, wih, whh, bih, bhh });
    }
    this.layers = layers;
    this.headWeights = offset;
    this.headBiases = offset + outputs * hiddenSize;
    offset = this.headBiases + outputs;
    if (params !== undefined && params.length !== offset) {
      throw new RecurrentError(`parameters: ${params.length} values given, the architecture needs ${offset}`);
    }
    this.params = params === undefined ? new Float64Array(offset) : Float64Array.from(params);
    this.grads = new Float64Array(offset);
    this.ax = new Float64Array(rowsPerLayer);
    this.ah = new Float64Array(rowsPerLayer);
    this.da = new Float64Array(rowsPerLayer);
    this.dah = new Float64Array(rowsPerLayer);
    this.dhNext = new Float64Array(hiddenSize);
    this.dcNext = new Float64Array(hiddenSize);
  }

  /** PyTorch's default initialisation: every weight and bias uniform in [−1/√H, 1/√H), drawn in layout order. */
  static create(architecture: RecurrentArchitectureInput, rng: Rng): RecurrentNet {
    const net = new RecurrentNet(architecture);
    const bound = 1 / Math.sqrt(net.architecture.hidden_size);
    for (let i = 0; i < net.params.length; i++) net.params[i] = (2 * rng.next() - 1) * bound;
    return net;
  }

  static fromJSON(json: unknown): RecurrentNet {
    const { architecture, parameters } = parseWith(RecurrentJsonSchema, json, 'model', (m) => new RecurrentError(m));
    const size = new RecurrentNet(architecture).params.length;
    return new RecurrentNet(architecture, networkParameters(parameters, size, (m) => new RecurrentError(m)));
  }

  toJSON(): RecurrentJson {
    return networkJson(RECURRENT_FORMAT, RECURRENT_FORMAT_VERSION, this.architecture, this.params);
  }

  get kind(): RecurrentCell {
    return this.architecture.cell;
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

  get sequenceLength(): number {
    return this.architecture.sequence_length;
  }

  get outputActivation(): OutputActivation {
    return this.architecture.output_activation;
  }

  forwardRaw(x: Float64Array, samples: number, options: ForwardOptions = {}): Float64Array {
    const { input_size: features, sequence_length: steps, hidden_size: hiddenSize, dropout: rate } = this.architecture;
    if (!Number.isInteger(samples) || samples < 1) throw new RecurrentError(`forward: samples ${samples} must be a positive integer`);
    const needed = samples * steps * features;
    if (x.length < needed) {
      throw new RecurrentError(`forward: input holds ${x.length} values, ${samples} windows of ${steps} × ${features} need ${needed}`);
    }
    const applyDropout = options.training === true && rate > 0;
    if (applyDropout && options.rng === undefined) throw new RecurrentError('forward: training with dropout needs an rng');
    const buffers = this.buffersFor(samples);
    const keepScale = 1 / (1 - rate);
    const layerCount = this.layers.length;
    let input = x;
    for (let layer = 0; layer < layerCount; layer++) {
      this.forwardLayer(layer, input, samples, buffers);
      const hidden = buffers.hidden[layer] as Float64Array;
      if (layer < layerCount - 1 && applyDropout) {
        const rng = options.rng as Rng;
        const mask = buffers.masks[layer] as Float64Array;
        const dropped = buffers.dropped[layer] as Float64Array;
        const count = samples * steps * hiddenSize;
        for (let k = 0; k < count; k++) {
          const keep = rng.nextUint32() / 4294967296 >= rate ? keepScale : 0;
          mask[k] = keep;
          dropped[k] = (hidden[k] as number) * keep;
        }
        input = dropped;
      } else {
        input = hidden;
      }
    }
    // The head reads h_T of the top layer, after dropout while training.
    const top = buffers.hidden[layerCount - 1] as Float64Array;
    const headInput = buffers.headInput;
    for (let s = 0; s < samples; s++) {
      const from = (s * steps + steps - 1) * hiddenSize;
      for (let j = 0; j < hiddenSize; j++) {
        let value = top[from + j] as number;
        if (applyDropout) {
          const keep = (options.rng as Rng).nextUint32() / 4294967296 >= rate ? keepScale : 0;
          buffers.headMask[s * hiddenSize + j] = keep;
          value *= keep;
        }
        headInput[s * hiddenSize + j] = value;
      }
    }
    const outputs = this.architecture.output_size;
    const params = this.params;
    for (let s = 0; s < samples; s++) {
      for (let o = 0; o < outputs; o++) {
        const row = this.headWeights + o * hiddenSize;
        let sum = params[this.headBiases + o] as number;
        for (let j = 0; j < hiddenSize; j++) sum += (headInput[s * hiddenSize + j] as number) * (params[row + j] as number);
        buffers.outputs[s * outputs + o] = sum;
      }
    }
    this.last = { x, samples, dropout: applyDropout };
    return buffers.outputs.subarray(0, samples * outputs);
  }

  private forwardLayer(layer: number, input: Float64Array, samples: number, buffers: Buffers): void {
    const { sequence_length: steps, hidden_size: H } = this.architecture;
    const { inputs, wih, whh, bih, bhh } = this.layers[layer] as LayerOffsets;
    const G = this.gateCount;
    const gateRows = G * H;
    const params = this.params;
    const gates = buffers.gates[layer] as Float64Array;
    const cells = buffers.cells[layer] as Float64Array;
    const cellTanh = buffers.cellTanh[layer] as Float64Array;
    const hidden = buffers.hidden[layer] as Float64Array;
    const ax = this.ax;
    const ah = this.ah;
    const lstm = G === 4;
    for (let s = 0; s < samples; s++) {
      for (let t = 0; t < steps; t++) {
        const inAt = (s * steps + t) * inputs;
        const step = s * steps + t;
        const prev = t === 0 ? -1 : (step - 1) * H;
        for (let r = 0; r < gateRows; r++) {
          const wRow = wih + r * inputs;
          let sum = params[bih + r] as number;
          for (let i = 0; i < inputs; i++) sum += (input[inAt + i] as number) * (params[wRow + i] as number);
          ax[r] = sum;
          const hRow = whh + r * H;
          let hsum = params[bhh + r] as number;
          if (prev >= 0) for (let j = 0; j < H; j++) hsum += (hidden[prev + j] as number) * (params[hRow + j] as number);
          ah[r] = hsum;
        }
        const gateAt = step * gateRows;
        const at = step * H;
        if (lstm) {
          for (let j = 0; j < H; j++) {
            const i = sigmoid((ax[j] as number) + (ah[j] as number));
            const f = sigmoid((ax[H + j] as number) + (ah[H + j] as number));
            const g = Math.tanh((ax[2 * H + j] as number) + (ah[2 * H + j] as number));
            const o = sigmoid((ax[3 * H + j] as number) + (ah[3 * H + j] as number));
            gates[gateAt + j] = i;
            gates[gateAt + H + j] = f;
            gates[gateAt + 2 * H + j] = g;
            gates[gateAt + 3 * H + j] = o;
            const c = (prev >= 0 ? f * (cells[prev + j] as number) : 0) + i * g;
            const tc = Math.tanh(c);
            cells[at + j] = c;
            cellTanh[at + j] = tc;
            hidden[at + j] = o * tc;
          }
        } else {
          for (let j = 0; j < H; j++) {
            const r = sigmoid((ax[j] as number) + (ah[j] as number));
            const z = sigmoid((ax[H + j] as number) + (ah[H + j] as number));
            const hn = ah[2 * H + j] as number;
            const n = Math.tanh((ax[2 * H + j] as number) + r * hn);
            gates[gateAt + j] = r;
            gates[gateAt + H + j] = z;
            gates[gateAt + 2 * H + j] = n;
            cells[at + j] = hn;
            hidden[at + j] = (1 - z) * n + (prev >= 0 ? z * (hidden[prev + j] as number) : 0);
          }
        }
      }
    }
  }

  backwardRaw(outputGradient: Float64Array): void {
    const last = this.last;
    if (last === null) throw new RecurrentError('backwardRaw: call forwardRaw on the batch first');
    const { samples, x, dropout } = last;
    const { sequence_length: steps, hidden_size: H, output_size: outputs } = this.architecture;
    if (outputGradient.length < samples * outputs) {
      throw new RecurrentError(`backwardRaw: ${outputGradient.length} output gradients given, the batch has ${samples * outputs} outputs`);
    }
    const buffers = this.buffers as Buffers;
    const params = this.params;
    const grads = this.grads;
    grads.fill(0);
    // Head: gradients of W and b, and ∂loss/∂h_T of the top layer (through its dropout mask).
    let dHidden = buffers.dHidden;
    let dInput = buffers.dInput;
    dHidden.fill(0, 0, samples * steps * H);
    for (let s = 0; s < samples; s++) {
      const lastStep = (s * steps + steps - 1) * H;
      for (let o = 0; o < outputs; o++) {
        const d = outputGradient[s * outputs + o] as number;
        grads[this.headBiases + o] = (grads[this.headBiases + o] as number) + d;
        const row = this.headWeights + o * H;
        for (let j = 0; j < H; j++) {
          grads[row + j] = (grads[row + j] as number) + d * (buffers.headInput[s * H + j] as number);
          dHidden[lastStep + j] = (dHidden[lastStep + j] as number) + d * (params[row + j] as number);
        }
      }
      if (dropout) for (let j = 0; j < H; j++) dHidden[lastStep + j] = (dHidden[lastStep + j] as number) * (buffers.headMask[s * H + j] as number);
    }
    for (let layer = this.layers.length - 1; layer >= 0; layer--) {
      const input = layer === 0 ? x : dropout ? (buffers.dropped[layer - 1] as Float64Array) : (buffers.hidden[layer - 1] as Float64Array);
      this.backwardLayer(layer, input, samples, dHidden, layer > 0 ? dInput : null, buffers);
      if (layer === 0) break;
      if (dropout) {
        const mask = buffers.masks[layer - 1] as Float64Array;
        const count = samples * steps * H;
        for (let k = 0; k < count; k++) dInput[k] = (dInput[k] as number) * (mask[k] as number);
      }
      const used = dHidden;
      dHidden = dInput;
      dInput = used;
    }
  }

  /** BPTT through one layer: accumulates its parameter gradients, writes ∂loss/∂input into `dInput` when given. */
  private backwardLayer(
    layer: number,
    input: Float64Array,
    samples: number,
    dHidden: Float64Array,
    dInput: Float64Array | null,
    buffers: Buffers,
  ): void {
    const { sequence_length: steps, hidden_size: H } = this.architecture;
    const { inputs, wih, whh, bih, bhh } = this.layers[layer] as LayerOffsets;
    const G = this.gateCount;
    const gateRows = G * H;
    const params = this.params;
    const grads = this.grads;
    const gates = buffers.gates[layer] as Float64Array;
    const cells = buffers.cells[layer] as Float64Array;
    const cellTanh = buffers.cellTanh[layer] as Float64Array;
    const hidden = buffers.hidden[layer] as Float64Array;
    const da = this.da;
    const dah = this.dah;
    const dhNext = this.dhNext;
    const dcNext = this.dcNext;
    const lstm = G === 4;
    if (dInput !== null) dInput.fill(0, 0, samples * steps * inputs);
    for (let s = 0; s < samples; s++) {
      dhNext.fill(0);
      dcNext.fill(0);
      for (let t = steps - 1; t >= 0; t--) {
        const step = s * steps + t;
        const at = step * H;
        const prev = t === 0 ? -1 : (step - 1) * H;
        const gateAt = step * gateRows;
        if (lstm) {
          for (let j = 0; j < H; j++) {
            const dh = (dHidden[at + j] as number) + (dhNext[j] as number);
            const i = gates[gateAt + j] as number;
            const f = gates[gateAt + H + j] as number;
            const g = gates[gateAt + 2 * H + j] as number;
            const o = gates[gateAt + 3 * H + j] as number;
            const tc = cellTanh[at + j] as number;
            const dc = dh * o * (1 - tc * tc) + (dcNext[j] as number);
            const cPrev = prev >= 0 ? (cells[prev + j] as number) : 0;
            da[j] = dc * g * i * (1 - i);
            da[H + j] = dc * cPrev * f * (1 - f);
            da[2 * H + j] = dc * i * (1 - g * g);
            da[3 * H + j] = dh * tc * o * (1 - o);
            dcNext[j] = dc * f;
          }
          dah.set(da);
        } else {
          for (let j = 0; j < H; j++) {
            const dh = (dHidden[at + j] as number) + (dhNext[j] as number);
            const r = gates[gateAt + j] as number;
            const z = gates[gateAt + H + j] as number;
            const n = gates[gateAt + 2 * H + j] as number;
            const hn = cells[at + j] as number;
            const hPrev = prev >= 0 ? (hidden[prev + j] as number) : 0;
            const dan = dh * (1 - z) * (1 - n * n);
            const daz = dh * (hPrev - n) * z * (1 - z);
            const dar = dan * hn * r * (1 - r);
            da[j] = dar;
            da[H + j] = daz;
            da[2 * H + j] = dan;
            dah[j] = dar;
            dah[H + j] = daz;
            dah[2 * H + j] = dan * r;
            // The direct path h_{t−1} → h_t through z; the gates' paths are added below.
            dcNext[j] = dh * z;
          }
        }
        const inAt = step * inputs;
        for (let r = 0; r < gateRows; r++) {
          const d = da[r] as number;
          grads[bih + r] = (grads[bih + r] as number) + d;
          const wRow = wih + r * inputs;
          if (d !== 0) {
            for (let i = 0; i < inputs; i++) grads[wRow + i] = (grads[wRow + i] as number) + d * (input[inAt + i] as number);
            if (dInput !== null) {
              for (let i = 0; i < inputs; i++) dInput[inAt + i] = (dInput[inAt + i] as number) + d * (params[wRow + i] as number);
            }
          }
        }
        if (lstm) dhNext.fill(0);
        else dhNext.set(dcNext);
        for (let r = 0; r < gateRows; r++) {
          const d = dah[r] as number;
          grads[bhh + r] = (grads[bhh + r] as number) + d;
          if (prev < 0 || d === 0) continue;
          const hRow = whh + r * H;
          for (let j = 0; j < H; j++) {
            grads[hRow + j] = (grads[hRow + j] as number) + d * (hidden[prev + j] as number);
            dhNext[j] = (dhNext[j] as number) + d * (params[hRow + j] as number);
          }
        }
      }
    }
  }

  predictBatch(x: Float64Array, samples: number): Float64Array {
    const { sequence_length: steps, input_size: features, output_size: outputs } = this.architecture;
    const result = new Float64Array(samples * outputs);
    const size = steps * features;
    for (let start = 0; start < samples; start += EVALUATION_CHUNK_SAMPLES) {
      const chunk = Math.min(EVALUATION_CHUNK_SAMPLES, samples - start);
      const raw = this.forwardRaw(x.subarray(start * size, (start + chunk) * size), chunk);
      activateOutputs(raw, result.subarray(start * outputs), chunk, outputs, this.architecture.output_activation);
    }
    this.last = null;
    return result;
  }

  predictProbaBatch(x: Float64Array, samples: number): Float64Array {
    return this.predictBatch(x, samples);
  }

  private buffersFor(samples: number): Buffers {
    if (this.buffers !== null && this.buffers.capacity >= samples) return this.buffers;
    const capacity = Math.max(samples, this.buffers?.capacity ?? 0);
    const { sequence_length: steps, hidden_size: H, output_size: outputs, num_layers: layerCount, dropout } = this.architecture;
    const G = this.gateCount;
    const perLayer = capacity * steps * H;
    const lstm = G === 4;
    const widestInput = Math.max(H, this.architecture.input_size);
    this.buffers = {
      capacity,
      gates: Array.from({ length: layerCount }, () => new Float64Array(perLayer * G)),
      cells: Array.from({ length: layerCount }, () => new Float64Array(perLayer)),
      cellTanh: Array.from({ length: layerCount }, () => new Float64Array(lstm ? perLayer : 0)),
      hidden: Array.from({ length: layerCount }, () => new Float64Array(perLayer)),
      masks: Array.from({ length: layerCount - 1 }, () => new Float64Array(dropout > 0 ? perLayer : 0)),
      dropped: Array.from({ length: layerCount - 1 }, () => new Float64Array(dropout > 0 ? perLayer : 0)),
      headInput: new Float64Array(capacity * H),
      headMask: new Float64Array(capacity * H),
      outputs: new Float64Array(capacity * outputs),
      dHidden: new Float64Array(capacity * steps * widestInput),
      dInput: new Float64Array(capacity * steps * widestInput),
    };
    return this.buffers;
  }
}
