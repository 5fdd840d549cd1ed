/**
 * Features of a strategy (STRATEGY-V3 §5): per timeframe, indicators on that
 * timeframe's own bars → fuzzy memberships or raw values → laid onto the base
 * timeframe's bars with the completed-bar rule (alignment.ts) → lags →
 * normalisation fitted on the training split.
 *
 * Columns, in the model's order (§5.2): for each `nn_inputs` entry, for each of
 * its timeframes, `<tf>_<fuzzy set>_<membership>` per membership (fuzzy input)
 * or `<tf>_<raw_indicator>_raw` (raw input, the reference written as in the
 * file, dot included); each followed by its lags `<name>[t-1]` …
 * `<name>[t-lookback_periods]` (`model.features.lookback_periods`, which the
 * original ignores on its v3 path); then, with
 * `model.features.include_price_context`, `<base>_price_return` and
 * `<base>_price_range` (and their lags).
 *
 * Row t reads base bars 0..t and only the other timeframes' bars that closed by
 * t's close: indicators are causal, lags only look back, alignment shows closed
 * bars only, so changing anything after t's close never changes row t.
 *
 * `featureSpec` is the JSON a model artifact stores so that a backtest rebuilds
 * exactly the same columns in the same order, with the same normalisation
 * statistics; `buildFeatures(strategy, inputs)` is
 * `buildFeaturesFromSpec(featureSpec(strategy), inputs)`, so the two cannot diverge.
 */
import { z } from 'zod';
import { FuzzySetDefinition, membershipSeries, type MembershipFunction } from '../fuzzy/membership.js';
import { findIndicator, INDICATORS } from '../indicators/registry.js';
import { type BarSeries, Timeframe, TIMEFRAME_MS } from '../market-data/types.js';
import { completedBarIndex, gatherAligned } from './alignment.js';
import { alignContextFrame, ContextSource, resolveContextSources, type ContextFrame } from './context.js';
import { applyNormalizer, fitNormalizer, NORMALIZATION_METHODS, Normalizer, type NormalizationMethod } from './normalization.js';
import { resolveIndicatorReference, type Strategy } from './schema.js';
import { createError } from '../common/errors.js';

export interface FeatureMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly names: string[];
  /** Row-major: the value of column c at bar t is `data[t * cols + c]`; NaN while an input is still warming up. */
  readonly data: Float64Array;
  /** The first row whose every column is defined (`rows` when there is none). */
  readonly firstValidRow: number;
}

/**
 * The bars a strategy's features read: the base timeframe's (one row per bar)
 * and every other timeframe's, by name. A single `BarSeries` is accepted where
 * the features read one timeframe only.
 */
export interface MarketInputs {
  readonly base: BarSeries;
  readonly timeframes: ReadonlyMap<string, BarSeries>;
  /** The context series the indicators with a `data_source` read, by source id (context.ts). */
  readonly context?: ReadonlyMap<string, ContextFrame>;
}

export const FEATURE_SPEC_FORMAT = 'ktrdr.features/2';
const FEATURE_SPEC_FORMAT_V1 = 'ktrdr.features/1';

const Memberships = z.array(z.strictObject({ name: z.string(), function: FuzzySetDefinition }));

const FeatureInput = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('fuzzy'),
    fuzzy_set: z.string(),
    indicator: z.string(),
    output: z.string(),
    memberships: Memberships,
    timeframes: z.array(Timeframe).min(1),
  }),
  z.strictObject({
    kind: z.literal('raw'),
    /** As written in the file (`macd_12_26_9.signal`): it names the column. */
    raw_indicator: z.string(),
    indicator: z.string(),
    output: z.string(),
    timeframes: z.array(Timeframe).min(1),
    normalization: z.enum(NORMALIZATION_METHODS).nullable(),
  }),
]);
type FeatureInput = z.output<typeof FeatureInput>;

export const FeatureSpecSchema = z.strictObject({
  format: z.literal(FEATURE_SPEC_FORMAT),
  /** The timeframe rows are bars of (decisions are taken on it). */
  base_timeframe: Timeframe,
  /** Every timeframe read, the base first. */
  timeframes: z.array(Timeframe).min(1),
  lookback_periods: z.int().min(0),
  include_price_context: z.boolean(),
  /** Every column without an explicit normalization is z-scored (fitted on the training split). */
  scale_features: z.boolean(),
  /** Only the indicators the inputs read, in the strategy's order. */
  indicators: z.array(
    z.strictObject({
      id: z.string(),
      type: z.string(),
      params: z.record(z.string(), z.unknown()),
      /** The context source id it is computed on (§2.7), null for the instrument's own bars. */
      data_source: z.string().nullable().default(null),
    }),
  ),
  /** The context sources the indicators read (what to load for a backtest). */
  context: z.array(ContextSource).default([]),
  inputs: z.array(FeatureInput),
  /** The column names, to check that a rebuild yields the columns the model was trained on. */
  columns: z.array(z.string()),
  /** One per column, fitted on the training split; null before fitting (or when no column is normalised). */
  normalizers: z.array(Normalizer).nullable(),
});
export type FeatureSpec = z.output<typeof FeatureSpecSchema>;

