/**
 * The strategy file (docs/architecture.md §6.2, the earlier system's "v3" YAML format, subset):
 * ONE zod schema that is its TypeScript type, its validation and its documentation
 * (docs/strategies.md is rendered from the `.describe()` texts below).
 *
 * Parsing yields a normalised `Strategy`: indicator parameters with their defaults
 * under `params`, fuzzy sets as `{indicator, sets}` with every membership function
 * as `{type, parameters}`, `nn_inputs[].timeframes` resolved to a list, and the
 * training hyper-parameters merged into `model.training` (they may be written there
 * or at the top level under `training:`; the same key in both places must agree).
 *
 * Cross-references are checked even when other parts of the file are invalid
 * (`when: () => true`), so that one run lists every problem.
 */
import { z } from 'zod';
import { findIndicator, INDICATORS, SINGLE_OUTPUT } from '../indicators/registry.js';
import { FuzzySetDefinition } from '../fuzzy/membership.js';
import { symbolProblem } from '../market-data/file-name.js';
import { Timeframe } from '../market-data/types.js';

/** Indicator ids, fuzzy set names and membership names end up in feature column names (`rsi_momentum.oversold[t-1]`). */
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
const NAME_RULE = "must start with a letter and contain only letters, digits and '_'";

export const knownIndicatorTypes = (): string[] => Object.keys(INDICATORS).sort();

const lookupIndicator = findIndicator;

// ---------------------------------------------------------------------------
// training_data

const TrainingData = z
  .strictObject({
    symbols: z
      .strictObject({
        mode: z.literal('single').describe("Only 'single' (one symbol) is supported."),
        symbol: z
          .string()
          .superRefine((symbol, ctx) => {
            const problem = symbolProblem(symbol);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })
          .describe('The symbol to train on, e.g. EURUSD (its data file is `<SYMBOL>_<TIMEFRAME>.csv`).'),
      })
      .describe('Which symbol the strategy trains on.'),
    timeframes: z
      .strictObject({
        mode: z.literal('single').describe("Only 'single' (one timeframe) is supported."),
        timeframe: Timeframe.describe(`The bar timeframe: ${Timeframe.options.join(', ')}.`),
      })
      .describe('Which timeframe the strategy trains on.'),
    history_required: z
      .int()
      .min(0)
      .optional()
      .describe('Bars of history the strategy needs before its first decision (informative; the warm-up is also computed from the indicators).'),
  })
  .describe('The data the strategy is trained on (a training request may override symbol and timeframe).');

// ---------------------------------------------------------------------------
// indicators: `{type, ...params}` in the file, `{type, params}` once parsed

const IndicatorEntry = z
  .object({ type: z.string().describe(`The indicator type: ${knownIndicatorTypes().join(', ')}.`) })
  .catchall(z.unknown())
  .transform((entry, ctx) => {
    const { type, ...given } = entry;
    const definition = lookupIndicator(type);
    if (!definition) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: `unknown indicator type '${type}' (known: ${knownIndicatorTypes().join(', ')})` });
      return { type, params: given };
    }
    // The indicator's schema renames parameter aliases and refuses unknown keys, naming the allowed ones.
    const parsed = definition.params.safeParse(given, { reportInput: true });
    if (!parsed.success) {
      // The indicator's own issues keep their code and path (relative to this entry), so they read like any other.
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
      return { type, params: given };
    }
    return { type, params: parsed.data as Record<string, unknown> };
  })
  .describe(
    'One indicator: `{type, ...parameters}`, e.g. `{type: rsi, period: 14, source: close}`. Parameters are validated by the indicator itself (see "Indicators" below).',
  );
export type IndicatorSpec = z.output<typeof IndicatorEntry>;

// ---------------------------------------------------------------------------
// fuzzy sets: `{indicator, <membership name>: [a, b, c] | {type, parameters}, ...}`

