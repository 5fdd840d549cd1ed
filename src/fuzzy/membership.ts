/**
 * Fuzzy membership functions, one value (`triangular(x, ...)`) or a whole
 * series (`triangularSeries(values, ...)`), and the schema of a fuzzy set as a
 * strategy file writes it.
 *
 * Shapes (all memberships in [0, 1]; NaN in gives NaN out):
 * - triangular [a, b, c], a <= b <= c, a < c: 0 outside [a, c], rising
 *   linearly from a to 1 at b, falling linearly to c.
 * - trapezoidal [a, b, c, d], a <= b <= c <= d, a < d: 0 outside [a, d],
 *   rising from a to b, 1 on [b, c], falling from c to d.
 * - gaussian [mean, sigma], sigma > 0: exp(-(x - mean)^2 / (2 sigma^2)).
 * A vertical edge (a = b, or the last two points equal) is a shoulder: the set
 * is 1 at that point, e.g. [0, 0, 40] is 1 at 0 falling to 0 at 40 and
 * [60, 100, 100] rises from 60 to 1 at 100. Outside the listed support the
 * membership is 0, as in the earlier ktrdr, so a shoulder does not extend to
 * infinity; give it a wide bound when the indicator is unbounded. Edges are
 * tested with comparisons before any division, so a zero-width edge never
 * divides by zero.
 */
import { z } from 'zod';

/** The earlier ktrdr's guard against a zero-width edge (double epsilon). */
const EDGE_EPSILON = 2.220446049250313e-16;

export function triangular(x: number, a: number, b: number, c: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === b) return 1;
  if (x <= a || x >= c) return 0;
  if (x < b) return (x - a) / Math.max(b - a, EDGE_EPSILON);
  return (c - x) / Math.max(c - b, EDGE_EPSILON);
}

/** The outer test comes first, as in the earlier ktrdr: with a = b the value at a is 0. */
export function trapezoidal(x: number, a: number, b: number, c: number, d: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= a || x >= d) return 0;
  if (x < b) return (x - a) / Math.max(b - a, EDGE_EPSILON);
  if (x <= c) return 1;
  return (d - x) / Math.max(d - c, EDGE_EPSILON);
}

export function gaussian(x: number, mean: number, sigma: number): number {
  const z = (x - mean) / sigma;
  return Math.exp(-0.5 * z * z);
}

export function triangularSeries(values: Float64Array, a: number, b: number, c: number, out = new Float64Array(values.length)): Float64Array {
  for (let i = 0; i < values.length; i++) out[i] = triangular(values[i]!, a, b, c);
  return out;
}

export function trapezoidalSeries(
  values: Float64Array,
  a: number,
  b: number,
  c: number,
  d: number,
  out = new Float64Array(values.length),
): Float64Array {
  for (let i = 0; i < values.length; i++) out[i] = trapezoidal(values[i]!, a, b, c, d);
  return out;
}

export function gaussianSeries(values: Float64Array, mean: number, sigma: number, out = new Float64Array(values.length)): Float64Array {
  for (let i = 0; i < values.length; i++) out[i] = gaussian(values[i]!, mean, sigma);
  return out;
}

export const MEMBERSHIP_TYPES = ['triangular', 'trapezoidal', 'gaussian'] as const;
export type MembershipType = (typeof MEMBERSHIP_TYPES)[number];

/** A validated fuzzy set, always in the explicit form. */
export type MembershipFunction =
  | { readonly type: 'triangular'; readonly parameters: readonly [number, number, number] }
  | { readonly type: 'trapezoidal'; readonly parameters: readonly [number, number, number, number] }
  | { readonly type: 'gaussian'; readonly parameters: readonly [number, number] };

/** The membership of one value. */
export function membership(set: MembershipFunction, x: number): number {
  switch (set.type) {
    case 'triangular':
      return triangular(x, ...set.parameters);
    case 'trapezoidal':
      return trapezoidal(x, ...set.parameters);
    case 'gaussian':
      return gaussian(x, ...set.parameters);
  }
}

/** The membership of every value of a series. */
export function membershipSeries(set: MembershipFunction, values: Float64Array, out = new Float64Array(values.length)): Float64Array {
  switch (set.type) {
    case 'triangular':
      return triangularSeries(values, ...set.parameters, out);
    case 'trapezoidal':
      return trapezoidalSeries(values, ...set.parameters, out);
    case 'gaussian':
      return gaussianSeries(values, ...set.parameters, out);
  }
}

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);
const list = (values: readonly number[]): string => `[${values.join(', ')}]`;

const finite = z.number({ error: (issue) => `must be a finite number (got ${show(issue.input)})` });

