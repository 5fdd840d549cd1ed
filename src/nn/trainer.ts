/**
 * Mini-batch training of any `Model` (MLP, LSTM, GRU): epochs over samples
 * shuffled by a seeded `Rng` (or drawn by weight, with replacement), a loss
 * of losses.ts, global-norm gradient clipping, Adam/AdamW/SGD/RMSprop, a
 * learning-rate scheduler, validation after each epoch, early stopping on
 * the validation loss or accuracy with the best weights restored, a
 * per-epoch callback, cancellation between batches, a typed stop when the
 * loss diverges, and `snapshot()`/`Trainer.restore()` of everything the next
 * epoch depends on, so that a run stopped after epoch k and resumed ends
 * bit-identical to one that never stopped.
 *
 * Samples: one row for the MLP; for recurrent models the window of
 * `sequence_length` rows ending at a row, never spanning two segments of the
 * data set (see windows.ts); a sample's label, target and weight are those
 * of its last row. The training and validation sets are windowed separately,
 * so no window crosses the split.
 *
 * The single generator drives, in this order: weight initialisation, then
 * per epoch the shuffle (or weighted draw) of the training samples and the
 * dropout masks of each batch. Its state at an epoch boundary is therefore
 * all the randomness the rest of the run needs.
 */
import { z } from 'zod';
import { createError } from '../common/errors.js';
import { argmax } from './argmax.js';
import { fingerprint, validateDataset, validateRegressionDataset } from './dataset.js';
import type { Dataset } from './dataset.js';
import { base64ToFloat64, decodeNumber, encodeNumber, float64ToBase64, JsonNumberSchema } from './encoding.js';
import { balancedClassWeights, createLoss, isRegressionLoss, LossConfigSchema } from './losses.js';
import type { Loss } from './losses.js';
import { Activation } from './mlp.js';
import type { Model } from './model.js';
import { createModel, modelFromJSON, ModelJsonSchema } from './models.js';
import { clipGradientNorm, createOptimizer, OptimizerSnapshotSchema, restoreOptimizer } from './optimizer.js';
import type { Optimizer, OptimizerSnapshot } from './optimizer.js';
import { OutputActivation } from './output.js';
import { RecurrentCell } from './recurrent.js';
import { Rng, RngStateSchema } from './rng.js';
import type { RngState } from './rng.js';
import { LrScheduler, LrSchedulerConfigSchema, LrSchedulerStateSchema } from './scheduler.js';
import { parseWith } from './validation.js';
import { gatherWindows, windowEnds } from './windows.js';

// Strict: a recurrent key on an MLP (or the reverse) is a mistake to name, not to drop.
const MlpModelConfigSchema = z.strictObject({
  type: z.literal('mlp').default('mlp'),
  hidden_layers: z.array(z.number().int().min(1)).default([32, 16]),
  activation: Activation.default('relu'),
  dropout: z.number().min(0).lt(1).default(0),
  /** Default: softmax for a classification loss, linear for a regression loss. */
  output_activation: OutputActivation.optional(),
});

const RecurrentModelConfigSchema = z.strictObject({
  type: RecurrentCell,
  hidden_size: z.number().int().min(1).default(64),
  num_layers: z.number().int().min(1).default(2),
  /** Rows per sample (the window length). */
  sequence_length: z.number().int().min(1),
  dropout: z.number().min(0).lt(1).default(0.2),
  output_activation: OutputActivation.optional(),
});