/** One membership function of a fuzzy set (the fuzzy module's schema, described here for the docs). */
export const MembershipDefinition = FuzzySetDefinition.describe(
  'A membership function: `[a, b, c]` (triangular), `[a, b, c, d]` (trapezoidal) or `{type: triangular|trapezoidal|gaussian, parameters: [...]}` (see "Membership functions" below).',
);

const FuzzySetEntry = z
  .object({
    indicator: z
      .string()
      .describe("The indicator id, or `id.output` for a multi-output indicator (e.g. 'rsi_14', 'adx_14.adx', 'macd_12_26.histogram')."),
  })
  .catchall(MembershipDefinition)
  .transform(({ indicator, ...sets }) => ({ indicator, sets }))
  .describe(
    'A fuzzy set: the indicator it reads and its named membership functions. Each membership is `[a, b, c]` (triangular), `[a, b, c, d]` (trapezoidal) or `{type: triangular|trapezoidal|gaussian, parameters: [...]}`.',
  );
export type FuzzySetSpec = z.output<typeof FuzzySetEntry>;

// ---------------------------------------------------------------------------
// nn_inputs

const NnInput = z
  .strictObject({
    fuzzy_set: z.string().describe('A fuzzy set name from `fuzzy_sets`.'),
    timeframes: z
      .union([z.literal('all'), z.array(Timeframe).min(1)])
      .default('all')
      .describe("'all' (the strategy's timeframes) or a list of them."),
  })
  .describe('A fuzzy set whose memberships become model inputs.');

// ---------------------------------------------------------------------------
// model

/**
 * Hyper-parameters may sit in `model.training` or in the top-level `training`
 * block; they are optional at both places (the defaults are applied after merging).
 */
export const TRAINING_DEFAULTS = {
  learning_rate: 0.001,
  batch_size: 32,
  epochs: 50,
  optimizer: 'adam',
  early_stopping: { enabled: false, patience: 10, min_delta: 0 },
} as const;

const EarlyStopping = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Stop when the validation loss stops improving.'),
    patience: z.int().min(1).default(10).describe('Epochs without improvement before stopping.'),
    min_delta: z.number().min(0).default(0).describe('The smallest decrease of the validation loss that counts as an improvement.'),
  })
  .describe('Early stopping on the validation loss (absent: disabled).');

const hyperparameterShape = {
  learning_rate: z.number().positive().max(10).optional().meta({ description: 'The optimizer step size.', default: TRAINING_DEFAULTS.learning_rate }),
  batch_size: z.int().min(1).max(1_000_000).optional().meta({ description: 'Samples per mini-batch.', default: TRAINING_DEFAULTS.batch_size }),
  epochs: z.int().min(1).max(100_000).optional().meta({ description: 'The most epochs to train for.', default: TRAINING_DEFAULTS.epochs }),
  optimizer: z.enum(['adam', 'sgd']).optional().meta({ description: 'adam or sgd.', default: TRAINING_DEFAULTS.optimizer }),
  early_stopping: EarlyStopping.optional(),
};
const HYPERPARAMETER_KEYS = Object.keys(hyperparameterShape) as (keyof typeof hyperparameterShape)[];

const ModelTraining = z
  .strictObject(hyperparameterShape)
  .describe('Training hyper-parameters (also accepted in the top-level `training` block; the same key in both places must agree).');

const Model = z
  .strictObject({
    type: z.literal('mlp').describe("Only 'mlp' (a dense multi-layer perceptron with a softmax output) is supported."),
    architecture: z
      .strictObject({
        hidden_layers: z.array(z.int().min(1).max(4096)).min(1).max(16).describe('Units of each hidden layer, e.g. [32, 16].'),
        activation: z.enum(['relu', 'tanh']).default('relu').describe('The hidden layers\' activation: relu or tanh.'),
        dropout: z.number().min(0).lt(1).default(0).describe('The fraction of hidden units dropped during training (0 = none).'),
      })
      .describe('The network.'),
    features: z
      .strictObject({
        lookback_periods: z
          .int()
          .min(0)
          .max(500)
          .default(0)
          .describe('Lags of each membership fed to the model: the row at bar t holds t, t-1, …, t-lookback_periods.'),
      })
      .default({ lookback_periods: 0 })
      .describe('How memberships become features.'),
    training: ModelTraining.optional(),
  })
  .describe('The classifier.');

