/**
 * Gradient-descent optimizers (Adam, AdamW, SGD, RMSprop, in PyTorch's
 * conventions) over one flat Float64Array of parameters, and global-norm
 * gradient clipping.
 * Their state (moments, velocity, step count) is part of a checkpoint, so a
 * resumed run takes exactly the steps the uninterrupted one would have.
 */
import { z } from 'zod';
import { base64ToFloat64, float64ToBase64 } from './encoding.js';
import { parseWith } from './validation.js';
import { createError } from '../common/errors.js';

const adamFields = {
  learning_rate: z.number().positive(),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  epsilon: z.number().positive().default(1e-8),
};

/** Adam; `weight_decay` is classic L2, added to the gradient (PyTorch's `Adam`, the original's 1e-4 for classification). */
export const AdamConfigSchema = z.object({
  kind: z.literal('adam'),
  ...adamFields,
  weight_decay: z.number().min(0).default(0),
});
export type AdamConfig = z.infer<typeof AdamConfigSchema>;

/** Adam with decoupled weight decay (Loshchilov & Hutter): p -= lr·wd·p before the Adam step (PyTorch's `AdamW`). */
export const AdamWConfigSchema = z.object({
  kind: z.literal('adamw'),
  ...adamFields,
  weight_decay: z.number().min(0).default(0.01),
});
export type AdamWConfig = z.infer<typeof AdamWConfigSchema>;

export const SgdConfigSchema = z.object({
  kind: z.literal('sgd'),
  learning_rate: z.number().positive(),
  /** 0 is plain SGD. */
  momentum: z.number().min(0).lt(1).default(0),
  /** L2, added to the gradient. */
  weight_decay: z.number().min(0).default(0),
});
export type SgdConfig = z.infer<typeof SgdConfigSchema>;

/** RMSprop in PyTorch's form: v = α·v + (1−α)·g²; p -= lr·g/(√v + ε), with optional momentum on that step. */
export const RmspropConfigSchema = z.object({
  kind: z.literal('rmsprop'),
  learning_rate: z.number().positive(),
  alpha: z.number().min(0).lt(1).default(0.99),
  epsilon: z.number().positive().default(1e-8),
  momentum: z.number().min(0).lt(1).default(0),
  weight_decay: z.number().min(0).default(0),
});
export type RmspropConfig = z.infer<typeof RmspropConfigSchema>;

export const OptimizerConfigSchema = z.discriminatedUnion('kind', [
  AdamConfigSchema,
  AdamWConfigSchema,
  SgdConfigSchema,
  RmspropConfigSchema,
]);
export type OptimizerConfig = z.infer<typeof OptimizerConfigSchema>;

export const OptimizerSnapshotSchema = z.object({
  config: OptimizerConfigSchema,
  /** Updates applied so far (Adam's bias correction depends on it). */
  steps: z.number().int().min(0),
  /** The learning rate in force (a scheduler may have moved it from `config.learning_rate`). */
  learning_rate: z.number().positive().optional(),
  /** Base64 Float64Arrays: Adam's `m` and `v`, SGD's `velocity` (absent without momentum), RMSprop's `square` and `velocity`. */
  buffers: z.record(z.string(), z.string()),
});
export type OptimizerSnapshot = z.infer<typeof OptimizerSnapshotSchema>;

export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Updates applied so far. */
  readonly steps: number;
  /** The step size of the next update; starts at `config.learning_rate`, a scheduler changes it between epochs. */
  learningRate: number;
  /** Moves `params` against `grads` in place (both of the size the optimizer was made for). */
  step(params: Float64Array, grads: Float64Array): void;
  snapshot(): OptimizerSnapshot;
}

/** Raised for an optimizer snapshot that does not fit the model it is restored onto. */
export class OptimizerError extends createError('OptimizerError') {}

/**
 * Adam (Kingma & Ba 2015, Algorithm 1) with bias correction, in the form
 * PyTorch and TensorFlow.js use: p -= lr * m̂ / (sqrt(v̂) + eps).
 */