export const TrainerConfigSchema = z
  .object({
    /** The network: an MLP (`type` absent or `mlp`) or a recurrent one (`lstm`, `gru`). */
    architecture: z.discriminatedUnion('type', [RecurrentModelConfigSchema, MlpModelConfigSchema]),
    /** Classification: number of classes; labels are indices in [0, classes). 3 = BUY, HOLD, SELL. Regression: unused (one output). */
    classes: z.number().int().min(2).default(3),
    epochs: z.number().int().min(1),
    batch_size: z.number().int().min(1),
    learning_rate: z.number().positive(),
    optimizer: z.enum(['adam', 'adamw', 'sgd', 'rmsprop']).default('adam'),
    /** SGD and RMSprop; 0 is none. */
    momentum: z.number().min(0).lt(1).default(0),
    /** L2 (adam, sgd, rmsprop) or decoupled (adamw) weight decay; absent: 0, or 0.01 for adamw. */
    weight_decay: z.number().min(0).optional(),
    loss: LossConfigSchema.default({ type: 'cross_entropy' }),
    /** Classification only: `balanced` = the inverse class frequencies of the training labels, scaled to sum to the class count. */
    class_weights: z.union([z.enum(['none', 'balanced']), z.array(z.number().min(0))]).default('none'),
    /** Global L2 norm the gradients are clipped to before each step; 0 disables. */
    gradient_clip: z.number().min(0).default(1),
    lr_scheduler: LrSchedulerConfigSchema.nullable().default(null),
    early_stopping: z
      .object({
        enabled: z.boolean().default(false),
        /** Epochs without an improvement of more than `min_delta` before stopping. */
        patience: z.number().int().min(1).default(10),
        min_delta: z.number().min(0).default(0),
        monitor: z.enum(['val_loss', 'val_accuracy']).default('val_loss'),
      })
      .default({ enabled: false, patience: 10, min_delta: 0, monitor: 'val_loss' }),
    /** Put the best validation epoch's weights back at the end; absent: only when early stopping is on. */
    restore_best: z.boolean().optional(),
    seed: z.number().int().refine(Number.isSafeInteger, 'seed must be a safe integer').default(0),
  })
  .superRefine((config, context) => {
    const regression = isRegressionLoss(config.loss.type);
    const activation = config.architecture.output_activation;
    if (activation !== undefined && (activation === 'softmax') === regression) {
      context.addIssue({
        code: 'custom',
        path: ['architecture', 'output_activation'],
        message: regression
          ? `loss ${config.loss.type} is a regression loss: output_activation must be linear, tanh or sigmoid, not softmax`
          : `loss ${config.loss.type} is a classification loss: output_activation must be softmax, not ${activation}`,
      });
    }
    if (regression && config.class_weights !== 'none') {
      context.addIssue({ code: 'custom', path: ['class_weights'], message: `class weights apply to classification, loss ${config.loss.type} is a regression loss` });
    }
    if (Array.isArray(config.class_weights) && config.class_weights.length !== config.classes) {
      context.addIssue({
        code: 'custom',
        path: ['class_weights'],
        message: `${config.class_weights.length} weights given for ${config.classes} classes`,
      });
    }
  });
export type TrainerConfig = z.output<typeof TrainerConfigSchema>;
export type TrainerConfigInput = z.input<typeof TrainerConfigSchema>;

export interface TrainingData {
  readonly train: Dataset;
  /** Needed for early stopping; without it `val_loss` and `val_accuracy` are null. */
  readonly validation?: Dataset | null;
}

/** One epoch's figures; training loss and accuracy are over the batches as trained (dropout on). */
export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
  /** Argmax accuracy (classification) or sign agreement of prediction and target (regression). */
  readonly accuracy: number;
  readonly val_loss: number | null;
  readonly val_accuracy: number | null;
  /** The learning rate the epoch trained with. */
  readonly learning_rate: number;
}

/** What `onEpoch` receives after each epoch. */
export interface EpochReport extends EpochRecord {
  /** The configured number of epochs. */
  readonly epochs: number;
  /** Best validation epoch so far (by the monitored figure), and its validation loss (null without validation). */
  readonly best_epoch: number | null;
  readonly best_val_loss: number | null;
  readonly epochs_without_improvement: number;
  /** True when early stopping ends the run after this epoch. */
  readonly stopped_early: boolean;
  /** The epoch the run was restored at, or null for a fresh run. */
  readonly resumed_from_epoch: number | null;
}

export interface RunOptions {
  /** Called after every epoch; awaited, so a checkpoint upload finishes before the next epoch starts. */
  readonly onEpoch?: (report: EpochReport) => void | Promise<void>;
  /** Checked before every batch; when aborted the run rolls back to the last epoch boundary and throws `TrainingAborted`. */
  readonly signal?: AbortSignal;
  /**
   * How often (ms) a running epoch yields to the event loop so that an abort
   * (e.g. a cancel request over HTTP) can arrive; 0 never yields. Default 50.
   * Yielding changes no result.
   */
  readonly yieldEveryMs?: number;
}

