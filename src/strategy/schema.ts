/**
 * The strategy file: the earlier ktrdr's "v3" YAML grammar, as ONE zod schema
 * that is its TypeScript type, its validation and its documentation
 * (docs/strategies.md is rendered from the `.describe()` texts).
 *
 * Every file the original loads loads here, with its shorthands, aliases and
 * precedence; what the original would only find wrong at run time (an unknown
 * indicator or membership type, a bad parameter, a string where a list is
 * required, an unknown label source) is refused here, naming the path.
 * Unknown keys are not this schema's business: the blocks are loose and the
 * loader warns about each one (notes.ts); indicator parameters and membership
 * functions are checked strictly.
 *
 * Parsing yields a normalised `Strategy`: indicator types in their canonical
 * name with parameters defaulted, fuzzy sets as `{indicator, sets}`,
 * `nn_inputs[].timeframes` as a list, labels with their source's defaults, and
 * the effective training hyper-parameters under `training`.
 *
 * Cross-references are checked even when other parts of the file are invalid
 * (`when: () => true`), so that one run lists every problem.
 */
import { z } from 'zod';
import { FuzzySetDefinition } from '../fuzzy/membership.js';
import { findIndicator, INDICATORS, SINGLE_OUTPUT } from '../indicators/registry.js';
import { closestName } from '../settings-engine/index.js';
import { ContextData, contextSourceIds, Deployment, IGNORED, TimeframeName, TrainingData } from './schema-data.js';
import { trainingRuleIssues } from './training-rules.js';
import { ACTIVATIONS, Decisions, effectiveHyperparameters, Model, normaliseLabels, Training } from './schema-model.js';

/** Ids and names end up in feature names (`1h_rsi_14`, `1h_rsi_fs_low`, `rsi_fs.low[t-1]`), where '.', '[' and blanks have a meaning. */
const NAME_PATTERN = /^[^\s.[\]]+$/;
const NAME_RULE = "must not be empty nor contain '.', '[', ']' or blanks";
const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'];

export const knownIndicatorTypes = (): string[] => Object.keys(INDICATORS).sort();

const ignored = (what: string) => z.unknown().optional().describe(`${IGNORED} ${what}`);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// ---------------------------------------------------------------------------
// indicators: `{type, ...params, data_source?}` in the file, `{type, params, data_source}` once parsed

const IndicatorEntry = z
  .object({
    type: z.string().describe(`The indicator type, case-insensitive: ${knownIndicatorTypes().join(', ')}.`),
    data_source: z.string().optional().describe('Compute it on a `context_data` series (its source id) instead of the instrument\'s bars.'),
  })
  .catchall(z.unknown())
  .transform((entry, ctx) => {
    const { type, data_source: dataSource, ...written } = entry;
    const definition = findIndicator(type);
    if (!definition) {
      const suggestion = closestName(type.toLowerCase(), knownIndicatorTypes());
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `unknown indicator type '${type}'${suggestion ? `; did you mean '${suggestion}'?` : ''} (known: ${knownIndicatorTypes().join(', ')})`,
      });
      return z.NEVER;
    }
    // The indicator's schema renames its parameter aliases (MACD's fast/slow/signal) and refuses unknown keys;
    // here an unknown key's message gains the closest allowed name.
    const allowed = [...Object.keys(definition.paramFields.shape), ...Object.keys(definition.paramAliases)];
    const unknownParameter = (key: string) => {
      const suggestion = closestName(key, allowed);
      return `unknown parameter '${key}' for ${definition.type}${suggestion ? `; did you mean '${suggestion}'?` : ''} (allowed: ${allowed.join(', ') || 'none'})`;
    };
    const parsed = definition.params.safeParse(written, { reportInput: true });
    if (!parsed.success) {
      // The indicator's own issues keep their code and path (relative to this entry), so they read like any other.
      for (const issue of parsed.error.issues) {
        const [key] = issue.path;
        if (issue.code === 'unrecognized_keys') {
          for (const unknownKey of issue.keys) ctx.addIssue({ code: 'custom', path: [...issue.path, unknownKey], message: unknownParameter(unknownKey) });
        } else if (issue.path.length === 1 && typeof key === 'string' && !allowed.includes(key)) {
          ctx.addIssue({ code: 'custom', path: [key], message: unknownParameter(key) });
        } else {
          ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
        }
      }
      // The parse has failed already; the type still lets the cross-references to this indicator be checked.
      return { type: definition.type, params: {}, data_source: dataSource ?? null };
    }
    return { type: definition.type, params: parsed.data as Record<string, unknown>, data_source: dataSource ?? null };
  })
  .describe('One indicator: `{type, ...parameters}`, e.g. `{type: RSI, period: 14}`. Parameters are checked by the indicator (see "Indicators" below).');
