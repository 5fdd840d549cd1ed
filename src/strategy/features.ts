/**
 * Features of a strategy: indicators → fuzzy memberships → lags.
 *
 * One column per (nn_input fuzzy set, membership function, lag 0..lookback_periods),
 * in that nesting order, named `rsi_momentum.oversold[t]`, `rsi_momentum.oversold[t-1]`, ….
 * Row t reads bars 0..t only: indicators are causal and a lag only looks back, so
 * changing bars after t never changes row t.
 *
 * `featureSpec` is the JSON a model artifact stores so inference rebuilds exactly the
 * same columns in the same order; `buildFeatures(strategy, bars)` is
 * `buildFeaturesFromSpec(featureSpec(strategy), bars)`, so the two cannot diverge.
 */
import { z } from 'zod';
import { FuzzySetDefinition, membershipSeries, type MembershipFunction } from '../fuzzy/membership.js';
import { findIndicator, INDICATORS } from '../indicators/registry.js';
import { type BarSeries, Timeframe } from '../market-data/types.js';
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

export const FEATURE_SPEC_FORMAT = 'ktrdr.features/1';

export const FeatureSpecSchema = z.strictObject({
  format: z.literal(FEATURE_SPEC_FORMAT),
  /** The timeframe the strategy was written for (informative: the bars passed in are used as they are). */
  timeframe: Timeframe,
  lookback_periods: z.int().min(0),
  /** Only the indicators the inputs read, in the strategy's order. */
  indicators: z.array(z.strictObject({ id: z.string(), type: z.string(), params: z.record(z.string(), z.unknown()) })),
  inputs: z.array(
    z.strictObject({
      fuzzy_set: z.string(),
      indicator: z.string(),
      output: z.string(),
      memberships: z.array(z.strictObject({ name: z.string(), function: FuzzySetDefinition })),
    }),
  ),
  /** The column names, to check that a rebuild yields the columns the model was trained on. */
  columns: z.array(z.string()),
});
export type FeatureSpec = z.output<typeof FeatureSpecSchema>;

export class FeatureSpecError extends createError('FeatureSpecError') {}

export function columnName(fuzzySet: string, membership: string, lag: number): string {
  return `${fuzzySet}.${membership}[${lag === 0 ? 't' : `t-${lag}`}]`;
}

function columnNames(inputs: FeatureSpec['inputs'], lookback: number): string[] {
  const names: string[] = [];
  for (const input of inputs) {
    for (const membership of input.memberships) {
      for (let lag = 0; lag <= lookback; lag++) names.push(columnName(input.fuzzy_set, membership.name, lag));
    }
  }
  return names;
}

/** What a validated strategy's features are made of, as plain JSON. */
export function featureSpec(strategy: Strategy): FeatureSpec {
  const types = Object.fromEntries(Object.entries(strategy.indicators).map(([id, indicator]) => [id, indicator.type]));
  const timeframe = Timeframe.safeParse(strategy.training_data.timeframes.timeframe);
  if (!timeframe.success) throw new FeatureSpecError(`timeframe '${strategy.training_data.timeframes.timeframe}' has no data files here (${Timeframe.options.join(', ')})`);
  const inputs = strategy.nn_inputs.map((input) => {
    if (input.fuzzy_set === null) throw new FeatureSpecError(`raw_indicator inputs (${input.raw_indicator}) are not yet used by this ktrdr`);
    const fuzzySet = strategy.fuzzy_sets[input.fuzzy_set];
    if (!fuzzySet) throw new FeatureSpecError(`nn_inputs names unknown fuzzy set '${input.fuzzy_set}'`);
    const reference = resolveIndicatorReference(fuzzySet.indicator, types);
    if (!reference.ok) throw new FeatureSpecError(`fuzzy set '${input.fuzzy_set}': ${reference.problem ?? `invalid indicator '${fuzzySet.indicator}'`}`);
    return {
      fuzzy_set: input.fuzzy_set,
      indicator: reference.id,
      output: reference.output,
      memberships: Object.entries(fuzzySet.sets).map(([name, fn]) => ({ name, function: fn as MembershipFunction })),
    };
  });
  const used = new Set(inputs.map((input) => input.indicator));
  const indicators = Object.entries(strategy.indicators)
    .filter(([id]) => used.has(id))
    .map(([id, indicator]) => ({ id, type: indicator.type, params: { ...indicator.params } }));
  const lookback = strategy.model.features.lookback_periods;
  return {
    format: FEATURE_SPEC_FORMAT,
    timeframe: timeframe.data,
    lookback_periods: lookback,
    indicators,
    inputs,
    columns: columnNames(inputs, lookback),
  };
}