export interface TrainingOutcome {
  /** The trained model: the best validation epoch's weights when `restored_best`. */
  readonly model: Model;
  readonly epochs_completed: number;
  readonly stopped_early: boolean;
  readonly best_epoch: number | null;
  readonly best_val_loss: number | null;
  /** Whether `model` holds the best epoch's weights rather than the last epoch's. */
  readonly restored_best: boolean;
  readonly history: readonly EpochRecord[];
  readonly resumed_from_epoch: number | null;
}

/** Raised for a configuration, data set or snapshot the trainer cannot use. */
export class TrainerError extends createError('TrainerError') {}

/**
 * Thrown by `run` when its signal is aborted; `reason` is the signal's. The
 * trainer is back at the end of its last completed epoch (`epoch`), so
 * `snapshot()` still describes a state to resume from.
 */
export class TrainingAborted extends createError('TrainingAborted', {
  message: (_reason: unknown, epoch: number) => `training stopped after epoch ${epoch}: the run was aborted`,
  fields: (reason, epoch) => ({ reason, epoch }),
}) {}

/**
 * Thrown by `run` when a loss or the gradient norm is NaN or infinite. Like
 * an abort, the trainer is rolled back to the end of the last good epoch
 * (`epoch - 1`); the diverged weights are never recorded, nor taken as best.
 */
export class TrainingDiverged extends createError('TrainingDiverged', {
  base: TrainerError,
  /** `epoch` is the epoch that diverged (1-based); `batch` the batch of that epoch (1-based), or null when the validation loss diverged. */
  message: (epoch: number, batch: number | null, what: 'loss' | 'gradient norm' | 'validation loss', value: number) =>
    `training diverged in epoch ${epoch}${batch === null ? '' : `, batch ${batch}`}: the ${what} is ${value}; ` +
    `the model is kept as it was after epoch ${epoch - 1} (try a lower learning_rate or a gradient_clip)`,
  fields: (epoch, batch, what, value) => ({ epoch, batch, what, value }),
}) {}

export const TRAINER_SNAPSHOT_FORMAT = 'ktrdr.trainer-snapshot';
export const TRAINER_SNAPSHOT_VERSION = 2;

const EncodedEpochRecordSchema = z.object({
  epoch: z.number().int().min(1),
  loss: JsonNumberSchema,
  accuracy: JsonNumberSchema,
  val_loss: JsonNumberSchema.nullable(),
  val_accuracy: JsonNumberSchema.nullable(),
  learning_rate: JsonNumberSchema,
});
type EncodedEpochRecord = z.infer<typeof EncodedEpochRecordSchema>;

/** Everything the rest of a run depends on, as plain JSON (arrays as base64 of little-endian doubles). */
export const TrainerSnapshotSchema = z.object({
  format: z.literal(TRAINER_SNAPSHOT_FORMAT),
  version: z.literal(TRAINER_SNAPSHOT_VERSION),
  config: TrainerConfigSchema,
  /** SHA-256 of the training and validation sets (see `fingerprint`). */
  data_fingerprint: z.string(),
  /** Epochs completed. */
  epoch: z.number().int().min(0),
  stopped_early: z.boolean(),
  finished: z.boolean(),
  model: ModelJsonSchema,
  optimizer: OptimizerSnapshotSchema,
  rng: RngStateSchema,
  scheduler: LrSchedulerStateSchema.nullable(),
  best: z
    .object({ epoch: z.number().int().min(1), val_loss: JsonNumberSchema, score: JsonNumberSchema, parameters: z.string() })
    .nullable(),
  epochs_without_improvement: z.number().int().min(0),
  history: z.array(EncodedEpochRecordSchema),
  resumed_from_epoch: z.number().int().min(0).nullable(),
});
export type TrainerSnapshot = z.infer<typeof TrainerSnapshotSchema>;

interface BestEpoch {
  readonly epoch: number;
  readonly valLoss: number;
  /** The monitored figure, larger is better (−val_loss or val_accuracy). */
  readonly score: number;
  readonly params: Float64Array;
}

/** The state at the last epoch boundary, to roll back to when a run is aborted or diverges mid-epoch. */
interface Boundary {
  readonly params: Float64Array;
  readonly optimizer: OptimizerSnapshot;
  readonly rng: RngState;
}