export type IndicatorSpec = z.output<typeof IndicatorEntry>;

// ---------------------------------------------------------------------------
// fuzzy sets: `{indicator, <membership name>: [a, b, c] | {type, parameters}, ...}`

/** One membership function of a fuzzy set (the fuzzy module's schema, described here for the docs). */
export const MembershipDefinition = FuzzySetDefinition.describe(
  'A membership function: `[a, b, c]` (triangular), `[a, b, c, d]` (trapezoidal) or `{type: triangular|trapezoidal|gaussian, parameters: [...]}` (see "Membership functions" below).',
);

const FuzzySetEntry = z
  .object({
    indicator: z.string().describe("The indicator id, or `id.output` (`bbands_20.lower`); a multi-output indicator's bare id means its first output."),
  })
  .catchall(MembershipDefinition)
  .transform(({ indicator, ...sets }) => ({ indicator, sets }))
  .describe('A fuzzy set: the indicator it reads and its named membership functions, in the order they become features.');
export type FuzzySetSpec = z.output<typeof FuzzySetEntry>;

// ---------------------------------------------------------------------------
// nn_inputs

const NORMALIZATIONS = ['minmax', 'zscore', 'none'] as const;

const NnInput = z
  .looseObject({
    fuzzy_set: z.string().nullable().optional().describe('A fuzzy set from `fuzzy_sets`: one feature per membership and timeframe.'),
    raw_indicator: z.string().nullable().optional().describe('An indicator id or `id.output`: its value is one feature per timeframe.'),
    timeframes: z
      .union([z.array(TimeframeName).min(1), z.string()])
      .default('all')
      .describe("'all' (the strategy's timeframes, in their order) or a list of them."),
    normalization: z.enum(NORMALIZATIONS).nullable().optional().describe('raw_indicator only: minmax, zscore or none, fitted on the training split.'),
  })
  .superRefine((input, ctx) => {
    const fuzzy = typeof input.fuzzy_set === 'string' && input.fuzzy_set !== '';
    const raw = typeof input.raw_indicator === 'string' && input.raw_indicator !== '';
    if (fuzzy && raw) ctx.addIssue({ code: 'custom', message: 'give either fuzzy_set or raw_indicator, not both' });
    if (!fuzzy && !raw) ctx.addIssue({ code: 'custom', message: 'needs a fuzzy_set or a raw_indicator' });
    if (fuzzy && input.normalization !== undefined && input.normalization !== null) {
      ctx.addIssue({ code: 'custom', path: ['normalization'], message: 'applies to raw_indicator inputs only' });
    }
    if (typeof input.timeframes === 'string' && input.timeframes !== 'all') {
      ctx.addIssue({ code: 'custom', path: ['timeframes'], message: `must be 'all' or a list (got '${input.timeframes}'; write [${input.timeframes}])` });
    }
  })
  .describe('One model input: a fuzzy set or a raw indicator, on some timeframes.');

// ---------------------------------------------------------------------------
// the file