// ---------------------------------------------------------------------------
// decisions and training

const Decisions = z
  .strictObject({
    output_format: z.literal('classification').default('classification').describe("Only 'classification' (BUY / HOLD / SELL) is supported."),
    confidence_threshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('A BUY or SELL is acted on only when its probability is at least this; otherwise HOLD.'),
  })
  .default({ output_format: 'classification', confidence_threshold: 0.5 })
  .describe('How the model\'s output becomes a decision.');

const DATA_SPLIT_TOLERANCE = 1e-9;

const DataSplit = z
  .strictObject({
    train: z.number().gt(0).lt(1).describe('The first, oldest part: fitted on.'),
    validation: z.number().gt(0).lt(1).describe('The middle part: early stopping and progress.'),
    test: z.number().gt(0).lt(1).describe('The last, newest part: the reported test metrics.'),
  })
  .superRefine((split, ctx) => {
    const sum = split.train + split.validation + split.test;
    if (Math.abs(sum - 1) > DATA_SPLIT_TOLERANCE) {
      ctx.addIssue({ code: 'custom', message: `train + validation + test must sum to 1 (got ${split.train} + ${split.validation} + ${split.test} = ${+sum.toFixed(12)})` });
    }
  })
  .default({ train: 0.7, validation: 0.15, test: 0.15 })
  .describe('The chronological split of the labelled bars (fractions summing to 1).');

const Labels = z
  .strictObject({
    source: z.literal('zigzag').default('zigzag').describe("Only 'zigzag' is supported."),
    zigzag_threshold: z
      .number()
      .gt(0)
      .lt(1)
      .describe('The move (a fraction: 0.025 = 2.5%) that makes a BUY (up first) or a SELL (down first); HOLD otherwise.'),
    label_lookahead: z.int().min(1).max(10_000).describe('How many future bars the move must happen within.'),
  })
  .describe('BUY / HOLD / SELL labels from the zig-zag of future prices.');

const TrainingBlock = z
  .strictObject({
    labels: Labels,
    data_split: DataSplit,
    ...hyperparameterShape,
  })
  .describe('Labels, the data split and, optionally, the training hyper-parameters (see `model.training`).');

// ---------------------------------------------------------------------------
// the file

const StrategyObject = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must start with a letter or digit and contain only letters, digits, '_', '-' and '.'").describe('The strategy name.'),
  version: z
    .union([z.string().min(1), z.number()])
    .transform((version) => String(version))
    .describe('The strategy\'s own version, e.g. "3.0" (quote it to keep the ".0").'),
  description: z.string().optional().describe('Free text.'),
  training_data: TrainingData,
  indicators: z.record(z.string(), IndicatorEntry).describe('Indicators by id: `<id>: {type, ...parameters}`.'),
  fuzzy_sets: z.record(z.string(), FuzzySetEntry).describe('Fuzzy sets by name.'),
  nn_inputs: z.array(NnInput).min(1).describe('The fuzzy sets fed to the model, in column order.'),
  model: Model,
  decisions: Decisions,
  training: TrainingBlock,
});

type Issue = { path: (string | number)[]; message: string };

/** The output a reference `id` or `id.output` names, or the reason it names none (`problem` is null when the indicator itself is invalid). */
export type IndicatorReference =
  | { ok: true; id: string; output: string }
  | { ok: false; problem: string | null };

/**
 * Resolves a fuzzy set's `indicator` against the strategy's indicators
 * (`types`: id → indicator type as written). A single-output indicator's series
 * is `SINGLE_OUTPUT`.
 */
