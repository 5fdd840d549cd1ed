/**
 * Mini-batch training of an `Mlp`: epochs over rows shuffled by a seeded
 * `Rng`, Adam or SGD, validation after each epoch, early stopping on the
 * validation loss, a per-epoch callback, cancellation between batches, and
 * `snapshot()`/`Trainer.restore()` of everything the next epoch depends on, so
 * that a run stopped after epoch k and resumed ends bit-identical to one that
 * never stopped.
 *
 * The single generator drives, in this order: weight initialisation, then
 * per epoch the shuffle of the training rows and the dropout masks of each
 * batch. Its state at an epoch boundary is therefore all the randomness the
 * rest of the run needs.
 */
import { z } from 'zod';
import { fingerprint, validateDataset } from './dataset.js';
import type { Dataset } from './dataset.js';
import { base64ToFloat64, decodeNumber, encodeNumber, float64ToBase64, JsonNumberSchema } from './encoding.js';
import { argmax } from './argmax.js';
import { Activation, Mlp, MlpJsonSchema } from './mlp.js';
import type { BatchEvaluation } from './mlp.js';
import { createOptimizer, OptimizerSnapshotSchema, restoreOptimizer } from './optimizer.js';
import type { Optimizer, OptimizerSnapshot } from './optimizer.js';
import { Rng, RngStateSchema } from './rng.js';
import type { RngState } from './rng.js';
import { parseWith } from './validation.js';

export const TrainerConfigSchema = z.object({
  architecture: z.object({
    hidden_layers: z.array(z.number().int().min(1)).default([32, 16]),
    activation: Activation.default('relu'),
    dropout: z.number().min(0).lt(1).default(0),
  }),
  /** Number of classes; labels are indices in [0, classes). 3 = BUY, HOLD, SELL. */
  classes: z.number().int().min(2).default(3),
  epochs: z.number().int().min(1),
  batch_size: z.number().int().min(1),
  learning_rate: z.number().positive(),
  optimizer: z.enum(['adam', 'sgd']).default('adam'),
  /** SGD only; 0 is plain SGD. */
  momentum: z.number().min(0).lt(1).default(0),
  early_stopping: z
    .object({
      enabled: z.boolean().default(false),
      /** Epochs without an improvement of more than `min_delta` before stopping. */
      patience: z.number().int().min(1).default(10),
      min_delta: z.number().min(0).default(0),
    })
    .default({ enabled: false, patience: 10, min_delta: 0 }),
  seed: z.number().int().refine(Number.isSafeInteger, 'seed must be a safe integer').default(0),
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
  readonly accuracy: number;
  readonly val_loss: number | null;
  readonly val_accuracy: number | null;
}

/** What `onEpoch` receives after each epoch. */
export interface EpochReport extends EpochRecord {
  /** The configured number of epochs. */
  readonly epochs: number;
  /** Best validation epoch so far, and its loss (null without validation). */
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
  /** The trained model: the best validation epoch's weights when early stopping is on. */
  readonly model: Mlp;
  readonly epochs_completed: number;
  readonly stopped_early: boolean;
  readonly best_epoch: number | null;
  readonly best_val_loss: number | null;
  readonly history: readonly EpochRecord[];
  readonly resumed_from_epoch: number | null;
}

/** Raised for a configuration, data set or snapshot the trainer cannot use. */
export class TrainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerError';
  }
}

/**
 * Thrown by `run` when its signal is aborted; `reason` is the signal's. The
 * trainer is back at the end of its last completed epoch (`epoch`), so
 * `snapshot()` still describes a state to resume from.
 */
export class TrainingAborted extends Error {
  constructor(
    readonly reason: unknown,
    readonly epoch: number,
  ) {
    super(`training stopped after epoch ${epoch}: the run was aborted`);
    this.name = 'TrainingAborted';
  }
}

export const TRAINER_SNAPSHOT_FORMAT = 'ktrdr.trainer-snapshot';
export const TRAINER_SNAPSHOT_VERSION = 1;

const EncodedEpochRecordSchema = z.object({
  epoch: z.number().int().min(1),
  loss: JsonNumberSchema,
  accuracy: JsonNumberSchema,
  val_loss: JsonNumberSchema.nullable(),
  val_accuracy: JsonNumberSchema.nullable(),
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
  model: MlpJsonSchema,
  optimizer: OptimizerSnapshotSchema,
  rng: RngStateSchema,
  best: z
    .object({ epoch: z.number().int().min(1), val_loss: JsonNumberSchema, parameters: z.string() })
    .nullable(),
  epochs_without_improvement: z.number().int().min(0),
  history: z.array(EncodedEpochRecordSchema),
  resumed_from_epoch: z.number().int().min(0).nullable(),
});
export type TrainerSnapshot = z.infer<typeof TrainerSnapshotSchema>;