export class FeatureSpecError extends createError('FeatureSpecError') {}

export const PRICE_CONTEXT = ['price_return', 'price_range'] as const;

const lagged = (name: string, lag: number) => (lag === 0 ? name : `${name}[t-${lag}]`);

/** One entry per column before lags: its name, the method it is normalised with. */
interface BaseColumn {
  readonly name: string;
  readonly method: NormalizationMethod;
}

function baseColumns(spec: Pick<FeatureSpec, 'inputs' | 'include_price_context' | 'scale_features' | 'base_timeframe'>): BaseColumn[] {
  const scaled: NormalizationMethod = spec.scale_features ? 'zscore' : 'none';
  const columns: BaseColumn[] = [];
  for (const input of spec.inputs) {
    for (const tf of input.timeframes) {
      if (input.kind === 'fuzzy') {
        for (const membership of input.memberships) columns.push({ name: `${tf}_${input.fuzzy_set}_${membership.name}`, method: scaled });
      } else {
        columns.push({ name: `${tf}_${input.raw_indicator}_raw`, method: input.normalization ?? scaled });
      }
    }
  }
  if (spec.include_price_context) for (const name of PRICE_CONTEXT) columns.push({ name: `${spec.base_timeframe}_${name}`, method: scaled });
  return columns;
}

function expandLags<T extends { name: string }>(columns: readonly T[], lookback: number): { column: T; lag: number; name: string }[] {
  return columns.flatMap((column) => Array.from({ length: lookback + 1 }, (_, lag) => ({ column, lag, name: lagged(column.name, lag) })));
}

function columnNames(spec: Parameters<typeof baseColumns>[0] & { lookback_periods: number }): string[] {
  return expandLags(baseColumns(spec), spec.lookback_periods).map((entry) => entry.name);
}

function timeframeOf(name: string, where: string): Timeframe {
  const parsed = Timeframe.safeParse(name);
  if (!parsed.success) throw new FeatureSpecError(`${where}: timeframe '${name}' has no data files here (${Timeframe.options.join(', ')})`);
  return parsed.data;
}

/** What a validated strategy's features are made of, as plain JSON (not yet fitted: `normalizers` is null). */
export function featureSpec(strategy: Strategy): FeatureSpec {
  const types = Object.fromEntries(Object.entries(strategy.indicators).map(([id, indicator]) => [id, indicator.type]));
  const base = timeframeOf(strategy.training_data.timeframes.base_timeframe, 'training_data.timeframes');
  const reference = (text: string, where: string) => {
    const resolved = resolveIndicatorReference(text, types);
    if (!resolved.ok) throw new FeatureSpecError(`${where}: ${resolved.problem ?? `invalid indicator '${text}'`}`);
    return resolved;
  };
  const inputs: FeatureInput[] = strategy.nn_inputs.map((input, index) => {
    const where = `nn_inputs[${index}]`;
    const timeframes = input.timeframes.map((tf) => timeframeOf(tf, where));
    if (input.fuzzy_set !== null) {
      const fuzzySet = strategy.fuzzy_sets[input.fuzzy_set];
      if (!fuzzySet) throw new FeatureSpecError(`${where} names unknown fuzzy set '${input.fuzzy_set}'`);
      const resolved = reference(fuzzySet.indicator, `fuzzy set '${input.fuzzy_set}'`);
      return {
        kind: 'fuzzy',
        fuzzy_set: input.fuzzy_set,
        indicator: resolved.id,
        output: resolved.output,
        memberships: Object.entries(fuzzySet.sets).map(([name, fn]) => ({ name, function: fn as MembershipFunction })),
        timeframes,
      };
    }
    const raw = input.raw_indicator as string;
    const resolved = reference(raw, where);
    return { kind: 'raw', raw_indicator: raw, indicator: resolved.id, output: resolved.output, timeframes, normalization: input.normalization };
  });
  const used = new Set(inputs.map((input) => input.indicator));
  const indicators = Object.entries(strategy.indicators)
    .filter(([id]) => used.has(id))
    .map(([id, indicator]) => ({ id, type: indicator.type, params: { ...indicator.params }, data_source: indicator.data_source }));
  const sources = resolveContextSources(strategy.context_data);
  const context = [...new Set(indicators.flatMap((indicator) => (indicator.data_source === null ? [] : [indicator.data_source])))].map((id) => {
    const source = sources.get(id);
    if (!source) throw new FeatureSpecError(`indicator data_source '${id}' names no context_data series (known: ${[...sources.keys()].join(', ') || 'none'})`);
    return source;
  });
  const read = new Set<Timeframe>([base, ...inputs.flatMap((input) => input.timeframes)]);
  const { lookback_periods: lookback, include_price_context: includePriceContext, scale_features: scaleFeatures } = strategy.model.features;
  const partial = { base_timeframe: base, inputs, include_price_context: includePriceContext, scale_features: scaleFeatures, lookback_periods: lookback };
  return {
    format: FEATURE_SPEC_FORMAT,
    ...partial,
    timeframes: [...read],
    indicators,
    context,
    columns: columnNames(partial),
    normalizers: null,
  };
}

