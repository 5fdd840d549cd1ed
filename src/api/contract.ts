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
import {
  Id,
  IsoDate,
  JsonObject,
  MAX_ID_LENGTH,
  NO_NUL,
  NUL,
  OperationStatus,
  OperationType,
  Progress,
  refuseNul,
  StoredText,
  WorkerStatus,
  WorkerType,
} from './worker-contract.js';

// What a worker validates with (the building blocks, the worker ↔ backend bodies) is defined in worker-contract.ts,
// so that a worker builds those schemas only (docs/architecture.md §1.1); the contract is still that module and this one.
export * from './worker-contract.js';

export const API_PREFIX = '/api/v1';

export const TERMINAL_STATUSES: readonly OperationStatus[] = ['completed', 'failed', 'cancelled'];
export const ACTIVE_STATUSES: readonly OperationStatus[] = ['pending', 'running'];
export const isTerminal = (status: OperationStatus): boolean => TERMINAL_STATUSES.includes(status);

const MODEL_ID_RULE = `a model id is 1 to ${MAX_ID_LENGTH} letters, digits, "_", "." or "-", starting with a letter or digit and not ending in ".summary"`;
/** Model ids become file names: no `.`, `..` or hidden file, and never the name of a summary file. */
export const ModelId = z
  .string()
  .max(MAX_ID_LENGTH, MODEL_ID_RULE)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, MODEL_ID_RULE)
  .refine((value) => !value.endsWith('.summary'), { message: MODEL_ID_RULE });

const JsonValue = z.unknown().superRefine(refuseNul);

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

export const ListWorkersQuery = z.object({
  worker_type: WorkerType.optional(),
  status: WorkerStatus.optional(),
});

// ---------------------------------------------------------------- operations

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

// ---------------------------------------------------------------- worker ↔ backend (the rest: worker-contract.ts)

/** Worker → backend: a checkpoint of a running operation. */
export const CheckpointUpload = z.object({
  worker_id: Id(),
  units: z.number().int().min(0),
  state: z.unknown(),
  reason: z.enum(['interval', 'time', 'shutdown', 'cancel', 'failure']),
});
export type CheckpointUpload = z.infer<typeof CheckpointUpload>;

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

/** Worker → backend: a stopping worker hands an operation back, to be resumed elsewhere. */
export const OperationRelease = z.object({
  worker_id: Id(),
  reason: StoredText().min(1),
  progress: Progress.optional(),
});
export type OperationRelease = z.infer<typeof OperationRelease>;

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
