/**
 * Parameter schemas shared by the indicators. They follow the earlier ktrdr's
 * per-indicator rules (bounds, defaults, strictness) and their messages name the
 * parameter, the value and the rule ("period must be an integer in [2..100] (got 1)").
 *
 * Strictness as the original's pydantic fields: a strict integer is a number
 * with no fraction (JavaScript cannot tell YAML's `14.0` from `14`, so both are
 * 14), never a string or a boolean; a strict float or boolean is a number or a
 * boolean; a lax float also takes a numeric string ("2.5"); a lax boolean also
 * takes pydantic's words (yes/no, on/off, 1/0, ...).
 */
import { z } from 'zod';
import type { BarSeries } from '../market-data/types.js';

export const SOURCES = ['open', 'high', 'low', 'close', 'volume'] as const;
export type Source = (typeof SOURCES)[number];

const show = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value));

/** How a parameter is described in the docs (`strategy docs`, docs/indicators.md). */
export interface ParameterDoc {
  readonly name: string;
  readonly kind: 'integer' | 'number' | 'boolean' | 'source' | 'choice';
  readonly default: unknown;
  /** The accepted values, e.g. "[2..100]", "(0..10]", "SMA, EMA". */
  readonly rule: string;
  readonly strict: boolean;
}

interface Param<S extends z.ZodType> {
  readonly schema: S;
  readonly doc: ParameterDoc;
}

/** A strict integer in [min..max] (max omitted: no upper bound). */
export function intParam(name: string, fallback: number, min: number, max?: number): Param<z.ZodDefault<z.ZodInt>> {
  const rule = max === undefined ? `>= ${min}` : `in [${min}..${max}]`;
  const invalid = (input: unknown) => `${name} must be an integer ${rule} (got ${show(input)})`;
  let schema = z.int({ error: (issue) => invalid(issue.input) }).min(min, { error: (issue) => invalid(issue.input) });
  if (max !== undefined) schema = schema.max(max, { error: (issue) => invalid(issue.input) });
  return { schema: schema.default(fallback), doc: { name, kind: 'integer', default: fallback, rule: max === undefined ? `>= ${min}` : `[${min}..${max}]`, strict: true } };
}

export interface NumberBounds {
  /** Exclusive lower bound. */
  readonly above?: number;
  /** Inclusive lower bound. */
  readonly atLeast?: number;
  /** Inclusive upper bound. */
  readonly atMost?: number;
  /** Exclusive upper bound. */
  readonly below?: number;
}

const numericString = (value: unknown): unknown => {
  if (typeof value !== 'string' || value.trim() === '') return value;
  const number = Number(value);
  return Number.isFinite(number) ? number : value;
};

/** A float within bounds; `strict` refuses numeric strings. */
export function numberParam(name: string, fallback: number, bounds: NumberBounds, strict: boolean): Param<z.ZodType<number, unknown>> {
  const low = bounds.above !== undefined ? `(${bounds.above}` : bounds.atLeast !== undefined ? `[${bounds.atLeast}` : '(-inf';
  const high = bounds.below !== undefined ? `${bounds.below})` : bounds.atMost !== undefined ? `${bounds.atMost}]` : 'inf)';
  const rule = `${low}..${high}`;
  const invalid = (input: unknown) => `${name} must be a number in ${rule} (got ${show(input)})`;
  let number = z.number({ error: (issue) => invalid(issue.input) });
  const check = { error: (issue: { input?: unknown }) => invalid(issue.input) };
  if (bounds.above !== undefined) number = number.gt(bounds.above, check);
  if (bounds.atLeast !== undefined) number = number.gte(bounds.atLeast, check);
  if (bounds.atMost !== undefined) number = number.lte(bounds.atMost, check);
  if (bounds.below !== undefined) number = number.lt(bounds.below, check);
  const schema = (strict ? number : z.preprocess(numericString, number)).default(fallback) as unknown as z.ZodType<number, unknown>;
  return { schema, doc: { name, kind: 'number', default: fallback, rule, strict } };
}

const LAX_TRUE = new Set(['true', 'yes', 'on', '1', 't', 'y']);
const LAX_FALSE = new Set(['false', 'no', 'off', '0', 'f', 'n']);

const laxBoolean = (value: unknown): unknown => {
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  return LAX_TRUE.has(word) ? true : LAX_FALSE.has(word) ? false : value;
};

