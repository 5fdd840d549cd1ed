/**
 * What every indicator looks like to the rest of ktrdr (strategy validation,
 * feature building): a zod schema of its parameters, the names of its
 * outputs, its warm-up length and a pure `compute` over a BarSeries.
 *
 * `warmup` and `compute` take the raw parameters as written in a strategy file
 * and parse them through `params` themselves (defaults applied, rules checked),
 * so no caller can compute with unchecked values; a bad value throws
 * IndicatorParamsError naming the parameter.
 */
import type { z } from 'zod';
import { KtrdrError } from '../common/errors.js';
import type { BarSeries } from '../market-data/types.js';

/** The key of the only output of a single-output indicator. */
export const SINGLE_OUTPUT = 'value';

export type RawIndicatorParams = Readonly<Record<string, unknown>>;

export interface IndicatorDefinition {
  readonly type: string;
  /** The parameters a strategy file may set, with their defaults. Unknown keys are stripped. */
  readonly params: z.ZodObject;
  /** Output names; [] means a single output, returned under the key 'value'. */
  readonly outputs: readonly string[];
  /**
   * Exactly how many leading NaNs every output has: the first index at which
   * all outputs are defined. Outputs of one indicator share that index (an
   * output that could start earlier is kept NaN until the slowest is ready), so
   * one number describes the whole indicator.
   */
  warmup(params: RawIndicatorParams): number;
  /** One Float64Array per output, each as long as the series. */
  compute(bars: BarSeries, params: RawIndicatorParams): Record<string, Float64Array>;
}

export interface ParamIssue {
  /** The parameter, e.g. 'period' ('' when the rule involves several, e.g. fast_period < slow_period). */
  readonly path: string;
  readonly message: string;
}

export class IndicatorParamsError extends KtrdrError {
  constructor(
    readonly indicator: string,
    readonly issues: readonly ParamIssue[],
  ) {
    super('VALIDATION_ERROR', `${indicator}: ${issues.map((issue) => issue.message).join('; ')}`, { issues });
    this.name = 'IndicatorParamsError';
  }
}

/**
 * Builds an IndicatorDefinition from typed parts: `warmup` and `compute` see
 * parsed parameters of the schema's output type, callers pass raw ones.
 */
export function defineIndicator<S extends z.ZodObject>(spec: {
  type: string;
  params: S;
  outputs: readonly string[];
  warmup(params: z.output<S>): number;
  compute(bars: BarSeries, params: z.output<S>): Record<string, Float64Array>;
}): IndicatorDefinition {
  const parse = (raw: RawIndicatorParams): z.output<S> => {
    const result = spec.params.safeParse(raw);
    if (result.success) return result.data;
    throw new IndicatorParamsError(
      spec.type,
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  };
  return {
    type: spec.type,
    params: spec.params,
    outputs: spec.outputs,
    warmup: (raw) => spec.warmup(parse(raw)),
    compute: (bars, raw) => spec.compute(bars, parse(raw)),
  };
}

/** NaN for the first `count` entries; the indicators' shared warm-up masking. */
export function fillWarmup(out: Float64Array, count: number): Float64Array {
  out.fill(Number.NaN, 0, Math.min(count, out.length));
  return out;
}