const StrategyObject = z.looseObject({
  name: z
    .string()
    .min(1)
    .max(200)
    .refine((name) => ![...name].some((char) => char < ' ' || char === '/' || char === '\\'), 'must not contain control characters or slashes')
    .describe('The strategy name (it names the model).'),
  version: z
    .string({
      error: (issue) =>
        typeof issue.input === 'number' ? `must be a quoted string such as "3.0" (an unquoted ${issue.input} is a number in YAML, which the original refuses too)` : undefined,
    })
    .default('3.0')
    .describe('The strategy\'s own version, a string: write `version: "3.0"`.'),
  description: ignored('Free text.'),
  training_data: TrainingData,
  context_data: ContextData,
  deployment: Deployment,
  indicators: z.record(z.string(), IndicatorEntry).describe('Indicators by id: `<id>: {type, ...parameters}`.'),
  fuzzy_sets: z.record(z.string(), FuzzySetEntry).describe('Fuzzy sets by name.'),
  nn_inputs: z.array(NnInput).min(1).describe('The model inputs, in column order.'),
  model: Model,
  decisions: Decisions.default({
    output_format: 'classification',
    confidence_threshold: 0.5,
    position_awareness: true,
    allow_short_from_flat: false,
  }),
  training: Training,
  scope: ignored('A v2 field (universal, symbol_group, symbol_specific).'),
  backtest: ignored('Read by the original\'s research agent only.'),
  backtesting: ignored('Not read.'),
  orchestrator: ignored('Not read.'),
  risk_management: ignored('Not read.'),
});

type Issue = { path: (string | number)[]; message: string };

/** The output a reference `id` or `id.output` names, or the reason it names none (`problem` is null when the indicator itself is invalid). */
export type IndicatorReference = { ok: true; id: string; output: string } | { ok: false; problem: string | null };

/**
 * Resolves `id` or `id.output` (split at the first dot) against the strategy's
 * indicators (`types`: id → type as written). A single-output indicator's series is
 * SINGLE_OUTPUT's key; a multi-output indicator's bare id is its first output.
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
  const definition = typeof type === 'string' ? findIndicator(type) : undefined;
  if (!definition) return { ok: false, problem: null };
  const outputs = definition.outputs;
  if (outputs.length === 0) {
    if (output === null) return { ok: true, id, output: SINGLE_OUTPUT };
    return { ok: false, problem: `indicator '${id}' (${definition.type}) has a single output; use '${id}'` };
  }
  if (output === null) return { ok: true, id, output: outputs[0] as string };
  if (!outputs.includes(output)) return { ok: false, problem: `indicator '${id}' (${definition.type}) has no output '${output}' (outputs: ${outputs.join(', ')})` };
  return { ok: true, id, output };
}

/** The timeframes `timeframes: all` stands for, read defensively from a value that may be partly invalid. */
function availableTimeframes(trainingData: unknown): string[] {
  if (!isRecord(trainingData) || !isRecord(trainingData.timeframes)) return [];
  const timeframes = trainingData.timeframes;
  const list = Array.isArray(timeframes.list) ? timeframes.list : Array.isArray(timeframes.timeframes) ? timeframes.timeframes : [];
  if (list.length > 0) return list.filter((entry): entry is string => typeof entry === 'string');
  return typeof timeframes.timeframe === 'string' ? [timeframes.timeframe] : [];
}

