/**
 * The wire contract (docs/architecture.md §4): every HTTP body between the CLI, the backend
 * and the workers, as zod schemas. Each schema is the single source of its
 * TypeScript type, its validation (400s name the field) and its OpenAPI docs.
 * JSON is snake_case, compatible with the earlier Python system.
 */
import { z } from 'zod';
import { Timeframe } from '../market-data/types.js';
import { BACKTEST_DEFAULTS } from '../backtest/options.js';
import { STRATEGY_NAME_PATTERN, STRATEGY_NAME_RULE } from '../strategy/name-rule.js';

export const API_PREFIX = '/api/v1';

export const WorkerType = z.enum(['training', 'backtesting']);
export type WorkerType = z.infer<typeof WorkerType>;

export const WorkerStatus = z.enum(['available', 'busy', 'temporarily_unavailable']);
export type WorkerStatus = z.infer<typeof WorkerStatus>;

export const OperationStatus = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']);
export type OperationStatus = z.infer<typeof OperationStatus>;
export const TERMINAL_STATUSES: readonly OperationStatus[] = ['completed', 'failed', 'cancelled'];
export const ACTIVE_STATUSES: readonly OperationStatus[] = ['pending', 'running'];
export const isTerminal = (status: OperationStatus): boolean => TERMINAL_STATUSES.includes(status);

/** Operation kinds; each runs on one worker type. */
export const OperationType = z.enum(['dummy', 'training', 'backtesting']);
export type OperationType = z.infer<typeof OperationType>;

// PostgreSQL keeps no NUL character in text or jsonb (SQLSTATE 22021, 22P05), so input holding one is refused here,
// naming the field, instead of failing in the store.
const NUL = '\u0000';
const NO_NUL = 'must not contain the NUL character (\\u0000)';

/** A string the store can keep (ids, messages, names). */
export const StoredText = () => z.string().refine((value) => !value.includes(NUL), { message: NO_NUL });

/**
 * Longest id (worker, operation, model) in characters. Ids travel in URL paths (heartbeats, status, downloads),
 * and the servers' router admits path parameters of this length and more (MAX_PATH_PARAM_LENGTH), so that an id
 * accepted once is usable in every later request.
 */
export const MAX_ID_LENGTH = 200;

/** A worker or operation id. */
export const Id = () => StoredText().min(1).max(MAX_ID_LENGTH);

const MODEL_ID_RULE = `a model id is 1 to ${MAX_ID_LENGTH} letters, digits, "_", "." or "-", starting with a letter or digit and not ending in ".summary"`;
/** Model ids become file names: no `.`, `..` or hidden file, and never the name of a summary file. */
export const ModelId = z
  .string()
  .max(MAX_ID_LENGTH, MODEL_ID_RULE)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, MODEL_ID_RULE)
  .refine((value) => !value.endsWith('.summary'), { message: MODEL_ID_RULE });

/** A container being walked by `pathOfNul`: where it sits in its parent, and the next entry to look at. */
interface WalkLevel {
  readonly container: Readonly<Record<string, unknown>> | readonly unknown[];
  /** Own keys of an object; null for an array. */
  readonly keys: readonly string[] | null;
  readonly key: string | number;
  next: number;
}

const isContainer = (value: unknown): value is Record<string, unknown> | unknown[] => value !== null && typeof value === 'object';

/**
 * The path (inside `value`) of the first string or key holding a NUL; null when there is none. One step per
 * entry and one record per container (no copy of the path per entry), and no recursion: input may nest deeply.
 */
export function pathOfNul(value: unknown): (string | number)[] | null {
  if (typeof value === 'string') return value.includes(NUL) ? [] : null;
  if (!isContainer(value)) return null;
  const levels: WalkLevel[] = [];
  const enter = (container: Record<string, unknown> | unknown[], key: string | number) =>
    levels.push({ container, keys: Array.isArray(container) ? null : Object.keys(container), key, next: 0 });
  const pathTo = (key: string | number) => [...levels.slice(1).map((level) => level.key), key];
  enter(value, '');
  while (levels.length > 0) {
    const level = levels[levels.length - 1] as WalkLevel;
    const size = level.keys ? level.keys.length : (level.container as readonly unknown[]).length;
    if (level.next >= size) {
      levels.pop();
      continue;
    }
    const index = level.next++;
    const key = level.keys ? (level.keys[index] as string) : index;
    if (typeof key === 'string' && key.includes(NUL)) return pathTo(key);
    const child = (level.container as Record<string | number, unknown>)[key];
    if (typeof child === 'string') {
      if (child.includes(NUL)) return pathTo(key);
    } else if (isContainer(child)) {
      enter(child, key);
    }
  }
  return null;
}