/** A data set prepared for training: its samples (window ends) and, with weights, their cumulative sums. */
interface Samples {
  readonly data: Dataset;
  readonly ends: Int32Array;
  readonly cumulativeWeights: Float64Array | null;
}

interface Figures {
  readonly loss: number;
  readonly accuracy: number;
}

const DEFAULT_YIELD_EVERY_MS = 50;
const EVALUATION_CHUNK_SAMPLES = 256;

export class Trainer {
  readonly config: TrainerConfig;
  private readonly train: Samples;
  private readonly validation: Samples | null;
  private readonly dataFingerprint: string;
  private readonly regression: boolean;
  private readonly loss: Loss;
  private modelValue: Model;
  private optimizer: Optimizer;
  private scheduler: LrScheduler | null;
  private rng: Rng;
  private epochsDone = 0;
  private stoppedEarly = false;
  private finished = false;
  private best: BestEpoch | null = null;
  private epochsWithoutImprovement = 0;
  private readonly records: EpochRecord[] = [];
  private resumedFromEpoch: number | null = null;
  private running = false;
  /** True while an epoch's batches run (between them `run` may yield to the event loop). */
  private inEpoch = false;
  // Scratch buffers for one batch.
  private readonly order: Int32Array;
  private readonly batchX: Float64Array;
  private readonly batchTargets: Float64Array;
  private readonly outputGradient: Float64Array;

  constructor(config: TrainerConfigInput, data: TrainingData) {
    this.config = parseWith(TrainerConfigSchema, config, 'training config', (m) => new TrainerError(m));
    this.regression = isRegressionLoss(this.config.loss.type);
    const { classes, architecture } = this.config;
    const check = (dataset: Dataset, name: string) =>
      this.regression ? validateRegressionDataset(dataset, name) : validateDataset(dataset, classes, name);
    check(data.train, 'training set');
    if (data.train.rows === 0) throw new TrainerError('training set: has no rows');
    const validationData = data.validation ?? null;
    if (validationData !== null) {
      check(validationData, 'validation set');
      if (validationData.cols !== data.train.cols) {
        throw new TrainerError(`validation set: has ${validationData.cols} columns, the training set ${data.train.cols}`);
      }
    }
    const sequenceLength = architecture.type === 'mlp' ? 1 : architecture.sequence_length;
    this.train = prepareSamples(data.train, sequenceLength, 'training set');
    if (this.train.ends.length === 0) {
      throw new TrainerError(
        `architecture.sequence_length: ${sequenceLength} rows do not fit in any segment of the training set (${data.train.rows} rows)`,
      );
    }
    this.validation = validationData === null ? null : prepareSamples(validationData, sequenceLength, 'validation set');
    if (this.config.early_stopping.enabled && (this.validation === null || this.validation.ends.length === 0)) {
      throw new TrainerError('early_stopping.enabled: early stopping needs a validation set with at least one sample');
    }
    this.dataFingerprint = fingerprint([data.train, validationData]);
    this.rng = new Rng(this.config.seed);
    const outputs = this.regression ? 1 : classes;
    const outputActivation = architecture.output_activation ?? (this.regression ? 'linear' : 'softmax');
    this.modelValue =
      architecture.type === 'mlp'
        ? createModel(
            {
              type: 'mlp',
              input_size: data.train.cols,
              hidden_layers: architecture.hidden_layers,
              output_size: outputs,
              activation: architecture.activation,
              dropout: architecture.dropout,
              output_activation: outputActivation,
            },
            this.rng,
          )
        : createModel(
            {
              type: 'recurrent',
              cell: architecture.type,
              input_size: data.train.cols,
              hidden_size: architecture.hidden_size,
              num_layers: architecture.num_layers,
              sequence_length: architecture.sequence_length,
              output_size: outputs,
              dropout: architecture.dropout,
              output_activation: outputActivation,
            },
            this.rng,
          );
    const classWeights = this.regression
      ? null
      : this.config.class_weights === 'none'
        ? null
        : this.config.class_weights === 'balanced'
          ? balancedClassWeights(sampleTargets(this.train), classes)
          : Float64Array.from(this.config.class_weights);
    this.loss = createLoss(this.config.loss, { width: outputs, activation: outputActivation, classWeights });
    this.optimizer = createOptimizer(this.optimizerConfig(), this.modelValue.parameterCount);
    this.scheduler = this.config.lr_scheduler === null ? null : new LrScheduler(this.config.lr_scheduler, this.config.learning_rate);
    const samples = this.train.ends.length;
    const batchSamples = Math.min(this.config.batch_size, samples);
    this.order = new Int32Array(samples);
    this.batchX = new Float64Array(batchSamples * sequenceLength * data.train.cols);
    this.batchTargets = new Float64Array(batchSamples);
    this.outputGradient = new Float64Array(batchSamples * outputs);
  }