/** A boolean; `strict` accepts only true/false. */
export function booleanParam(name: string, fallback: boolean, strict: boolean): Param<z.ZodType<boolean, unknown>> {
  const boolean = z.boolean({ error: (issue) => `${name} must be true or false (got ${show(issue.input)})` });
  const schema = (strict ? boolean : z.preprocess(laxBoolean, boolean)).default(fallback) as unknown as z.ZodType<boolean, unknown>;
  return { schema, doc: { name, kind: 'boolean', default: fallback, rule: 'true, false', strict } };
}

/** One of a fixed list of strings, exactly as written (e.g. distancefromma's `ma_type: SMA|EMA`). */
export function choiceParam<const T extends readonly [string, ...string[]]>(name: string, choices: T, fallback: T[number]) {
  const schema = z
    .enum(choices, { error: (issue) => `${name} must be one of ${choices.join(', ')} (got ${show(issue.input)})` })
    .default(fallback as never);
  return { schema, doc: { name, kind: 'choice', default: fallback, rule: choices.join(', '), strict: true } as ParameterDoc };
}

/** Which column of the bars a single-series indicator reads. */
export function sourceParam() {
  const schema = z
    .enum(SOURCES, { error: (issue) => `source must be one of ${SOURCES.join(', ')} (got ${show(issue.input)})` })
    .default('close');
  return { schema, doc: { name: 'source', kind: 'source', default: 'close', rule: SOURCES.join(', '), strict: true } as ParameterDoc };
}

export function sourceColumn(bars: BarSeries, source: Source): Float64Array {
  return bars[source];
}

type ParamSpecs = Record<string, Param<z.ZodType>>;
type ShapeOf<P extends ParamSpecs> = { [K in keyof P]: P[K]['schema'] };

export interface IndicatorParamsSchema<P extends ParamSpecs> {
  /** Parses a strategy file's parameters: aliases renamed, unknown keys refused, defaults applied. */
  readonly schema: z.ZodType<z.output<z.ZodObject<ShapeOf<P>>>, unknown>;
  /** The parameters under their canonical names (JSON Schema, docs). */
  readonly fields: z.ZodObject<ShapeOf<P>>;
  readonly docs: readonly ParameterDoc[];
  /** alias -> canonical parameter name. */
  readonly aliases: Readonly<Record<string, string>>;
}

/**
 * The parameters of indicator `type`. Unknown keys are an error naming the
 * allowed ones (the original dropped them silently, which hid typos); an alias
 * (MACD's `fast` for `fast_period`) is renamed before validation, and giving
 * both spellings is an error.
 */
export function indicatorParams<P extends ParamSpecs>(
  type: string,
  params: P,
  aliases: Readonly<Record<string, keyof P & string>> = {},
): IndicatorParamsSchema<P> {
  const shape = Object.fromEntries(Object.entries(params).map(([name, param]) => [name, param.schema])) as ShapeOf<P>;
  const allowed = [...Object.keys(params), ...Object.keys(aliases)];
  const allowedText = allowed.length === 0 ? `${type} takes no parameters` : `allowed: ${allowed.join(', ')}`;
  const fields = z.strictObject(shape);
  // One issue per unknown key, at that key (so a strategy file's error points at its line), even when other
  // parameters are invalid too (`when`).
  const checked = z
    .object(shape)
    .catchall(z.unknown())
    .superRefine(
      (given, ctx) => {
        for (const key of Object.keys(given)) {
          if (!Object.hasOwn(shape, key)) ctx.addIssue({ code: 'custom', path: [key], input: given[key], message: `unknown parameter '${key}' for ${type} (${allowedText})` });
        }
      },
      { when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) },
    );
  const renameAliases = (raw: unknown, ctx: z.core.$RefinementCtx): unknown => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.keys(aliases).length === 0) return raw;
    const renamed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      const canonical = Object.hasOwn(aliases, key) ? aliases[key]! : key;
      if (canonical !== key && Object.hasOwn(raw, canonical)) {
        ctx.addIssue({ code: 'custom', path: [key], input: value, message: `${key} is another name for ${canonical}; give only one of them` });
        continue;
      }
      renamed[canonical] = value;
    }
    return renamed;
  };
  return {
    schema: z.preprocess(renameAliases, checked) as unknown as IndicatorParamsSchema<P>['schema'],
    fields,
    docs: Object.values(params).map((param) => param.doc),
    aliases,
  };
}
