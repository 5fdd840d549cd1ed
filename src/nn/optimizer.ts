/**
 * Gradient-descent optimizers over one flat Float64Array of parameters.
 * Their state (moments, velocity, step count) is part of a checkpoint, so a
 * resumed run takes exactly the steps the uninterrupted one would have.
 */
import { z } from 'zod';
import { base64ToFloat64, float64ToBase64 } from './encoding.js';
import { parseWith } from './validation.js';

export const AdamConfigSchema = z.object({
  kind: z.literal('adam'),
  learning_rate: z.number().positive(),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  epsilon: z.number().positive().default(1e-8),
});
export type AdamConfig = z.infer<typeof AdamConfigSchema>;

export const SgdConfigSchema = z.object({
  kind: z.literal('sgd'),
  learning_rate: z.number().positive(),
  /** 0 is plain SGD. */
  momentum: z.number().min(0).lt(1).default(0),
});
export type SgdConfig = z.infer<typeof SgdConfigSchema>;

export const OptimizerConfigSchema = z.discriminatedUnion('kind', [AdamConfigSchema, SgdConfigSchema]);
export type OptimizerConfig = z.infer<typeof OptimizerConfigSchema>;

export const OptimizerSnapshotSchema = z.object({
  config: OptimizerConfigSchema,
  /** Updates applied so far (Adam's bias correction depends on it). */
  steps: z.number().int().min(0),
  /** Base64 Float64Arrays: Adam's `m` and `v`, or SGD's `velocity` (absent without momentum). */
  buffers: z.record(z.string(), z.string()),
});
export type OptimizerSnapshot = z.infer<typeof OptimizerSnapshotSchema>;

export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Updates applied so far. */
  readonly steps: number;
  /** Moves `params` against `grads` in place (both of the size the optimizer was made for). */
  step(params: Float64Array, grads: Float64Array): void;
  snapshot(): OptimizerSnapshot;
}

/** Raised for an optimizer snapshot that does not fit the model it is restored onto. */
export class OptimizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptimizerError';
  }
}

/**
 * Adam (Kingma & Ba 2015, Algorithm 1) with bias correction, in the form
 * PyTorch and TensorFlow.js use: p -= lr * m̂ / (sqrt(v̂) + eps).
 */
class Adam implements Optimizer {
  steps = 0;
  readonly m: Float64Array;
  readonly v: Float64Array;

  constructor(
    readonly config: AdamConfig,
    size: number,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  step(params: Float64Array, grads: Float64Array): void {
    checkSizes(this.m.length, params, grads);
    this.steps++;
    const { learning_rate: lr, beta1, beta2, epsilon } = this.config;
    const correction1 = 1 - Math.pow(beta1, this.steps);
    const correction2 = 1 - Math.pow(beta2, this.steps);
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i] as number;
      const mi = beta1 * (m[i] as number) + oneMinusBeta1 * g;
      const vi = beta2 * (v[i] as number) + oneMinusBeta2 * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = (params[i] as number) - (lr * (mi / correction1)) / (Math.sqrt(vi / correction2) + epsilon);
    }
  }

  snapshot(): OptimizerSnapshot {
    return { config: this.config, steps: this.steps, buffers: { m: float64ToBase64(this.m), v: float64ToBase64(this.v) } };
  }
}

/** SGD with optional heavy-ball momentum in PyTorch's convention: u = μ·u + g; p -= lr·u. */
class Sgd implements Optimizer {
  steps = 0;
  readonly velocity: Float64Array | null;

  constructor(
    readonly config: SgdConfig,
    private readonly size: number,
  ) {
    this.velocity = config.momentum > 0 ? new Float64Array(size) : null;
  }

  step(params: Float64Array, grads: Float64Array): void {
    checkSizes(this.size, params, grads);
    this.steps++;
    const { learning_rate: lr, momentum } = this.config;
    const velocity = this.velocity;
    if (velocity === null) {
      for (let i = 0; i < params.length; i++) params[i] = (params[i] as number) - lr * (grads[i] as number);
      return;
    }
    for (let i = 0; i < params.length; i++) {
      const u = momentum * (velocity[i] as number) + (grads[i] as number);
      velocity[i] = u;
      params[i] = (params[i] as number) - lr * u;
    }
  }

  snapshot(): OptimizerSnapshot {
    return {
      config: this.config,
      steps: this.steps,
      buffers: this.velocity === null ? {} : { velocity: float64ToBase64(this.velocity) },
    };
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
  return parsed.kind === 'adam' ? new Adam(parsed, size) : new Sgd(parsed, size);
}

/** The optimizer `snapshot` was taken from, for a model of `size` parameters. */
export function restoreOptimizer(snapshot: OptimizerSnapshot, size: number): Optimizer {
  const { config, steps, buffers } = parseWith(
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
  if (config.kind === 'adam') {
    const adam = new Adam(config, size);
    adam.m.set(buffer('m'));
    adam.v.set(buffer('v'));
    adam.steps = steps;
    return adam;
  }
  const sgd = new Sgd(config, size);
  if (sgd.velocity !== null) sgd.velocity.set(buffer('velocity'));
  sgd.steps = steps;
  return sgd;
}