  private optimizerConfig() {
    const { optimizer, learning_rate, momentum, weight_decay } = this.config;
    const decay = weight_decay === undefined ? {} : { weight_decay };
    switch (optimizer) {
      case 'adam':
      case 'adamw':
        return { kind: optimizer, learning_rate, ...decay };
      case 'sgd':
      case 'rmsprop':
        return { kind: optimizer, learning_rate, momentum, ...decay };
    }
  }

  /**
   * The trainer `snapshot` was taken from, on the same data (checked by
   * fingerprint); `snapshot` may have been through JSON.stringify/parse.
   */
  static restore(snapshot: unknown, data: TrainingData): Trainer {
    const parsed = parseWith(TrainerSnapshotSchema, snapshot, 'trainer snapshot', (m) => new TrainerError(m));
    const trainer = new Trainer(parsed.config, data);
    if (trainer.dataFingerprint !== parsed.data_fingerprint) {
      throw new TrainerError(
        'trainer snapshot: data_fingerprint differs from the data given to resume on; a run resumes only on the data it started with',
      );
    }
    const size = trainer.modelValue.parameterCount;
    try {
      const model = modelFromJSON(parsed.model);
      if (model.kind !== trainer.modelValue.kind || model.parameterCount !== size) {
        throw new TrainerError(
          `trainer snapshot.model: a ${model.kind} of ${model.parameterCount} parameters, the configuration needs a ${trainer.modelValue.kind} of ${size}`,
        );
      }
      trainer.modelValue.params.set(model.params);
      trainer.optimizer = restoreOptimizer(parsed.optimizer, size);
      trainer.rng = Rng.fromState(parsed.rng);
      if ((parsed.scheduler === null) !== (trainer.config.lr_scheduler === null)) {
        throw new TrainerError('trainer snapshot.scheduler: does not match the configuration’s lr_scheduler');
      }
      if (parsed.scheduler !== null && trainer.config.lr_scheduler !== null) {
        trainer.scheduler = LrScheduler.restore(trainer.config.lr_scheduler, parsed.scheduler);
      }
      trainer.best =
        parsed.best === null
          ? null
          : {
              epoch: parsed.best.epoch,
              valLoss: decodeNumber(parsed.best.val_loss, 'trainer snapshot.best.val_loss'),
              score: decodeNumber(parsed.best.score, 'trainer snapshot.best.score'),
              params: base64ToFloat64(parsed.best.parameters, 'trainer snapshot.best.parameters', size),
            };
      trainer.records.push(...parsed.history.map(decodeRecord));
    } catch (error) {
      if (error instanceof TrainerError) throw error;
      throw new TrainerError(`trainer snapshot: ${(error as Error).message}`);
    }
    if (parsed.history.length !== parsed.epoch) {
      throw new TrainerError(`trainer snapshot.history: ${parsed.history.length} records for ${parsed.epoch} epochs`);
    }
    trainer.epochsDone = parsed.epoch;
    trainer.stoppedEarly = parsed.stopped_early;
    trainer.finished = parsed.finished;
    trainer.epochsWithoutImprovement = parsed.epochs_without_improvement;
    trainer.resumedFromEpoch = parsed.epoch;
    return trainer;
  }

  /** The model being trained (its parameters change while `run` runs). */
  get model(): Model {
    return this.modelValue;
  }

  /** Epochs completed. */
  get epoch(): number {
    return this.epochsDone;
  }

  get history(): readonly EpochRecord[] {
    return this.records;
  }