const SHAPES: Record<MembershipType, { names: readonly string[]; check(p: readonly number[]): string | null }> = {
  triangular: {
    names: ['a', 'b', 'c'],
    check: ([a, b, c]) =>
      !(a! <= b! && b! <= c!) ? 'must satisfy a <= b <= c' : null,
  },
  trapezoidal: {
    names: ['a', 'b', 'c', 'd'],
    check: ([a, b, c, d]) =>
      !(a! <= b! && b! <= c! && c! <= d!) ? 'must satisfy a <= b <= c <= d' : null,
  },
  gaussian: {
    names: ['mean', 'sigma'],
    check: ([, sigma]) => (sigma! > 0 ? null : 'must have sigma > 0'),
  },
};

/** Checks the count and the ordering of a set's parameters; issues land on `path`. */
function checkParameters(type: MembershipType, parameters: readonly number[], path: PropertyKey[], ctx: z.RefinementCtx): void {
  const { names, check } = SHAPES[type];
  if (parameters.length !== names.length) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `${type} takes ${names.length} parameters [${names.join(', ')}] (got ${parameters.length}: ${list(parameters)})`,
    });
    return;
  }
  const problem = check(parameters);
  if (problem) ctx.addIssue({ code: 'custom', path, message: `${type} ${list(parameters)} ${problem}` });
}

const toMembershipFunction = (type: MembershipType, parameters: readonly number[]): MembershipFunction => {
  const [first, second, third, fourth] = parameters as [number, number, number, number];
  switch (type) {
    case 'triangular':
      return { type, parameters: [first, second, third] };
    case 'trapezoidal':
      return { type, parameters: [first, second, third, fourth] };
    case 'gaussian':
      return { type, parameters: [first, second] };
  }
};

const explicitSet = <T extends MembershipType>(type: T) =>
  z
    .strictObject(
      { type: z.literal(type), parameters: z.array(finite, { error: (issue) => `parameters must be a list of numbers (got ${show(issue.input)})` }) },
      {
        error: (issue) =>
          issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((key) => `'${key}'`).join(', ')}: a fuzzy set has only type and parameters` : undefined,
      },
    )
    .superRefine(({ parameters }, ctx) => checkParameters(type, parameters, ['parameters'], ctx));

const ExplicitFuzzySet = z
  .discriminatedUnion('type', [explicitSet('triangular'), explicitSet('trapezoidal'), explicitSet('gaussian')], {
    error: (issue) => {
      const input = issue.input;
      if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
        return `type must be one of ${MEMBERSHIP_TYPES.join(', ')} (got ${show((input as { type?: unknown }).type)})`;
      }
      return `a fuzzy set is [a, b, c] (triangular), [a, b, c, d] (trapezoidal) or {type, parameters} (got ${show(input)})`;
    },
  })
  .transform((set) => toMembershipFunction(set.type, set.parameters));

const SHORTHAND_TYPES: Readonly<Record<number, MembershipType>> = { 3: 'triangular', 4: 'trapezoidal' };

const ShorthandFuzzySet = z
  .array(finite)
  .superRefine((parameters, ctx) => {
    const type = SHORTHAND_TYPES[parameters.length];
    if (type) return checkParameters(type, parameters, [], ctx);
    ctx.addIssue({
      code: 'custom',
      message:
        `the shorthand takes 3 numbers (triangular [a, b, c]) or 4 (trapezoidal [a, b, c, d]), got ${parameters.length}: ${list(parameters)}; ` +
        'write a gaussian as {type: gaussian, parameters: [mean, sigma]}',
    });
  })
  .transform((parameters) => toMembershipFunction(SHORTHAND_TYPES[parameters.length] as MembershipType, parameters));

/**
 * A fuzzy set as written in a strategy file: the shorthand `[a, b, c]`
 * (triangular) or `[a, b, c, d]` (trapezoidal), or `{type, parameters}` for any
 * shape. Parses to the explicit form with every rule above checked; each
 * problem's path points into the set as written (`1` for the second number of
 * a shorthand, `parameters` for the explicit form).
 */
export const FuzzySetDefinition = z.unknown().transform((input, ctx): MembershipFunction => {
  const result = (Array.isArray(input) ? ShorthandFuzzySet : ExplicitFuzzySet).safeParse(asWritten(input));
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, input: issue.input });
  return z.NEVER;
});

const NUMERIC_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * The spellings the earlier ktrdr accepts: the type in any case and with an
 * `mf` suffix (`Gaussian`, `triangularMF`), and numbers written as strings.
 */
function asWritten(input: unknown): unknown {
  const number = (value: unknown) => (typeof value === 'string' && NUMERIC_TEXT.test(value) ? Number(value) : value);
  if (Array.isArray(input)) return input.map(number);
  if (input === null || typeof input !== 'object') return input;
  const { type, parameters, ...rest } = input as { type?: unknown; parameters?: unknown };
  return {
    ...rest,
    ...(type !== undefined && { type: typeof type === 'string' ? type.toLowerCase().replace(/mf$/, '') : type }),
    ...(parameters !== undefined && { parameters: Array.isArray(parameters) ? parameters.map(number) : parameters }),
  };
}