class Adam implements Optimizer {
  steps = 0;
  learningRate: number;
  readonly m: Float64Array;
  readonly v: Float64Array;

  constructor(
    readonly config: AdamConfig | AdamWConfig,
    size: number,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
    this.learningRate = config.learning_rate;
  }

  step(params: Float64Array, grads: Float64Array): void {
    checkSizes(this.m.length, params, grads);
    this.steps++;
    const { beta1, beta2, epsilon, weight_decay: decay } = this.config;
    const lr = this.learningRate;
    const decoupled = this.config.kind === 'adamw';
    if (decoupled && decay > 0) {
      const shrink = 1 - lr * decay;
      for (let i = 0; i < params.length; i++) params[i] = (params[i] as number) * shrink;
    }
    const l2 = decoupled ? 0 : decay;
    const correction1 = 1 - Math.pow(beta1, this.steps);
    const correction2 = 1 - Math.pow(beta2, this.steps);
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < params.length; i++) {
      const g = l2 === 0 ? (grads[i] as number) : (grads[i] as number) + l2 * (params[i] as number);
      const mi = beta1 * (m[i] as number) + oneMinusBeta1 * g;
      const vi = beta2 * (v[i] as number) + oneMinusBeta2 * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = (params[i] as number) - (lr * (mi / correction1)) / (Math.sqrt(vi / correction2) + epsilon);
    }
  }

  snapshot(): OptimizerSnapshot {
    return {
      config: this.config,
      steps: this.steps,
      learning_rate: this.learningRate,
      buffers: { m: float64ToBase64(this.m), v: float64ToBase64(this.v) },
    };
  }
}

/** SGD with optional heavy-ball momentum in PyTorch's convention: u = μ·u + g; p -= lr·u. */
class Sgd implements Optimizer {
  steps = 0;
  learningRate: number;
  readonly velocity: Float64Array | null;

  constructor(
    readonly config: SgdConfig,
    private readonly size: number,
  ) {
    this.velocity = config.momentum > 0 ? new Float64Array(size) : null;
    this.learningRate = config.learning_rate;
  }

  step(params: Float64Array, grads: Float64Array): void {
    checkSizes(this.size, params, grads);
    this.steps++;
    const { momentum, weight_decay: decay } = this.config;
    const lr = this.learningRate;
    const velocity = this.velocity;
    if (velocity === null) {
      for (let i = 0; i < params.length; i++) {
        const g = decay === 0 ? (grads[i] as number) : (grads[i] as number) + decay * (params[i] as number);
        params[i] = (params[i] as number) - lr * g;
      }
      return;
    }
    for (let i = 0; i < params.length; i++) {
      const g = decay === 0 ? (grads[i] as number) : (grads[i] as number) + decay * (params[i] as number);
      const u = momentum * (velocity[i] as number) + g;
      velocity[i] = u;
      params[i] = (params[i] as number) - lr * u;
    }
  }

  snapshot(): OptimizerSnapshot {
    return {
      config: this.config,
      steps: this.steps,
      learning_rate: this.learningRate,
      buffers: this.velocity === null ? {} : { velocity: float64ToBase64(this.velocity) },
    };
  }
}

class Rmsprop implements Optimizer {
  steps = 0;
  learningRate: number;
  readonly square: Float64Array;
  readonly velocity: Float64Array | null;

  constructor(
    readonly config: RmspropConfig,
    private readonly size: number,
  ) {
    this.square = new Float64Array(size);
    this.velocity = config.momentum > 0 ? new Float64Array(size) : null;
    this.learningRate = config.learning_rate;
  }