  /** Samples per epoch: rows for the MLP, windows for recurrent models. */
  get trainingSamples(): number {
    return this.train.ends.length;
  }

  /** The learning rate the next epoch trains with. */
  get learningRate(): number {
    return this.optimizer.learningRate;
  }

  /**
   * Everything needed to continue bit-identically, as JSON-safe data. Taken
   * at an epoch boundary: call it from `onEpoch`, after `run`, or after a
   * `TrainingAborted` or `TrainingDiverged` (which roll back to the boundary).
   */
  snapshot(): TrainerSnapshot {
    if (this.inEpoch) {
      throw new TrainerError('snapshot: an epoch is in progress; take snapshots from onEpoch or after run ends');
    }
    return {
      format: TRAINER_SNAPSHOT_FORMAT,
      version: TRAINER_SNAPSHOT_VERSION,
      config: this.config,
      data_fingerprint: this.dataFingerprint,
      epoch: this.epochsDone,
      stopped_early: this.stoppedEarly,
      finished: this.finished,
      model: this.modelValue.toJSON() as TrainerSnapshot['model'],
      optimizer: this.optimizer.snapshot(),
      rng: this.rng.state(),
      scheduler: this.scheduler?.state() ?? null,
      best:
        this.best === null
          ? null
          : {
              epoch: this.best.epoch,
              val_loss: encodeNumber(this.best.valLoss),
              score: encodeNumber(this.best.score),
              parameters: float64ToBase64(this.best.params),
            },
      epochs_without_improvement: this.epochsWithoutImprovement,
      history: this.records.map(encodeRecord),
      resumed_from_epoch: this.resumedFromEpoch,
    };
  }

  /** Whether the run ends on the best epoch's weights (see `restore_best`). */
  private get restoresBest(): boolean {
    return this.config.restore_best ?? this.config.early_stopping.enabled;
  }

  /** Trains the remaining epochs; a finished trainer returns its outcome at once. */
  async run(options: RunOptions = {}): Promise<TrainingOutcome> {
    if (this.running) throw new TrainerError('run: this trainer is already running');
    this.running = true;
    try {
      const { epochs } = this.config;
      while (!this.finished && !this.stoppedEarly && this.epochsDone < epochs) {
        const record = await this.runEpoch(options);
        const report = this.afterEpoch(record);
        await options.onEpoch?.(report);
      }
      if (!this.finished) {
        if (this.restoresBest && this.best !== null) this.modelValue.params.set(this.best.params);
        this.finished = true;
      }
      return {
        model: this.modelValue,
        epochs_completed: this.epochsDone,
        stopped_early: this.stoppedEarly,
        best_epoch: this.best?.epoch ?? null,
        best_val_loss: this.best?.valLoss ?? null,
        restored_best: this.restoresBest && this.best !== null,
        history: [...this.records],
        resumed_from_epoch: this.resumedFromEpoch,
      };
    } finally {
      this.running = false;
    }
  }