interface BestEpoch {
  readonly epoch: number;
  readonly valLoss: number;
  readonly params: Float64Array;
}

/** The state at the last epoch boundary, to roll back to when a run is aborted mid-epoch. */
interface Boundary {
  readonly params: Float64Array;
  readonly optimizer: OptimizerSnapshot;
  readonly rng: RngState;
}

const DEFAULT_YIELD_EVERY_MS = 50;

export class Trainer {
  readonly config: TrainerConfig;
  private readonly train: Dataset;
  private readonly validation: Dataset | null;
  private readonly dataFingerprint: string;
  private modelValue: Mlp;
  private optimizer: Optimizer;
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
  private readonly batchY: Int8Array;

  constructor(config: TrainerConfigInput, data: TrainingData) {
    this.config = parseWith(TrainerConfigSchema, config, 'training config', (m) => new TrainerError(m));
    this.train = data.train;
    this.validation = data.validation ?? null;
    const { classes } = this.config;
    validateDataset(this.train, classes, 'training set');
    if (this.train.rows === 0) throw new TrainerError('training set: has no rows');
    if (this.validation !== null) {
      validateDataset(this.validation, classes, 'validation set');
      if (this.validation.cols !== this.train.cols) {
        throw new TrainerError(
          `validation set: has ${this.validation.cols} columns, the training set ${this.train.cols}`,
        );
      }
    }
    if (this.config.early_stopping.enabled && (this.validation === null || this.validation.rows === 0)) {
      throw new TrainerError('early_stopping.enabled: early stopping needs a validation set with at least one row');
    }
    this.dataFingerprint = fingerprint([this.train, this.validation]);
    this.rng = new Rng(this.config.seed);
    this.modelValue = Mlp.create(
      {
        input_size: this.train.cols,
        hidden_layers: this.config.architecture.hidden_layers,
        output_size: classes,
        activation: this.config.architecture.activation,
        dropout: this.config.architecture.dropout,
      },
      this.rng,
    );
    this.optimizer = createOptimizer(
      this.config.optimizer === 'adam'
        ? { kind: 'adam', learning_rate: this.config.learning_rate }
        : { kind: 'sgd', learning_rate: this.config.learning_rate, momentum: this.config.momentum },
      this.modelValue.parameterCount,
    );
    const batchRows = Math.min(this.config.batch_size, this.train.rows);
    this.order = new Int32Array(this.train.rows);
    this.batchX = new Float64Array(batchRows * this.train.cols);
    this.batchY = new Int8Array(batchRows);
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
    try {
      const model = Mlp.fromJSON(parsed.model);
      if (model.parameterCount !== trainer.modelValue.parameterCount) {
        throw new TrainerError(
          `trainer snapshot.model: ${model.parameterCount} parameters, the configuration needs ${trainer.modelValue.parameterCount}`,
        );
      }
      trainer.modelValue.params.set(model.params);
      trainer.optimizer = restoreOptimizer(parsed.optimizer, trainer.modelValue.parameterCount);
      trainer.rng = Rng.fromState(parsed.rng);
      trainer.best =
        parsed.best === null
          ? null
          : {
              epoch: parsed.best.epoch,
              valLoss: decodeNumber(parsed.best.val_loss, 'trainer snapshot.best.val_loss'),
              params: base64ToFloat64(
                parsed.best.parameters,
                'trainer snapshot.best.parameters',
                trainer.modelValue.parameterCount,
              ),
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
  get model(): Mlp {
    return this.modelValue;
  }

  /** Epochs completed. */
  get epoch(): number {
    return this.epochsDone;
  }

  get history(): readonly EpochRecord[] {
    return this.records;
  }

  /**
   * Everything needed to continue bit-identically, as JSON-safe data. Taken
   * at an epoch boundary: call it from `onEpoch`, after `run`, or after a
   * `TrainingAborted` (which rolls back to the boundary).
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
      model: this.modelValue.toJSON(),
      optimizer: this.optimizer.snapshot(),
      rng: this.rng.state(),
      best:
        this.best === null
          ? null
          : { epoch: this.best.epoch, val_loss: encodeNumber(this.best.valLoss), parameters: float64ToBase64(this.best.params) },
      epochs_without_improvement: this.epochsWithoutImprovement,
      history: this.records.map(encodeRecord),
      resumed_from_epoch: this.resumedFromEpoch,
    };
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
        if (this.config.early_stopping.enabled && this.best !== null) this.modelValue.params.set(this.best.params);
        this.finished = true;
      }
      return {
        model: this.modelValue,
        epochs_completed: this.epochsDone,
        stopped_early: this.stoppedEarly,
        best_epoch: this.best?.epoch ?? null,
        best_val_loss: this.best?.valLoss ?? null,
        history: [...this.records],
        resumed_from_epoch: this.resumedFromEpoch,
      };
    } finally {
      this.running = false;
    }
  }

  private async runEpoch(options: RunOptions): Promise<EpochRecord> {
    const { train } = this;
    const { rows } = train;
    const batchSize = Math.min(this.config.batch_size, rows);
    const model = this.modelValue;
    const classes = this.config.classes;
    const yieldEveryMs = options.yieldEveryMs ?? DEFAULT_YIELD_EVERY_MS;
    const boundary: Boundary = {
      params: Float64Array.from(model.params),
      optimizer: this.optimizer.snapshot(),
      rng: this.rng.state(),
    };
    this.inEpoch = true;
    try {
      const order = this.order;
      for (let r = 0; r < rows; r++) order[r] = r;
      this.rng.shuffle(order);
      let lossSum = 0;
      let correct = 0;
      let lastYield = performance.now();
      for (let start = 0; start < rows; start += batchSize) {
        if (options.signal?.aborted) this.abort(options.signal, boundary);
        if (yieldEveryMs > 0 && performance.now() - lastYield >= yieldEveryMs) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
          if (options.signal?.aborted) this.abort(options.signal, boundary);
        }
        const count = Math.min(batchSize, rows - start);
        this.gatherBatch(start, count);
        const probabilities = model.forward(this.batchX, count, { training: true, rng: this.rng });
        lossSum += model.backward(this.batchY) * count;
        this.optimizer.step(model.params, model.grads);
        for (let b = 0; b < count; b++) if (argmax(probabilities, b * classes, classes) === this.batchY[b]) correct++;
      }
      const validation = this.evaluateValidation();
      return {
        epoch: this.epochsDone + 1,
        loss: lossSum / rows,
        accuracy: correct / rows,
        val_loss: validation?.loss ?? null,
        val_accuracy: validation?.accuracy ?? null,
      };
    } finally {
      this.inEpoch = false;
    }
  }

  private gatherBatch(start: number, count: number): void {
    const { X, y, cols } = this.train;
    const batchX = this.batchX;
    for (let b = 0; b < count; b++) {
      const row = this.order[start + b] as number;
      const from = row * cols;
      const to = b * cols;
      for (let c = 0; c < cols; c++) batchX[to + c] = X[from + c] as number;
      this.batchY[b] = y[row] as number;
    }
  }

  private evaluateValidation(): BatchEvaluation | null {
    const validation = this.validation;
    if (validation === null || validation.rows === 0) return null;
    return this.modelValue.evaluate(validation.X, validation.y, validation.rows);
  }

  /** Records the epoch and applies early stopping: improvement means val_loss < best - min_delta. */
  private afterEpoch(record: EpochRecord): EpochReport {
    this.epochsDone = record.epoch;
    this.records.push(record);
    const { enabled, patience, min_delta: minDelta } = this.config.early_stopping;
    if (record.val_loss !== null) {
      if (this.best === null || record.val_loss < this.best.valLoss - minDelta) {
        this.best = { epoch: record.epoch, valLoss: record.val_loss, params: Float64Array.from(this.modelValue.params) };
        this.epochsWithoutImprovement = 0;
      } else {
        this.epochsWithoutImprovement++;
      }
      if (enabled && this.epochsWithoutImprovement >= patience) this.stoppedEarly = true;
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

  private abort(signal: AbortSignal, boundary: Boundary): never {
    this.modelValue.params.set(boundary.params);
    this.optimizer = restoreOptimizer(boundary.optimizer, this.modelValue.parameterCount);
    this.rng = Rng.fromState(boundary.rng);
    this.inEpoch = false;
    throw new TrainingAborted(signal.reason, this.epochsDone);
  }
}

function encodeRecord(record: EpochRecord): EncodedEpochRecord {
  return {
    epoch: record.epoch,
    loss: encodeNumber(record.loss),
    accuracy: encodeNumber(record.accuracy),
    val_loss: record.val_loss === null ? null : encodeNumber(record.val_loss),
    val_accuracy: record.val_accuracy === null ? null : encodeNumber(record.val_accuracy),
  };
}

function decodeRecord(record: EncodedEpochRecord): EpochRecord {
  const field = `trainer snapshot.history[epoch ${record.epoch}]`;
  return {
    epoch: record.epoch,
    loss: decodeNumber(record.loss, `${field}.loss`),
    accuracy: decodeNumber(record.accuracy, `${field}.accuracy`),
    val_loss: record.val_loss === null ? null : decodeNumber(record.val_loss, `${field}.val_loss`),
    val_accuracy:
      record.val_accuracy === null ? null : decodeNumber(record.val_accuracy, `${field}.val_accuracy`),
  };
}