/** Checks between sections, on a value that may be partly invalid (so every field is read defensively). */
function crossReferenceIssues(value: unknown): Issue[] {
  const issues: Issue[] = [];
  if (!isRecord(value)) return issues;
  const indicators = isRecord(value.indicators) ? value.indicators : {};
  const fuzzySets = isRecord(value.fuzzy_sets) ? value.fuzzy_sets : {};
  const contextIds = new Set(Array.isArray(value.context_data) ? value.context_data.flatMap((entry) => (isRecord(entry) ? contextSourceIds(entry) : [])) : []);

  const indicatorTypes: Record<string, unknown> = {};
  for (const [id, entry] of Object.entries(indicators)) {
    if (!NAME_PATTERN.test(id)) issues.push({ path: ['indicators', id], message: `indicator id '${id}' ${NAME_RULE}` });
    if (PRICE_COLUMNS.includes(id.toLowerCase())) issues.push({ path: ['indicators', id], message: `indicator id '${id}' is a price column's name; choose another` });
    indicatorTypes[id] = isRecord(entry) ? entry.type : undefined;
    const source = isRecord(entry) ? entry.data_source : undefined;
    if (typeof source === 'string' && !contextIds.has(source)) {
      issues.push({
        path: ['indicators', id, 'data_source'],
        message: contextIds.size === 0 ? `'${source}' names no context_data series (the strategy has no context_data)` : `'${source}' names no context_data series (known: ${[...contextIds].join(', ')})`,
      });
    }
  }

  for (const [name, entry] of Object.entries(fuzzySets)) {
    if (!NAME_PATTERN.test(name)) issues.push({ path: ['fuzzy_sets', name], message: `fuzzy set name '${name}' ${NAME_RULE}` });
    if (!isRecord(entry)) continue;
    const memberships = isRecord(entry.sets) ? Object.keys(entry.sets) : Object.keys(entry).filter((key) => key !== 'indicator');
    if (memberships.length === 0) issues.push({ path: ['fuzzy_sets', name], message: `fuzzy set '${name}' defines no membership functions (e.g. low: [0, 20, 40])` });
    for (const membership of memberships) {
      if (!NAME_PATTERN.test(membership)) issues.push({ path: ['fuzzy_sets', name, membership], message: `membership name '${membership}' ${NAME_RULE}` });
    }
    if (typeof entry.indicator !== 'string') continue;
    const resolved = resolveIndicatorReference(entry.indicator, indicatorTypes);
    if (!resolved.ok && resolved.problem) issues.push({ path: ['fuzzy_sets', name, 'indicator'], message: resolved.problem });
  }

  const available = availableTimeframes(value.training_data);
  const features = new Map<string, number>();
  if (Array.isArray(value.nn_inputs)) {
    value.nn_inputs.forEach((input: unknown, index) => {
      if (!isRecord(input)) return;
      let feature: string | null = null;
      if (typeof input.fuzzy_set === 'string' && input.fuzzy_set !== '' && isRecord(value.fuzzy_sets)) {
        if (!Object.prototype.hasOwnProperty.call(fuzzySets, input.fuzzy_set)) {
          issues.push({ path: ['nn_inputs', index, 'fuzzy_set'], message: `unknown fuzzy set '${input.fuzzy_set}' (defined: ${Object.keys(fuzzySets).join(', ') || 'none'})` });
        }
        feature = `fuzzy_set ${input.fuzzy_set}`;
      }
      if (typeof input.raw_indicator === 'string' && input.raw_indicator !== '') {
        const resolved = resolveIndicatorReference(input.raw_indicator, indicatorTypes);
        if (!resolved.ok && resolved.problem) issues.push({ path: ['nn_inputs', index, 'raw_indicator'], message: resolved.problem });
        feature = `raw_indicator ${input.raw_indicator}`;
      }
      const timeframes = Array.isArray(input.timeframes) ? input.timeframes : available;
      if (Array.isArray(input.timeframes) && available.length > 0) {
        input.timeframes.forEach((timeframe: unknown, position) => {
          if (typeof timeframe === 'string' && !available.includes(timeframe)) {
            issues.push({ path: ['nn_inputs', index, 'timeframes', position], message: `timeframe '${timeframe}' is not among the strategy's timeframes (${available.join(', ')})` });
          }
        });
      }
      if (feature === null) return;
      timeframes.forEach((timeframe: unknown, position) => {
        const key = `${feature} on ${String(timeframe)}`;
        const first = features.get(key);
        if (first === undefined) features.set(key, index);
        else {
          issues.push({
            path: Array.isArray(input.timeframes) ? ['nn_inputs', index, 'timeframes', position] : ['nn_inputs', index],
            message: `${key} is already an input at nn_inputs[${first}]: its features would be listed twice`,
          });
        }
      });
    });
  }

  issues.push(...regressionIssues(value));
  issues.push(...trainingRuleIssues(value));
  return issues;
}