  private async runEpoch(options: RunOptions): Promise<EpochRecord> {
    const samples = this.train.ends.length;
    const batchSize = Math.min(this.config.batch_size, samples);
    const model = this.modelValue;
    const epoch = this.epochsDone + 1;
    const learningRate = this.optimizer.learningRate;
    const yieldEveryMs = options.yieldEveryMs ?? DEFAULT_YIELD_EVERY_MS;
    const boundary: Boundary = {
      params: Float64Array.from(model.params),
      optimizer: this.optimizer.snapshot(),
      rng: this.rng.state(),
    };
    this.inEpoch = true;
    try {
      this.drawOrder();
      let lossSum = 0;
      let correct = 0;
      let lastYield = performance.now();
      let batch = 0;
      for (let start = 0; start < samples; start += batchSize) {
        batch++;
        if (options.signal?.aborted) this.rollBack(boundary, new TrainingAborted(options.signal.reason, this.epochsDone));
        if (yieldEveryMs > 0 && performance.now() - lastYield >= yieldEveryMs) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
          if (options.signal?.aborted) this.rollBack(boundary, new TrainingAborted(options.signal.reason, this.epochsDone));
        }
        const count = Math.min(batchSize, samples - start);
        this.gatherBatch(start, count);
        const raw = model.forwardRaw(this.batchX, count, { training: true, rng: this.rng });
        correct += this.countCorrect(raw, this.batchTargets, 0, count);
        const loss = this.loss.lossAndGradient(raw, this.batchTargets, 0, count, this.outputGradient);
        if (!Number.isFinite(loss)) this.rollBack(boundary, new TrainingDiverged(epoch, batch, 'loss', loss));
        model.backwardRaw(this.outputGradient);
        // With clipping off the norm is still taken: a non-finite gradient must stop the run too.
        const norm = clipGradientNorm(model.grads, this.config.gradient_clip > 0 ? this.config.gradient_clip : Infinity);
        if (!Number.isFinite(norm)) this.rollBack(boundary, new TrainingDiverged(epoch, batch, 'gradient norm', norm));
        this.optimizer.step(model.params, model.grads);
        lossSum += loss * count;
      }
      const validation = this.evaluate(this.validation);
      if (validation !== null && !Number.isFinite(validation.loss)) {
        this.rollBack(boundary, new TrainingDiverged(epoch, null, 'validation loss', validation.loss));
      }
      return {
        epoch,
        loss: lossSum / samples,
        accuracy: correct / samples,
        val_loss: validation?.loss ?? null,
        val_accuracy: validation?.accuracy ?? null,
        learning_rate: learningRate,
      };
    } finally {
      this.inEpoch = false;
    }
  }

  /** This epoch's sample order: a shuffle, or with weights as many draws with replacement, ∝ weight. */
  private drawOrder(): void {
    const order = this.order;
    const cumulative = this.train.cumulativeWeights;
    if (cumulative === null) {
      for (let k = 0; k < order.length; k++) order[k] = k;
      this.rng.shuffle(order);
      return;
    }
    const total = cumulative[cumulative.length - 1] as number;
    for (let k = 0; k < order.length; k++) {
      const u = this.rng.next() * total;
      // The first sample whose cumulative weight exceeds u (zero-weight samples are never drawn).
      let low = 0;
      let high = cumulative.length - 1;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if ((cumulative[mid] as number) > u) high = mid;
        else low = mid + 1;
      }
      order[k] = low;
    }
  }

  private gatherBatch(start: number, count: number): void {
    const { data, ends } = this.train;
    const length = this.modelValue.sequenceLength;
    gatherWindows(data.X, data.cols, length, ends, start, count, this.batchX, this.order);
    for (let b = 0; b < count; b++) this.batchTargets[b] = data.y[ends[this.order[start + b] as number] as number] as number;
  }

  /** Correct predictions among `count` raw outputs: argmax = label, or for regression sign(prediction) = sign(target). */
  private countCorrect(raw: ArrayLike<number>, targets: ArrayLike<number>, targetOffset: number, count: number): number {
    const width = this.modelValue.outputSize;
    let correct = 0;
    for (let b = 0; b < count; b++) {
      const target = targets[targetOffset + b] as number;
      if (this.regression) {
        // A sigmoid prediction is always > 0; linear and tanh ones have the raw output's sign.
        const value = raw[b * width] as number;
        const predictedUp = this.modelValue.outputActivation === 'sigmoid' ? true : value > 0;
        if (predictedUp === target > 0) correct++;
      } else if (argmax(raw, b * width, width) === target) {
        correct++;
      }
    }
    return correct;
  }

  /** Loss and accuracy over a whole set, without dropout, in chunks; changes no parameter. */
  private evaluate(set: Samples | null): Figures | null {
    if (set === null || set.ends.length === 0) return null;
    const model = this.modelValue;
    const { data, ends } = set;
    const length = model.sequenceLength;
    const chunkBuffer = new Float64Array(Math.min(EVALUATION_CHUNK_SAMPLES, ends.length) * length * data.cols);
    const targets = new Float64Array(ends.length);
    for (let k = 0; k < ends.length; k++) targets[k] = data.y[ends[k] as number] as number;
    let total = 0;
    let weight = 0;
    let correct = 0;
    for (let start = 0; start < ends.length; start += EVALUATION_CHUNK_SAMPLES) {
      const count = Math.min(EVALUATION_CHUNK_SAMPLES, ends.length - start);
      gatherWindows(data.X, data.cols, length, ends, start, count, chunkBuffer);
      const raw = model.forwardRaw(chunkBuffer, count);
      const parts = this.loss.parts(raw, targets, start, count);
      total += parts.total;
      weight += parts.weight;
      correct += this.countCorrect(raw, targets, start, count);
    }
    return { loss: weight === 0 ? 0 : total / weight, accuracy: correct / ends.length };
  }

  /** Records the epoch, applies early stopping (improvement: monitored score > best + min_delta) and steps the scheduler. */
  private afterEpoch(record: EpochRecord): EpochReport {
    this.epochsDone = record.epoch;
    this.records.push(record);
    const { enabled, patience, min_delta: minDelta, monitor } = this.config.early_stopping;
    if (record.val_loss !== null) {
      const score = monitor === 'val_accuracy' ? (record.val_accuracy as number) : -record.val_loss;
      if (this.best === null || score > this.best.score + minDelta) {
        this.best = { epoch: record.epoch, valLoss: record.val_loss, score, params: Float64Array.from(this.modelValue.params) };
        this.epochsWithoutImprovement = 0;
      } else {
        this.epochsWithoutImprovement++;
      }
      if (enabled && this.epochsWithoutImprovement >= patience) this.stoppedEarly = true;
    }
    if (this.scheduler !== null) {
      // The original steps a plateau scheduler on the training loss when there is no validation loss.
      this.optimizer.learningRate = this.scheduler.step(record.val_loss ?? record.loss);
    }
    return {
      ...record,
      epochs: this.config.epochs,
      best_epoch: this.best?.epoch ?? null,
      best_val_loss: this.best?.valLoss ?? null,
      epochs_without_improvement: this.epochsWithoutImprovement,
      stopped_early: this.stoppedEarly,
      resumed_from_epoch: this.resumedFromEpoch,
    };
  }

  private rollBack(boundary: Boundary, error: Error): never {
    this.modelValue.params.set(boundary.params);
    this.optimizer = restoreOptimizer(boundary.optimizer, this.modelValue.parameterCount);
    this.rng = Rng.fromState(boundary.rng);
    this.inEpoch = false;
    throw error;
  }
}

