/**
 * Learning-rate schedulers stepped once per epoch, in PyTorch's chainable
 * form (the rate is multiplied in place, not recomputed from the epoch), with
 * a JSON state so that a resumed run continues with the same rate.
 */
import { z } from 'zod';
import { decodeNumber, encodeNumber, JsonNumberSchema } from './encoding.js';
import { parseWith } from './validation.js';
import { createError } from '../common/errors.js';

export const LrSchedulerConfigSchema = z.discriminatedUnion('type', [
  /** Multiplies the rate by `gamma` every `step_size` epochs (PyTorch `StepLR`). */
  z.object({
    type: z.literal('step'),
    step_size: z.number().int().min(1).default(30),
    gamma: z.number().positive().default(0.1),
  }),
  /** Multiplies the rate by `gamma` every epoch (PyTorch `ExponentialLR`). */
  z.object({ type: z.literal('exponential'), gamma: z.number().positive().default(0.95) }),
  /**
   * Multiplies the rate by `factor` (not below `min_lr`) once the monitored loss has not improved on its best by
   * the relative `threshold` for more than `patience` epochs, then waits `cooldown` epochs (PyTorch `ReduceLROnPlateau`, mode min).
   */
  z.object({
    type: z.literal('reduce_on_plateau'),
    factor: z.number().positive().lt(1).default(0.5),
    patience: z.number().int().min(0).default(5),
    threshold: z.number().min(0).default(1e-4),
    cooldown: z.number().int().min(0).default(0),
    min_lr: z.number().min(0).default(0),
  }),
]);
export type LrSchedulerConfig = z.output<typeof LrSchedulerConfigSchema>;
export type LrSchedulerConfigInput = z.input<typeof LrSchedulerConfigSchema>;

export const LrSchedulerStateSchema = z.object({
  /** Epochs stepped so far. */
  epochs: z.number().int().min(0),
  learning_rate: JsonNumberSchema,
  /** reduce_on_plateau: the best monitored loss so far (null before the first epoch). */
  best: JsonNumberSchema.nullable(),
  bad_epochs: z.number().int().min(0),
  cooldown_left: z.number().int().min(0),
});
export type LrSchedulerState = z.infer<typeof LrSchedulerStateSchema>;

/** Raised for a scheduler state that cannot be restored. */
export class LrSchedulerError extends createError('LrSchedulerError') {}

/** Below this a plateau reduction is not applied (PyTorch's `eps`), so the rate stops moving at `min_lr`. */
const NEGLIGIBLE_CHANGE = 1e-8;

export class LrScheduler {
  readonly config: LrSchedulerConfig;
  private epochs = 0;
  private rate: number;
  private best: number | null = null;
  private badEpochs = 0;
  private cooldownLeft = 0;

  constructor(config: LrSchedulerConfigInput, initialLearningRate: number) {
    this.config = parseWith(LrSchedulerConfigSchema, config, 'lr_scheduler', (m) => new LrSchedulerError(m));
    this.rate = initialLearningRate;
  }

  static restore(config: LrSchedulerConfigInput, state: unknown): LrScheduler {
    const parsed = parseWith(LrSchedulerStateSchema, state, 'lr_scheduler state', (m) => new LrSchedulerError(m));
    const scheduler = new LrScheduler(config, decodeNumber(parsed.learning_rate, 'lr_scheduler state.learning_rate'));
    scheduler.epochs = parsed.epochs;
    scheduler.best = parsed.best === null ? null : decodeNumber(parsed.best, 'lr_scheduler state.best');
    scheduler.badEpochs = parsed.bad_epochs;
    scheduler.cooldownLeft = parsed.cooldown_left;
    return scheduler;
  }

  /** The rate for the next epoch. */
  get learningRate(): number {
    return this.rate;
  }

  /** Ends an epoch; `monitored` is the loss reduce_on_plateau watches (ignored by the others). Returns the new rate. */
  step(monitored: number): number {
    this.epochs++;
    const config = this.config;
    switch (config.type) {
      case 'step':
        if (this.epochs % config.step_size === 0) this.rate *= config.gamma;
        break;
      case 'exponential':
        this.rate *= config.gamma;
        break;
      case 'reduce_on_plateau': {
        if (this.best === null || monitored < this.best * (1 - config.threshold)) {
          this.best = monitored;
          this.badEpochs = 0;
        } else {
          this.badEpochs++;
        }
        if (this.cooldownLeft > 0) {
          this.cooldownLeft--;
          this.badEpochs = 0;
        }
        if (this.badEpochs > config.patience) {
          const reduced = Math.max(this.rate * config.factor, config.min_lr);
          if (this.rate - reduced > NEGLIGIBLE_CHANGE) this.rate = reduced;
          this.cooldownLeft = config.cooldown;
          this.badEpochs = 0;
        }
        break;
      }
    }
    return this.rate;
  }

  state(): LrSchedulerState {
    return {
      epochs: this.epochs,
      learning_rate: encodeNumber(this.rate),
      best: this.best === null ? null : encodeNumber(this.best),
      bad_epochs: this.badEpochs,
      cooldown_left: this.cooldownLeft,
    };
  }
}