/** Refinement for JSON values the store keeps (jsonb): no NUL in any string or key. */
function refuseNul(value: unknown, context: z.RefinementCtx): void {
  const path = pathOfNul(value);
  if (path) context.addIssue({ code: 'custom', message: `strings and keys ${NO_NUL}`, path });
}

const JsonObject = z.record(z.string(), z.unknown()).superRefine(refuseNul);
export type JsonObject = z.infer<typeof JsonObject>;
const JsonValue = z.unknown().superRefine(refuseNul);

const MIN_YEAR = 1;
const MAX_YEAR = 9999;
/** A real ISO 8601 date-time whose UTC year stays in 1..9999 (what the store and toISOString() round-trip). */
const IsoDate = z.iso
  .datetime({ offset: true })
  .refine(
    (value) => {
      const year = new Date(value).getUTCFullYear();
      return year >= MIN_YEAR && year <= MAX_YEAR;
    },
    { message: `the year (in UTC) must be between ${MIN_YEAR} and ${MAX_YEAR}` },
  )
  .describe('ISO 8601 date-time with Z or an offset, year 1 to 9999');

// ---------------------------------------------------------------- workers

/** How earlier workers report what finished while the backend was away. */
export const CompletedOperationReport = z.object({
  operation_id: Id(),
  status: z.enum(['COMPLETED', 'FAILED', 'CANCELLED']),
  result: JsonObject.nullish(),
  error_message: StoredText().nullish(),
  completed_at: IsoDate.nullish(),
});
export type CompletedOperationReport = z.infer<typeof CompletedOperationReport>;

export const RegisterWorkerBody = z.object({
  worker_id: Id(),
  worker_type: WorkerType,
  endpoint_url: z.url({ protocol: /^https?$/ }).refine((value) => !value.includes(NUL), { message: NO_NUL }),
  capabilities: JsonObject.optional(),
  current_operation_id: Id().nullish(),
  /**
   * CompletedOperationReport entries, each validated on its own by the backend: a malformed one is skipped (and
   * logged) rather than refusing the registration, since the worker would report it again at every attempt.
   */
  completed_operations: z.array(z.unknown()).optional().describe('CompletedOperationReport entries; a malformed entry is skipped, not fatal'),
  metadata: JsonObject.optional(),
});
export type RegisterWorkerBody = z.infer<typeof RegisterWorkerBody>;

export const WorkerRecord = z.object({
  worker_id: z.string(),
  worker_type: WorkerType,
  endpoint_url: z.string(),
  status: WorkerStatus,
  current_operation_id: z.string().nullable(),
  capabilities: JsonObject,
  last_health_check: IsoDate.nullable(),
  last_healthy_at: IsoDate.nullable(),
  health_check_failures: z.number().int(),
  metadata: JsonObject,
});
export type WorkerRecord = z.infer<typeof WorkerRecord>;

export const ListWorkersQuery = z.object({
  worker_type: WorkerType.optional(),
  status: WorkerStatus.optional(),
});

// ---------------------------------------------------------------- operations

export const Progress = z.object({
  percentage: z.number().min(0).max(100),
  current_step: StoredText().nullable(),
  steps_completed: z.number().int().min(0),
  steps_total: z.number().int().min(0),
  items_processed: z.number().int().min(0),
  items_total: z.number().int().min(0).nullable(),
  /** Workload-specific figures (loss, equity, …). */
  context: JsonObject,
});
export type Progress = z.infer<typeof Progress>;

export const emptyProgress = (): Progress => ({
  percentage: 0,
  current_step: null,
  steps_completed: 0,
  steps_total: 0,
  items_processed: 0,
  items_total: null,
  context: {},
});