function prepareSamples(data: Dataset, sequenceLength: number, name: string): Samples {
  let ends: Int32Array;
  try {
    ends = windowEnds(data.rows, sequenceLength, { segments: data.segments ?? null });
  } catch (error) {
    throw new TrainerError(`${name}: ${(error as Error).message}`);
  }
  let cumulativeWeights: Float64Array | null = null;
  if (data.weights !== undefined && ends.length > 0) {
    cumulativeWeights = new Float64Array(ends.length);
    let sum = 0;
    for (let k = 0; k < ends.length; k++) {
      sum += data.weights[ends[k] as number] as number;
      cumulativeWeights[k] = sum;
    }
    if (sum === 0) throw new TrainerError(`${name}: every window ends on a row of weight 0, no sample can be drawn`);
  }
  return { data, ends, cumulativeWeights };
}

/** The label of every sample (its last row's). */
function sampleTargets(samples: Samples): Float64Array {
  return Float64Array.from(samples.ends, (end) => samples.data.y[end] as number);
}

function encodeRecord(record: EpochRecord): EncodedEpochRecord {
  return {
    epoch: record.epoch,
    loss: encodeNumber(record.loss),
    accuracy: encodeNumber(record.accuracy),
    val_loss: record.val_loss === null ? null : encodeNumber(record.val_loss),
    val_accuracy: record.val_accuracy === null ? null : encodeNumber(record.val_accuracy),
    learning_rate: encodeNumber(record.learning_rate),
  };
}

function decodeRecord(record: EncodedEpochRecord): EpochRecord {
  const field = `trainer snapshot.history[epoch ${record.epoch}]`;
  return {
    epoch: record.epoch,
    loss: decodeNumber(record.loss, `${field}.loss`),
    accuracy: decodeNumber(record.accuracy, `${field}.accuracy`),
    val_loss: record.val_loss === null ? null : decodeNumber(record.val_loss, `${field}.val_loss`),
    val_accuracy: record.val_accuracy === null ? null : decodeNumber(record.val_accuracy, `${field}.val_accuracy`),
    learning_rate: decodeNumber(record.learning_rate, `${field}.learning_rate`),
  };
}