/** Parses a stored spec (e.g. from a model artifact), checking it against the indicators this build knows. */
export function parseFeatureSpec(json: unknown): FeatureSpec {
  const result = FeatureSpecSchema.safeParse(json);
  if (!result.success) {
    throw new FeatureSpecError(`invalid feature specification: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return result.data;
}

function indicatorDefinition(type: string) {
  const definition = findIndicator(type);
  if (!definition) throw new FeatureSpecError(`unknown indicator type '${type}' (known: ${Object.keys(INDICATORS).sort().join(', ')})`);
  return definition;
}

/** Bars before the first row that can be fully defined: the slowest indicator's warm-up plus the lags. */
export function warmupBars(spec: FeatureSpec): number {
  const warmups = spec.indicators.map((indicator) => indicatorDefinition(indicator.type).warmup(indicator.params));
  return Math.max(0, ...warmups) + spec.lookback_periods;
}

export function buildFeatures(strategy: Strategy, bars: BarSeries): FeatureMatrix {
  return buildFeaturesFromSpec(featureSpec(strategy), bars);
}

export function buildFeaturesFromSpec(spec: FeatureSpec, bars: BarSeries): FeatureMatrix {
  const rows = bars.close.length;
  const lookback = spec.lookback_periods;
  const names = columnNames(spec.inputs, lookback);
  if (names.length !== spec.columns.length || names.some((name, index) => name !== spec.columns[index])) {
    throw new FeatureSpecError(`the feature specification's columns (${spec.columns.length}) do not match its inputs (${names.length})`);
  }
  const cols = names.length;

  // Each indicator once, whatever the number of fuzzy sets reading it.
  const outputsById = new Map<string, Record<string, Float64Array>>();
  for (const indicator of spec.indicators) {
    outputsById.set(indicator.id, indicatorDefinition(indicator.type).compute(bars, indicator.params));
  }

  const data = new Float64Array(rows * cols);
  let column = 0;
  for (const input of spec.inputs) {
    const outputs = outputsById.get(input.indicator);
    if (!outputs) throw new FeatureSpecError(`fuzzy set '${input.fuzzy_set}' reads indicator '${input.indicator}', which the specification does not define`);
    const series = outputs[input.output];
    if (!series) throw new FeatureSpecError(`indicator '${input.indicator}' has no output '${input.output}' (outputs: ${Object.keys(outputs).join(', ')})`);
    for (const membership of input.memberships) {
      const degrees = membershipSeries(membership.function, series);
      for (let lag = 0; lag <= lookback; lag++, column++) {
        for (let t = 0; t < rows; t++) data[t * cols + column] = t >= lag ? (degrees[t - lag] as number) : Number.NaN;
      }
    }
  }
  return { rows, cols, names, data, firstValidRow: firstDefinedRow(data, rows, cols) };
}

function firstDefinedRow(data: Float64Array, rows: number, cols: number): number {
  for (let t = 0; t < rows; t++) {
    let defined = true;
    for (let c = 0; c < cols && defined; c++) defined = !Number.isNaN(data[t * cols + c] as number);
    if (defined) return t;
  }
  return rows;
}