export function resolveIndicatorReference(reference: string, types: Readonly<Record<string, unknown>>): IndicatorReference {
  const dot = reference.indexOf('.');
  const id = dot < 0 ? reference : reference.slice(0, dot);
  const output = dot < 0 ? null : reference.slice(dot + 1);
  if (!Object.prototype.hasOwnProperty.call(types, id)) {
    const defined = Object.keys(types);
    return { ok: false, problem: `unknown indicator '${id}' (defined: ${defined.join(', ') || 'none'})` };
  }
  const type = types[id];
  const definition = typeof type === 'string' ? lookupIndicator(type) : undefined;
  if (!definition) return { ok: false, problem: null };
  const outputs = definition.outputs;
  if (outputs.length === 0) {
    if (output === null || output === SINGLE_OUTPUT) return { ok: true, id, output: SINGLE_OUTPUT };
    return { ok: false, problem: `indicator '${id}' (${definition.type}) has a single output; use '${id}'` };
  }
  if (output === null) return { ok: false, problem: `indicator '${id}' has outputs ${outputs.join(', ')}; use e.g. '${id}.${outputs[0]}'` };
  if (!outputs.includes(output)) return { ok: false, problem: `indicator '${id}' (${definition.type}) has no output '${output}' (outputs: ${outputs.join(', ')})` };
  return { ok: true, id, output };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks between sections, on a value that may be partly invalid (so every field is read defensively). */
function crossReferenceIssues(value: unknown): Issue[] {
  const issues: Issue[] = [];
  if (!isRecord(value)) return issues;
  const indicators = isRecord(value.indicators) ? value.indicators : {};
  const fuzzySets = isRecord(value.fuzzy_sets) ? value.fuzzy_sets : {};

  const indicatorTypes: Record<string, unknown> = {};
  for (const [id, entry] of Object.entries(indicators)) {
    if (!NAME_PATTERN.test(id)) issues.push({ path: ['indicators', id], message: `indicator id '${id}' ${NAME_RULE}` });
    indicatorTypes[id] = isRecord(entry) ? entry.type : undefined;
  }

  for (const [name, entry] of Object.entries(fuzzySets)) {
    if (!NAME_PATTERN.test(name)) issues.push({ path: ['fuzzy_sets', name], message: `fuzzy set name '${name}' ${NAME_RULE}` });
    if (!isRecord(entry)) continue;
    const memberships = isRecord(entry.sets) ? Object.keys(entry.sets) : Object.keys(entry).filter((key) => key !== 'indicator');
    if (memberships.length === 0) {
      issues.push({ path: ['fuzzy_sets', name], message: `fuzzy set '${name}' defines no membership functions (e.g. low: [0, 20, 40])` });
    }
    for (const membership of memberships) {
      if (!NAME_PATTERN.test(membership)) issues.push({ path: ['fuzzy_sets', name, membership], message: `membership name '${membership}' ${NAME_RULE}` });
    }
    if (typeof entry.indicator !== 'string') continue;
    const resolved = resolveIndicatorReference(entry.indicator, indicatorTypes);
    if (!resolved.ok && resolved.problem) issues.push({ path: ['fuzzy_sets', name, 'indicator'], message: resolved.problem });
  }

  const strategyTimeframes: string[] = [];
  const trainingData = value.training_data;
  if (isRecord(trainingData) && isRecord(trainingData.timeframes) && Timeframe.safeParse(trainingData.timeframes.timeframe).success) {
    strategyTimeframes.push(trainingData.timeframes.timeframe as string);
  }
  const firstUse = new Map<string, number>();
  // Without a fuzzy_sets mapping every name would be 'unknown': its own problem says enough.
  if (Array.isArray(value.nn_inputs) && isRecord(value.fuzzy_sets)) {
    value.nn_inputs.forEach((input: unknown, index) => {
      if (!isRecord(input)) return;
      if (typeof input.fuzzy_set === 'string') {
        const name = input.fuzzy_set;
        if (!Object.prototype.hasOwnProperty.call(fuzzySets, name)) {
          issues.push({ path: ['nn_inputs', index, 'fuzzy_set'], message: `unknown fuzzy set '${name}' (defined: ${Object.keys(fuzzySets).join(', ') || 'none'})` });
        } else if (firstUse.has(name)) {
          issues.push({ path: ['nn_inputs', index, 'fuzzy_set'], message: `fuzzy set '${name}' is already listed at nn_inputs[${firstUse.get(name)}]` });
        } else {
          firstUse.set(name, index);
        }
      }
      if (Array.isArray(input.timeframes) && strategyTimeframes.length > 0) {
        input.timeframes.forEach((timeframe: unknown, position) => {
          if (typeof timeframe === 'string' && Timeframe.safeParse(timeframe).success && !strategyTimeframes.includes(timeframe)) {
            issues.push({
              path: ['nn_inputs', index, 'timeframes', position],
              message: `timeframe '${timeframe}' is not among the strategy's timeframes (${strategyTimeframes.join(', ')})`,
            });
          }
        });
      }
    });
  }

  const model = value.model;
  const training = value.training;
  if (isRecord(model) && isRecord(model.training) && isRecord(training)) {
    for (const key of HYPERPARAMETER_KEYS) {
      if (model.training[key] === undefined || training[key] === undefined) continue;
      if (!sameValue(model.training[key], training[key])) {
        issues.push({
          path: ['training', key],
          message: `conflicts with model.training.${key} (${JSON.stringify(training[key])} here, ${JSON.stringify(model.training[key])} there); give it in one place`,
        });
      }
    }
  }
  return issues;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue(a[key], b[key]));
  }
  return Object.is(a, b);
}