export const OperationRecord = z.object({
  operation_id: z.string(),
  operation_type: OperationType,
  status: OperationStatus,
  created_at: IsoDate,
  started_at: IsoDate.nullable(),
  completed_at: IsoDate.nullable(),
  progress: Progress,
  metadata: JsonObject,
  error_message: z.string().nullable(),
  result_summary: JsonObject.nullable(),
  worker_id: z.string().nullable(),
});
export type OperationRecord = z.infer<typeof OperationRecord>;

export const ListOperationsQuery = z.object({
  status: OperationStatus.optional(),
  operation_type: OperationType.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

export const ListOperationsResponse = z.object({
  success: z.literal(true),
  data: z.array(OperationRecord),
  total_count: z.number().int(),
  active_count: z.number().int(),
});

export const GetOperationResponse = z.object({ success: z.literal(true), data: OperationRecord });

export const OperationResultsResponse = z.object({
  success: z.literal(true),
  data: z.object({
    operation_id: z.string(),
    status: OperationStatus,
    result_summary: JsonObject.nullable(),
    results: z.unknown().nullable(),
  }),
});

/** Checkpoints an operation holds (removed once it completes). */
export const CheckpointsResponse = z.object({
  success: z.literal(true),
  data: z.array(
    z.object({
      checkpoint_id: z.string(),
      units: z.number().int(),
      reason: z.string(),
      size_bytes: z.number().int(),
      created_at: IsoDate,
    }),
  ),
});

/** How many checkpoints a DELETE removed. */
export const CheckpointsDeleted = z.object({ success: z.literal(true), deleted: z.number().int().nonnegative() });

/** The statuses `POST /operations/prune` may select (active operations are never pruned). */
export const TerminalStatus = z.enum(['completed', 'failed', 'cancelled']);
export type TerminalStatus = z.infer<typeof TerminalStatus>;

/** `POST /operations/prune`: terminal operations that ended more than `older_than_seconds` ago (0: all), of one status or all. */
export const PruneOperationsBody = z.object({
  older_than_seconds: z.number().int().min(0).max(100 * 365 * 24 * 3600).default(0),
  status: TerminalStatus.optional(),
});
export type PruneOperationsBody = z.infer<typeof PruneOperationsBody>;

export const PruneOperationsResponse = z.object({ success: z.literal(true), deleted: z.array(z.string()) });

export const StartOperationResponse = z.object({
  success: z.literal(true),
  operation_id: z.string(),
  status: z.enum(['pending', 'running']),
});
export type StartOperationResponse = z.infer<typeof StartOperationResponse>;

export const DummyStartBody = z.object({
  steps: z.number().int().min(1).max(1_000_000).default(10),
  step_delay_ms: z.number().int().min(0).max(600_000).default(100),
  fail_at_step: z.number().int().min(1).nullable().default(null),
  worker_type: WorkerType.default('training'),
});
export type DummyStartBody = z.infer<typeof DummyStartBody>;

// ---------------------------------------------------------------- worker ↔ backend

/** Backend → worker: run this operation (continuing from `checkpoint` when given). */
export const WorkerStartBody = z.object({
  operation_id: z.string().min(1).max(MAX_ID_LENGTH),
  operation_type: OperationType,
  params: JsonObject,
  checkpoint: z
    .object({
      checkpoint_id: z.string(),
      units: z.number().int().min(0),
      state: z.unknown(),
      created_at: IsoDate,
    })
    .nullable()
    .default(null),
});
export type WorkerStartBody = z.infer<typeof WorkerStartBody>;

export const WorkerHealth = z.object({
  healthy: z.boolean(),
  worker_id: z.string(),
  worker_type: WorkerType,
  worker_status: z.enum(['idle', 'busy']),
  current_operation: z.string().nullable(),
});
export type WorkerHealth = z.infer<typeof WorkerHealth>;

/** Worker → backend, on request: where an operation it runs (or ran) stands. */
export const WorkerOperationStatus = z.object({
  operation_id: z.string(),
  status: OperationStatus,
  progress: Progress,
});
export type WorkerOperationStatus = z.infer<typeof WorkerOperationStatus>;

/** Worker → backend: a checkpoint of a running operation. */
export const CheckpointUpload = z.object({
  worker_id: Id(),
  units: z.number().int().min(0),
  state: z.unknown(),
  reason: z.enum(['interval', 'time', 'shutdown', 'cancel', 'failure']),
});
export type CheckpointUpload = z.infer<typeof CheckpointUpload>;

export const CheckpointCreated = z.object({ success: z.literal(true), checkpoint_id: z.string() });

/** Worker → backend: the terminal outcome, pushed so that none is lost if nobody polls. */
export const OperationOutcome = z.object({
  worker_id: Id(),
  status: z.enum(['completed', 'failed', 'cancelled']),
  result_summary: JsonObject.nullable().default(null),
  error_message: StoredText().nullable().default(null),
  /** Large results (trades, equity curve) served by GET /operations/{id}/results. */
  results: JsonValue.optional(),
  progress: Progress.optional(),
  completed_at: IsoDate,
  /**
   * The worker is idle and takes its next operation in the answer (OutcomeAnswer.next) instead of a start request
   * (docs/architecture.md §5.4). Absent (earlier workers): the backend dispatches to it by a start request.
   */
  take_next: z.boolean().optional(),
});
export type OperationOutcome = z.infer<typeof OperationOutcome>;

/** Backend → worker, answering an outcome: `next` is the worker's next operation when it asked (take_next). */
export const OutcomeAnswer = z.object({
  success: z.literal(true),
  next: WorkerStartBody.optional(),
});
export type OutcomeAnswer = z.infer<typeof OutcomeAnswer>;

/** Worker → backend: a stopping worker hands an operation back, to be resumed elsewhere. */
export const OperationRelease = z.object({
  worker_id: Id(),
  reason: StoredText().min(1),
  progress: Progress.optional(),
});
export type OperationRelease = z.infer<typeof OperationRelease>;

// ---------------------------------------------------------------- errors

export const ErrorBody = z.object({
  success: z.literal(false),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------------------------------------------------------------- market data and models (issue 4)

export { Timeframe };

const Symbol = z
  .string()
  .regex(/^[A-Za-z0-9.-]{1,32}$/, 'a symbol is 1 to 32 letters, digits, dots or dashes');
const DateParam = z.iso.datetime({ offset: true }).or(z.iso.date()).describe('ISO date (2024-01-31) or date-time, UTC');

export const DataSetSummary = z.object({
  symbol: z.string(),
  timeframe: Timeframe,
  bars: z.number().int(),
  start: IsoDate.nullable(),
  end: IsoDate.nullable(),
});
export type DataSetSummary = z.infer<typeof DataSetSummary>;

export const BarsQuery = z.object({ start_date: DateParam.optional(), end_date: DateParam.optional() });

/** Bars as columns (compact, and what the computation modules read). `time` is ms since the epoch, UTC. */
export const BarsResponse = z.object({
  symbol: z.string(),
  timeframe: Timeframe,
  time: z.array(z.number()),
  open: z.array(z.number()),
  high: z.array(z.number()),
  low: z.array(z.number()),
  close: z.array(z.number()),
  volume: z.array(z.number()),
});
export type BarsResponse = z.infer<typeof BarsResponse>;

/** A context series (`KTRDR_DATA_DIR/context/<provider>/<SERIES>.csv`) as columns: observation times (ms, UTC) and values. */
export const ContextSeriesResponse = z.object({
  provider: z.enum(['fred', 'cftc_cot']),
  series: z.string(),
  time: z.array(z.number()),
  value: z.array(z.number()),
});
export type ContextSeriesResponse = z.infer<typeof ContextSeriesResponse>;

const ClassFigures = z.record(z.string(), z.number());

export const ModelMetrics = z.object({
  test_accuracy: z.number(),
  test_loss: z.number(),
  precision: ClassFigures,
  recall: ClassFigures,
  test_rows: z.number().int(),
  epochs_trained: z.number().int(),
  best_epoch: z.number().int(),
  /** Regression: mean squared and absolute error of the predicted returns (test_accuracy is then the directional accuracy, test_loss the Huber loss with δ 1). */
  mse: z.number().optional(),
  mae: z.number().optional(),
  /** Why the model may have learned nothing (one class predicted only, accuracy not above the majority class's share). */
  warnings: z.array(z.string()).optional(),
});
export type ModelMetrics = z.infer<typeof ModelMetrics>;

const Period = z.object({ start: IsoDate, end: IsoDate, rows: z.number().int() });

/** What `GET /models` lists: everything about a model but its weights. */
export const ModelSummary = z.object({
  model_id: ModelId,
  created_at: IsoDate,
  operation_id: z.string().nullable(),
  strategy_name: z.string(),
  symbol: z.string(),
  timeframe: Timeframe,
  /** Class names by output index; empty for a regression model. */
  labels: z.array(z.string()),
  /** What the outputs mean (6.3): trade signals (classification, regression) or not (context, regime). Absent in older models: classification. */
  output_type: z.enum(['classification', 'regression', 'context_classification', 'regime_classification']).optional(),
  /** mlp, lstm or gru (absent in older models: mlp). */
  model_type: z.enum(['mlp', 'lstm', 'gru']).optional(),
  confidence_threshold: z.number(),
  periods: z.object({ train: Period, validation: Period, test: Period }),
  metrics: ModelMetrics,
});
export type ModelSummary = z.infer<typeof ModelSummary>;

/** A trained model: its summary plus what inference needs (strategy, feature spec, network weights). */
export const ModelArtifact = ModelSummary.extend({
  strategy_yaml: z.string(),
  feature_spec: z.unknown(),
  network: z.unknown(),
});
export type ModelArtifact = z.infer<typeof ModelArtifact>;

export const ModelCreated = z.object({ success: z.literal(true), model_id: z.string() });
export const ModelDeleted = z.object({ success: z.literal(true), model_id: z.string() });

/** A file name under KTRDR_DATA_STRATEGIES_DIR (the earlier ktrdr's `strategy_name`). */
const StrategyFileName = z.string().regex(STRATEGY_NAME_PATTERN, `a strategy name is ${STRATEGY_NAME_RULE}`);

/** Both spellings of one value were given and differ: say which, naming both. */
function sameWhenBoth(ctx: z.RefinementCtx, body: Record<string, unknown>, one: string, other: string): void {
  if (body[one] === undefined || body[other] === undefined) return;
  if (JSON.stringify(body[one]) !== JSON.stringify(body[other])) {
    ctx.addIssue({ code: 'custom', path: [other], message: `${other} and ${one} are two spellings of one value: give one (or equal values)` });
  }
}

/**
 * Also the earlier ktrdr's shape: `{strategy_name, symbols, timeframes, start_date, end_date}`.
 * `symbols` / `timeframes` are lists there; one training runs on one symbol and
 * the strategy's timeframes, so a list names exactly one entry.
 */
export const TrainingStartBody = z
  .object({
    strategy: StoredText()
      .min(1)
      .optional()
      .describe('the strategy YAML itself, or the name of a file under KTRDR_DATA_STRATEGIES_DIR (".yaml" optional)'),
    strategy_name: StrategyFileName.optional().describe('the earlier ktrdr\'s spelling: the name of a file under KTRDR_DATA_STRATEGIES_DIR'),
    symbol: Symbol.optional(),
    symbols: z.array(Symbol).min(1).max(1).optional().describe("the earlier ktrdr's spelling of symbol, as a one-entry list"),
    timeframe: Timeframe.optional(),
    timeframes: z.array(Timeframe).min(1).max(1).optional().describe("the earlier ktrdr's spelling of timeframe, as a one-entry list"),
    start_date: DateParam.optional().describe("default: the strategy's training_data.start_date / date_range.start, else the first bar"),
    end_date: DateParam.optional().describe("default: the strategy's training_data.end_date / date_range.end, else the last bar"),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(42),
  })
  .superRefine((body, ctx) => {
    if ((body.strategy === undefined) === (body.strategy_name === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['strategy'], message: 'give the strategy (YAML or a file name) or strategy_name, exactly one of them' });
    }
    sameWhenBoth(ctx, { ...body, symbol: body.symbol && [body.symbol] }, 'symbol', 'symbols');
    sameWhenBoth(ctx, { ...body, timeframe: body.timeframe && [body.timeframe] }, 'timeframe', 'timeframes');
  })
  .transform(({ strategy_name: strategyName, symbols, timeframes, ...body }) => ({
    ...body,
    strategy: body.strategy ?? (strategyName as string),
    symbol: body.symbol ?? symbols?.[0],
    timeframe: body.timeframe ?? timeframes?.[0],
  }));
export type TrainingStartBody = z.infer<typeof TrainingStartBody>;

/** The highest commission or slippage a backtest request may ask for (a fraction per fill). */
export const BACKTEST_COST_MAX = 0.1;
export { BACKTEST_DEFAULTS };

/**
 * Capital and costs of a backtest: the one contract for them, shared by the backend's
 * request body, the backtesting worker's parameters and the CLI's options. A workload
 * parameter shared the same way is added here (or in a sibling object) and spread
 * with `...Object.shape` into the bodies that take it.
 */
export const BacktestCostParams = z.object({
  initial_capital: z.number().positive().default(BACKTEST_DEFAULTS.initialCapital).describe('starting cash'),
  commission: z.number().min(0).max(BACKTEST_COST_MAX).default(BACKTEST_DEFAULTS.commission).describe('fraction of the notional, per fill'),
  slippage: z.number().min(0).max(BACKTEST_COST_MAX).default(BACKTEST_DEFAULTS.slippage).describe('fraction of the price, per fill'),
});
export type BacktestCostParams = z.infer<typeof BacktestCostParams>;

/**
 * How a backtest sizes its entries, defined once here for the API, the worker's parameters and the CLI.
 * The defaults are the original's: 25 % of the cash per entry (commission included), whole units.
 */
export const BacktestSizing = z.object({
  position_size: z.number().gt(0).max(1).default(0.25).describe('fraction of the cash an entry commits, commission included, in (0, 1]'),
  whole_units: z.boolean().default(true).describe('round entries down to whole units (false: fractional units)'),
});
export type BacktestSizing = z.infer<typeof BacktestSizing>;

/**
 * Also the earlier ktrdr's shape: `{strategy_name, symbol, timeframe, start_date, end_date, model_path}`.
 * `model_path` is a model id, or a path whose last directory or file name is one
 * (`models/<id>`, `/data/models/<id>/model.pt`): only that id is looked up in the
 * models directory, never the path itself. `strategy_name` must be the model's.
 */
export const BacktestStartBody = z
  .object({
    model: ModelId.optional().describe('a model id from GET /models'),
    model_path: StoredText().min(1).max(1000).optional().describe("the earlier ktrdr's spelling: a model id, or a path ending in one"),
    strategy_name: StoredText().min(1).max(200).optional().describe("the earlier ktrdr's field; when given it must be the model's strategy"),
    symbol: Symbol.optional(),
    timeframe: Timeframe.optional(),
    start_date: DateParam.optional().describe("defaults to the start of the model's held-out test period"),
    end_date: DateParam.optional(),
    ...BacktestCostParams.shape,
    ...BacktestSizing.shape,
  })
  .superRefine((body, ctx) => {
    if ((body.model === undefined) === (body.model_path === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'give the model (an id) or model_path, exactly one of them' });
    }
  });
export type BacktestStartBody = z.infer<typeof BacktestStartBody>;

/** Where a strategy file goes wrong (or draws a warning or note): its path in the file, and its line and column when the file has that node. */
export const StrategyProblemBody = z.object({
  path: z.string().describe("the path in the file (`nn_inputs[0].fuzzy_set`); '' for the file as a whole"),
  message: z.string(),
  line: z.number().int().positive().optional().describe('1-based'),
  column: z.number().int().positive().optional().describe('1-based'),
});
export type StrategyProblemBody = z.infer<typeof StrategyProblemBody>;

/** GET /strategies: the strategy files of KTRDR_DATA_STRATEGIES_DIR, each validated as `ktrdr strategy validate` does. */
export const StrategyListResponse = z.object({
  items: z.array(
    z.object({
      name: z.string().describe('what a training request names: the file name without .yaml/.yml'),
      file: z.string(),
      valid: z.boolean(),
      strategy: z.string().nullable().describe("the `name:` inside a valid file; null when invalid"),
      symbols: z.array(z.string()),
      timeframes: z.array(z.string()),
      problems: z.array(StrategyProblemBody).describe('why the file does not load, in file order; empty when valid'),
      warnings: z.array(StrategyProblemBody),
      notes: z.array(StrategyProblemBody),
    }),
  ),
  total: z.number().int().nonnegative(),
});
export type StrategyListResponse = z.infer<typeof StrategyListResponse>;
