/**
 * What the trainer needs of a network, whatever its kind: flat parameters
 * and gradients, a forward pass to raw outputs over a batch of samples and
 * the backward pass from the gradient of those outputs. Losses and output
 * activations live outside the network (see losses.ts, output.ts), so every
 * kind trains with every loss.
 */
import type { OutputActivation } from './output.js';
import type { Rng } from './rng.js';

export type ModelKind = 'mlp' | 'lstm' | 'gru';

export interface ForwardOptions {
  /** Applies dropout (needs `rng`); evaluation and inference leave it off. */
  readonly training?: boolean;
  /** Source of the dropout masks while training. */
  readonly rng?: Rng;
}

export interface Model {
  readonly kind: ModelKind;
  /** Every parameter in one array (the optimizer's and a checkpoint's unit). */
  readonly params: Float64Array;
  /** Gradients of the last `backwardRaw`, same layout as `params`. */
  readonly grads: Float64Array;
  readonly parameterCount: number;
  /** Features per row. */
  readonly inputSize: number;
  /** Raw outputs per sample: classes, or regression targets. */
  readonly outputSize: number;
  /** Rows per sample, oldest first: 1 for the MLP, `sequence_length` for recurrent networks. */
  readonly sequenceLength: number;
  readonly outputActivation: OutputActivation;
  /**
   * Raw outputs (before the output activation) of `samples` samples of `x`,
   * each `sequenceLength × inputSize` values row-major, as a view that the
   * next forward overwrites. Keeps what `backwardRaw` needs.
   */
  forwardRaw(x: Float64Array, samples: number, options?: ForwardOptions): Float64Array;
  /** Writes into `grads` the gradient of a loss whose gradient with respect to the last forward's raw outputs is given. */
  backwardRaw(outputGradient: Float64Array): void;
  /** The activated outputs (probabilities for softmax) of `samples` samples, in a new array, without dropout. */
  predictBatch(x: Float64Array, samples: number): Float64Array;
  /** `predictBatch` under the name the MLP's callers know (the outputs are probabilities only with softmax). */
  predictProbaBatch(x: Float64Array, samples: number): Float64Array;
  toJSON(): unknown;
}