function normalise(file: z.output<typeof StrategyObject>) {
  const inModel = file.model.training ?? {};
  const atTop = file.training;
  const timeframes = [file.training_data.timeframes.timeframe];
  return {
    name: file.name,
    version: file.version,
    description: file.description,
    training_data: file.training_data,
    indicators: file.indicators,
    fuzzy_sets: file.fuzzy_sets,
    nn_inputs: file.nn_inputs.map((input) => ({
      fuzzy_set: input.fuzzy_set,
      timeframes: input.timeframes === 'all' ? [...timeframes] : input.timeframes,
    })),
    model: {
      type: file.model.type,
      architecture: file.model.architecture,
      features: file.model.features,
      training: {
        learning_rate: inModel.learning_rate ?? atTop.learning_rate ?? TRAINING_DEFAULTS.learning_rate,
        batch_size: inModel.batch_size ?? atTop.batch_size ?? TRAINING_DEFAULTS.batch_size,
        epochs: inModel.epochs ?? atTop.epochs ?? TRAINING_DEFAULTS.epochs,
        optimizer: inModel.optimizer ?? atTop.optimizer ?? TRAINING_DEFAULTS.optimizer,
        early_stopping: inModel.early_stopping ?? atTop.early_stopping ?? { ...TRAINING_DEFAULTS.early_stopping },
      },
    },
    decisions: file.decisions,
    training: { labels: file.training.labels, data_split: file.training.data_split },
  };
}

/** The strategy file: parse YAML into plain data first (see load.ts), then `StrategySchema.safeParse(data)`. */
export const StrategySchema = StrategyObject.superRefine(
  (value, ctx) => {
    for (const issue of crossReferenceIssues(value)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  },
  { when: () => true },
).transform(normalise);

/** The input shape: what a YAML file holds. */
export type StrategyFile = z.input<typeof StrategySchema>;
/** A validated, normalised strategy. */
export type Strategy = z.output<typeof StrategySchema>;
export type MembershipSpec = Strategy['fuzzy_sets'][string]['sets'][string];