  step(params: Float64Array, grads: Float64Array): void {
    checkSizes(this.size, params, grads);
    this.steps++;
    const { alpha, epsilon, momentum, weight_decay: decay } = this.config;
    const lr = this.learningRate;
    const square = this.square;
    const velocity = this.velocity;
    for (let i = 0; i < params.length; i++) {
      const g = decay === 0 ? (grads[i] as number) : (grads[i] as number) + decay * (params[i] as number);
      const v = alpha * (square[i] as number) + (1 - alpha) * g * g;
      square[i] = v;
      const update = g / (Math.sqrt(v) + epsilon);
      if (velocity === null) {
        params[i] = (params[i] as number) - lr * update;
      } else {
        const u = momentum * (velocity[i] as number) + update;
        velocity[i] = u;
        params[i] = (params[i] as number) - lr * u;
      }
    }
  }

  snapshot(): OptimizerSnapshot {
    const buffers: Record<string, string> = { square: float64ToBase64(this.square) };
    if (this.velocity !== null) buffers.velocity = float64ToBase64(this.velocity);
    return { config: this.config, steps: this.steps, learning_rate: this.learningRate, buffers };
  }
}

function checkSizes(size: number, params: Float64Array, grads: Float64Array): void {
  if (params.length !== size || grads.length !== size) {
    throw new OptimizerError(
      `optimizer made for ${size} parameters was given ${params.length} parameters and ${grads.length} gradients`,
    );
  }
}

/** A fresh optimizer for `size` parameters; `config` is validated (defaults filled in). */
export function createOptimizer(config: z.input<typeof OptimizerConfigSchema>, size: number): Optimizer {
  const parsed = parseWith(OptimizerConfigSchema, config, 'optimizer', (message) => new OptimizerError(message));
  switch (parsed.kind) {
    case 'adam':
    case 'adamw':
      return new Adam(parsed, size);
    case 'sgd':
      return new Sgd(parsed, size);
    case 'rmsprop':
      return new Rmsprop(parsed, size);
  }
}

/** The optimizer `snapshot` was taken from, for a model of `size` parameters. */
export function restoreOptimizer(snapshot: OptimizerSnapshot, size: number): Optimizer {
  const { config, steps, buffers, learning_rate: learningRate } = parseWith(
    OptimizerSnapshotSchema,
    snapshot,
    'optimizer snapshot',
    (message) => new OptimizerError(message),
  );
  const buffer = (name: string): Float64Array => {
    const encoded = buffers[name];
    if (encoded === undefined) throw new OptimizerError(`optimizer snapshot.buffers: '${name}' is missing for ${config.kind}`);
    return base64ToFloat64(encoded, `optimizer snapshot.buffers.${name}`, size);
  };
  let optimizer: Adam | Sgd | Rmsprop;
  switch (config.kind) {
    case 'adam':
    case 'adamw':
      optimizer = new Adam(config, size);
      optimizer.m.set(buffer('m'));
      optimizer.v.set(buffer('v'));
      break;
    case 'sgd':
      optimizer = new Sgd(config, size);
      if (optimizer.velocity !== null) optimizer.velocity.set(buffer('velocity'));
      break;
    case 'rmsprop':
      optimizer = new Rmsprop(config, size);
      optimizer.square.set(buffer('square'));
      if (optimizer.velocity !== null) optimizer.velocity.set(buffer('velocity'));
      break;
  }
  optimizer.steps = steps;
  if (learningRate !== undefined) optimizer.learningRate = learningRate;
  return optimizer;
}

/**
 * Scales `grads` in place so that their global L2 norm is at most `maxNorm`
 * (PyTorch's `clip_grad_norm_`: factor maxNorm / (norm + 1e-6), applied only
 * when below 1); returns the norm before clipping. A non-finite norm is
 * returned and nothing is scaled, so the caller sees the divergence.
 */
export function clipGradientNorm(grads: Float64Array, maxNorm: number): number {
  let squares = 0;
  for (let i = 0; i < grads.length; i++) squares += (grads[i] as number) * (grads[i] as number);
  const norm = Math.sqrt(squares);
  if (!Number.isFinite(norm)) return norm;
  const factor = maxNorm / (norm + 1e-6);
  if (factor < 1) for (let i = 0; i < grads.length; i++) grads[i] = (grads[i] as number) * factor;
  return norm;
}
