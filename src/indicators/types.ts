/**
 * What every indicator looks like to the rest of ktrdr (strategy validation,
 * feature building): a zod schema of its parameters, the names of its
 * outputs, its warm-up length and a pure `compute` over a BarSeries.
 *
 * `warmup` and `compute` take the raw parameters as written in a strategy file
 * and parse them through `params` themselves (aliases renamed, defaults
 * applied, rules checked), so no caller can compute with unchecked values; a
 * bad value throws IndicatorParamsError naming the parameter.
 */
import type { z } from 'zod';
import { createError } from '../common/errors.js';
import type { BarSeries } from '../market-data/types.js';
import type { IndicatorParamsSchema, ParameterDoc } from './params.js';

/** The key of the only output of a single-output indicator. */
export const SINGLE_OUTPUT = 'value';

export type RawIndicatorParams = Readonly<Record<string, unknown>>;

export type IndicatorFamily = 'momentum' | 'volatility' | 'trend' | 'volume' | 'other';

export interface IndicatorDefinition {
  /** The canonical type name (lower case). */
  readonly type: string;
  /** Every other name the type answers to, lower case (the type lookup ignores case). */
  readonly aliases: readonly string[];
  readonly family: IndicatorFamily;
  /**
   * The parameters a strategy file may set: parameter aliases are renamed,
   * unknown keys are an error naming the allowed ones, defaults are applied.
   */
  readonly params: z.ZodType<Record<string, unknown>, unknown>;
  /** The same parameters under their canonical names only, for JSON Schema. */
  readonly paramFields: z.ZodObject;
  readonly paramDocs: readonly ParameterDoc[];
  /** Parameter alias -> canonical parameter name (e.g. macd's fast -> fast_period). */
  readonly paramAliases: Readonly<Record<string, string>>;
  /** Output names; [] means a single output, returned under the key 'value'. */
  readonly outputs: readonly string[];
  /** The output a bare reference to the indicator's id means: the first output, or 'value'. */
  readonly primaryOutput: string;
  /**
   * The first index from which every output is defined on ordinary bars (the
   * original's leading NaNs). Outputs keep their own warm-ups, so some start
   * earlier; data can still produce a NaN later where the original does (a
   * zero range in cci, zero volume in vwap, zigzag between its pivots).
   */
  warmup(params: RawIndicatorParams): number;
  /** The fewest bars the original computes this indicator on (it fails the run below that). */
  minBars(params: RawIndicatorParams): number;
  /** One Float64Array per output, each as long as the series. */
  compute(bars: BarSeries, params: RawIndicatorParams): Record<string, Float64Array>;
}

export interface ParamIssue {
  /** The parameter, e.g. 'period' ('' when the issue is about the whole mapping, e.g. unknown keys). */
  readonly path: string;
  readonly message: string;
}

export class IndicatorParamsError extends createError('IndicatorParamsError', {
  code: 'VALIDATION_ERROR',
  message: (indicator: string, issues: readonly ParamIssue[]) => `${indicator}: ${issues.map((issue) => issue.message).join('; ')}`,
  fields: (indicator, issues) => ({ indicator, issues }),
  details: (_indicator, issues) => ({ issues }),
}) {}

/**
 * Builds an IndicatorDefinition from typed parts: `warmup`, `minBars` and
 * `compute` see parsed parameters, callers pass raw ones.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function defineIndicator<P extends IndicatorParamsSchema<any>>(spec: {
  type: string;
  aliases: readonly string[];
  family: IndicatorFamily;
  params: P;
  outputs: readonly string[];
  warmup(params: z.output<P['schema']>): number;
  minBars(params: z.output<P['schema']>): number;
  compute(bars: BarSeries, params: z.output<P['schema']>): Record<string, Float64Array>;
}): IndicatorDefinition {
  type Parsed = z.output<P['schema']>;
  const parse = (raw: RawIndicatorParams): Parsed => {
    const result = spec.params.schema.safeParse(raw);
    if (result.success) return result.data as Parsed;
    throw new IndicatorParamsError(
      spec.type,
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  };
  return {
    type: spec.type,
    aliases: spec.aliases,
    family: spec.family,
    params: spec.params.schema as z.ZodType<Record<string, unknown>, unknown>,
    paramFields: spec.params.fields as z.ZodObject,
    paramDocs: spec.params.docs,
    paramAliases: spec.params.aliases,
    outputs: spec.outputs,
    primaryOutput: spec.outputs[0] ?? SINGLE_OUTPUT,
    warmup: (raw) => spec.warmup(parse(raw)),
    minBars: (raw) => spec.minBars(parse(raw)),
    compute: (bars, raw) => spec.compute(bars, parse(raw)),
  };
}

/** NaN for the first `count` entries. */
export function fillWarmup(out: Float64Array, count: number): Float64Array {
  out.fill(Number.NaN, 0, Math.min(count, out.length));
  return out;
}