/** A stored `ktrdr.features/1` spec (single timeframe, fuzzy inputs, `set.m[t]` names) in today's form: same columns, same order. */
function upgradeV1(json: Record<string, unknown>): unknown {
  const timeframe = json.timeframe;
  const inputs = Array.isArray(json.inputs) ? json.inputs : [];
  const upgraded = {
    format: FEATURE_SPEC_FORMAT,
    base_timeframe: timeframe,
    timeframes: [timeframe],
    lookback_periods: json.lookback_periods,
    include_price_context: false,
    scale_features: false,
    indicators: Array.isArray(json.indicators) ? json.indicators.map((indicator: Record<string, unknown>) => ({ data_source: null, ...indicator })) : json.indicators,
    context: [],
    inputs: inputs.map((input: Record<string, unknown>) => ({ kind: 'fuzzy', ...input, timeframes: [timeframe] })),
    columns: [] as string[],
    normalizers: null,
  };
  const parsed = FeatureSpecSchema.safeParse(upgraded);
  if (parsed.success) upgraded.columns = columnNames(parsed.data);
  return upgraded;
}

/** Parses a stored spec (e.g. from a model artifact), checking it against the indicators this build knows. */
export function parseFeatureSpec(json: unknown): FeatureSpec {
  const isV1 = typeof json === 'object' && json !== null && (json as { format?: unknown }).format === FEATURE_SPEC_FORMAT_V1;
  const result = FeatureSpecSchema.safeParse(isV1 ? upgradeV1(json as Record<string, unknown>) : json);
  if (!result.success) {
    throw new FeatureSpecError(`invalid feature specification: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  if (result.data.normalizers !== null && result.data.normalizers.length !== result.data.columns.length) {
    throw new FeatureSpecError(`invalid feature specification: ${result.data.normalizers.length} normalizers for ${result.data.columns.length} columns`);
  }
  return result.data;
}

function indicatorDefinition(type: string) {
  const definition = findIndicator(type);
  if (!definition) throw new FeatureSpecError(`unknown indicator type '${type}' (known: ${Object.keys(INDICATORS).sort().join(', ')})`);
  return definition;
}

/**
 * Base bars before the first row that can be fully defined: the slowest
 * indicator's warm-up, counted in base bars (a 1d indicator warming up over 14
 * days is 14 × 24 hourly bars), plus the lags.
 */
export function warmupBars(spec: FeatureSpec): number {
  const baseMs = TIMEFRAME_MS[spec.base_timeframe];
  const types = new Map(spec.indicators.map((indicator) => [indicator.id, indicator]));
  let warmup = 0;
  for (const input of spec.inputs) {
    const indicator = types.get(input.indicator);
    if (!indicator) continue;
    const bars = indicatorDefinition(indicator.type).warmup(indicator.params);
    // On a context series the warm-up is counted on its frame aligned onto the base bars.
    if (indicator.data_source !== null) {
      warmup = Math.max(warmup, bars);
      continue;
    }
    for (const tf of input.timeframes) {
      const ms = TIMEFRAME_MS[tf];
      // A bar of tf is visible once closed: its warm-up ends (bars + 1) tf bars in, minus the base bar itself.
      warmup = Math.max(warmup, ms <= baseMs ? bars : Math.ceil(((bars + 1) * ms) / baseMs) - 1);
    }
  }
  if (spec.include_price_context) warmup = Math.max(warmup, 1);
  return warmup + spec.lookback_periods;
}

export function buildFeatures(strategy: Strategy, market: MarketInputs | BarSeries): FeatureMatrix {
  return buildFeaturesFromSpec(featureSpec(strategy), market);
}

/** A single series stands for the base timeframe (whatever its own timeframe: a single-timeframe model may run on other bars). */
export function asMarketInputs(spec: Pick<FeatureSpec, 'timeframes' | 'base_timeframe'>, market: MarketInputs | BarSeries): MarketInputs {
  if ('base' in market) return market;
  const others = spec.timeframes.filter((tf) => tf !== spec.base_timeframe);
  if (others.length > 0) throw new FeatureSpecError(`the features read ${spec.timeframes.join(', ')}: bars of ${others.join(', ')} are needed besides the base timeframe's`);
  return { base: market, timeframes: new Map([[spec.base_timeframe, market]]) };
}

const seriesKey = (indicator: string, output: string) => `${indicator}\u0000${output}`;

/**
 * The indicator outputs a set of inputs read, each laid onto the base bars:
 * per timeframe, every indicator computed once on that timeframe's own bars.
 */
export class AlignedSeries {
  private readonly cache = new Map<string, Float64Array>();
  private readonly outputs = new Map<string, Record<string, Float64Array>>();
  private readonly alignment = new Map<string, Int32Array | null>();
  private readonly contextOutputs = new Map<string, Record<string, Float64Array>>();

  constructor(
    private readonly market: MarketInputs,
    private readonly baseTimeframe: Timeframe,
    private readonly indicators: ReadonlyMap<string, { type: string; params: Record<string, unknown>; data_source?: string | null }>,
  ) {}

  /**
   * Every output of an indicator with a `data_source`, already on the base
   * bars: computed on the context frame aligned onto them (the same for every
   * timeframe that requests it, §2.7), NaN before the first visible observation.
   */
  private contextIndicator(indicator: string, source: string, type: string, params: Record<string, unknown>): Record<string, Float64Array> {
    let outputs = this.contextOutputs.get(indicator);
    if (!outputs) {
      const frame = this.market.context?.get(source);
      if (!frame) throw new FeatureSpecError(`indicator '${indicator}' reads context source '${source}', which was not loaded`);
      const base = this.market.base.time;
      const { offset, bars } = alignContextFrame(frame, base, TIMEFRAME_MS[this.baseTimeframe]);
      const own = indicatorDefinition(type).compute(bars, params);
      outputs = {};
      for (const [output, values] of Object.entries(own)) {
        const full = new Float64Array(base.length).fill(Number.NaN);
        full.set(values, offset);
        outputs[output] = full;
      }
      this.contextOutputs.set(indicator, outputs);
    }
    return outputs;
  }

  /** The bars of `tf`, or an error naming what is missing. */
  bars(tf: Timeframe): BarSeries {
    const bars = tf === this.baseTimeframe ? this.market.base : this.market.timeframes.get(tf);
    if (!bars) throw new FeatureSpecError(`no ${tf} bars were loaded (the features read ${tf})`);
    return bars;
  }

  /** Every output of `indicator` on `tf`'s own bars (not aligned). */
  raw(tf: Timeframe, indicator: string): Record<string, Float64Array> {
    const key = `${tf}\u0000${indicator}`;
    let outputs = this.outputs.get(key);
    if (!outputs) {
      const definition = this.indicators.get(indicator);
      if (!definition) throw new FeatureSpecError(`the feature specification reads indicator '${indicator}', which it does not define`);
      outputs = indicatorDefinition(definition.type).compute(this.bars(tf), definition.params);
      this.outputs.set(key, outputs);
    }
    return outputs;
  }

  /** Base-bar index → index of the visible bar of `tf` (null for the base timeframe itself). */
  index(tf: Timeframe): Int32Array | null {
    if (!this.alignment.has(tf)) {
      this.alignment.set(
        tf,
        tf === this.baseTimeframe ? null : completedBarIndex(this.market.base.time, TIMEFRAME_MS[this.baseTimeframe], this.bars(tf).time, TIMEFRAME_MS[tf]),
      );
    }
    return this.alignment.get(tf) as Int32Array | null;
  }

  /** `values` of `tf` (one per `tf` bar) laid onto the base bars. */
  align(tf: Timeframe, values: Float64Array): Float64Array {
    const index = this.index(tf);
    return index === null ? values : gatherAligned(values, index);
  }

  /** One output of an indicator on `tf`, laid onto the base bars. */
  series(tf: Timeframe, indicator: string, output: string): Float64Array {
    const key = `${tf}\u0000${seriesKey(indicator, output)}`;
    let values = this.cache.get(key);
    if (!values) {
      const definition = this.indicators.get(indicator);
      const source = definition?.data_source ?? null;
      const outputs = definition && source !== null ? this.contextIndicator(indicator, source, definition.type, definition.params) : this.raw(tf, indicator);
      const own = outputs[output];
      if (!own) throw new FeatureSpecError(`indicator '${indicator}' has no output '${output}' (outputs: ${Object.keys(outputs).join(', ')})`);
      values = source !== null ? own : this.align(tf, own);
      this.cache.set(key, values);
    }
    return values;
  }
}

function priceContext(bars: BarSeries, name: (typeof PRICE_CONTEXT)[number]): Float64Array {
  const n = bars.close.length;
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const close = bars.close[t] as number;
    if (name === 'price_return') out[t] = t === 0 ? Number.NaN : close / (bars.close[t - 1] as number) - 1;
    else out[t] = ((bars.high[t] as number) - (bars.low[t] as number)) / close;
  }
  return out;
}

/** Each column before lags, as a series over the base bars. */
function columnSeries(spec: FeatureSpec, aligned: AlignedSeries): Float64Array[] {
  const series: Float64Array[] = [];
  for (const input of spec.inputs) {
    for (const tf of input.timeframes) {
      const values = aligned.series(tf, input.indicator, input.output);
      if (input.kind === 'raw') series.push(values);
      else for (const membership of input.memberships) series.push(membershipSeries(membership.function, values));
    }
  }
  if (spec.include_price_context) for (const name of PRICE_CONTEXT) series.push(priceContext(aligned.bars(spec.base_timeframe), name));
  return series;
}

export function buildFeaturesFromSpec(spec: FeatureSpec, market: MarketInputs | BarSeries): FeatureMatrix {
  const inputs = asMarketInputs(spec, market);
  const names = columnNames(spec);
  if (names.length !== spec.columns.length || names.some((name, index) => name !== spec.columns[index])) {
    throw new FeatureSpecError(`the feature specification's columns (${spec.columns.length}) do not match its inputs (${names.length})`);
  }
  const rows = inputs.base.close.length;
  const cols = names.length;
  const aligned = new AlignedSeries(inputs, spec.base_timeframe, new Map(spec.indicators.map((indicator) => [indicator.id, indicator])));
  const series = columnSeries(spec, aligned);
  const lookback = spec.lookback_periods;

  const data = new Float64Array(rows * cols);
  // Row by row, so the row-major matrix is written sequentially (a column at a time strides over all of it).
  for (let t = 0, at = 0; t < rows; t++) {
    for (const values of series) {
      for (let lag = 0; lag <= lookback; lag++, at++) data[at] = t >= lag ? (values[t - lag] as number) : Number.NaN;
    }
  }
  applyNormalization(spec, data, cols);
  return { rows, cols, names, data, firstValidRow: firstDefinedRow(data, rows, cols) };
}

/** Whether any column of the spec is normalised (so training must fit statistics). */
export function needsNormalization(spec: FeatureSpec): boolean {
  return baseColumns(spec).some((column) => column.method !== 'none');
}

/**
 * Fits every column's normalisation on `rows` of the unnormalised row-major
 * `data` (`cols` columns: the training rows), applies it to `data` in place, and
 * returns the spec carrying the statistics (what the model artifact stores). A
 * spec with nothing to normalise is returned unchanged.
 */
export function fitNormalization(spec: FeatureSpec, data: Float64Array, cols: number, rows: readonly number[]): FeatureSpec {
  if (spec.normalizers !== null) throw new FeatureSpecError('the feature specification is already fitted');
  if (!needsNormalization(spec)) return spec;
  const methods = expandLags(baseColumns(spec), spec.lookback_periods).map((entry) => entry.column.method);
  const normalizers = methods.map((method, c) => fitNormalizer(method, data, cols, c, rows));
  const fitted = { ...spec, normalizers };
  applyNormalization(fitted, data, cols);
  return fitted;
}

/** Applies a fitted spec's statistics in place to row-major `data` (`cols` columns); nothing when it has none. */
export function applyNormalization(spec: FeatureSpec, data: Float64Array, cols: number): void {
  if (spec.normalizers === null) return;
  if (cols !== spec.normalizers.length) throw new FeatureSpecError(`${cols} columns to normalise with ${spec.normalizers.length} normalizers`);
  spec.normalizers.forEach((normalizer, c) => applyNormalizer(normalizer, data, cols, c));
}

function firstDefinedRow(data: Float64Array, rows: number, cols: number): number {
  for (let t = 0; t < rows; t++) {
    let defined = true;
    for (let c = 0; c < cols && defined; c++) defined = !Number.isNaN(data[t * cols + c] as number);
    if (defined) return t;
  }
  return rows;
}