/** What a regression strategy must state, as the original checks it at load. */
function regressionIssues(value: Record<string, unknown>): Issue[] {
  const decisions = isRecord(value.decisions) ? value.decisions : {};
  if (decisions.output_format !== 'regression') return [];
  const issues: Issue[] = [];
  const cost = decisions.cost_model;
  if (!isRecord(cost)) {
    issues.push({ path: ['decisions', 'cost_model'], message: 'required for output_format regression: {round_trip_cost, min_edge_multiplier}' });
  } else {
    for (const key of ['round_trip_cost', 'min_edge_multiplier']) {
      if (cost[key] === undefined) issues.push({ path: ['decisions', 'cost_model', key], message: 'required for output_format regression (a number > 0)' });
    }
  }
  const training = isRecord(value.training) ? value.training : {};
  const labels = isRecord(training.labels) ? training.labels : {};
  if (labels.source === 'forward_return' && labels.horizon === undefined) {
    issues.push({ path: ['training', 'labels', 'horizon'], message: 'required for forward_return labels with output_format regression (bars ahead, e.g. 20)' });
  }
  if (typeof training.loss === 'string' && !['huber', 'mse'].includes(training.loss)) {
    issues.push({ path: ['training', 'loss'], message: `must be huber or mse for output_format regression (got '${training.loss}')` });
  }
  return issues;
}

function normalise(file: z.output<typeof StrategyObject>) {
  const available = file.training_data.timeframes.list;
  const { architecture, features } = file.model;
  const activation = architecture.activation.toLowerCase();
  const decisions = file.decisions;
  const labels = normaliseLabels(file.training.labels ?? { source: 'zigzag' });
  return {
    name: file.name,
    version: file.version,
    training_data: file.training_data,
    context_data: file.context_data ?? [],
    indicators: file.indicators,
    fuzzy_sets: file.fuzzy_sets,
    nn_inputs: file.nn_inputs.map((input) => ({
      fuzzy_set: typeof input.fuzzy_set === 'string' && input.fuzzy_set !== '' ? input.fuzzy_set : null,
      raw_indicator: typeof input.raw_indicator === 'string' && input.raw_indicator !== '' ? input.raw_indicator : null,
      timeframes: Array.isArray(input.timeframes) ? input.timeframes : [...available],
      normalization: input.normalization ?? null,
    })),
    model: {
      type: file.model.type,
      architecture: {
        hidden_layers: architecture.hidden_layers ?? [],
        // The original turns an unknown activation into relu; the loader warns.
        activation: ((ACTIVATIONS as readonly string[]).includes(activation) ? activation : 'relu') as (typeof ACTIVATIONS)[number],
        dropout: architecture.dropout,
        output_activation: architecture.output_activation ?? null,
        sequence_length: architecture.sequence_length ?? null,
        hidden_size: architecture.hidden_size ?? 64,
        num_layers: architecture.num_layers ?? 2,
      },
      features: {
        lookback_periods: features.lookback_periods,
        include_price_context: features.include_price_context ?? false,
        scale_features: features.scale_features ?? false,
      },
    },
    decisions: {
      output_format: decisions.output_format,
      confidence_threshold: decisions.confidence_threshold,
      position_awareness: decisions.position_awareness,
      allow_short_from_flat: decisions.allow_short_from_flat,
      min_signal_separation: decisions.filters?.min_signal_separation ?? 4,
      round_trip_cost: decisions.cost_model?.round_trip_cost ?? 0.003,
      min_edge_multiplier: decisions.cost_model?.min_edge_multiplier ?? 1.5,
    },
    training: {
      ...effectiveHyperparameters(file.training, file.model.training),
      loss: file.training.loss ?? (decisions.output_format === 'regression' ? 'huber' : 'cross_entropy'),
      focal_gamma: file.training.focal_gamma,
      huber_delta: file.training.huber_delta,
      lr_scheduler: file.training.lr_scheduler ?? null,
      gradient_clip: file.training.gradient_clip ?? null,
      weight_decay: file.training.weight_decay ?? null,
      momentum: file.training.momentum ?? null,
      class_weights: file.training.class_weights ?? null,
      labels,
      data_split: { train: file.training.data_split.train, validation: file.training.data_split.validation, test: file.training.data_split.test },
    },
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
export type NnInputSpec = Strategy['nn_inputs'][number];
