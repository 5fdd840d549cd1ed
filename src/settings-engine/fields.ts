import { z } from 'zod';

/**
 * A setting's field: how one environment variable's text becomes a typed value.
 *
 * Each field owns one zod schema (raw string in, typed value out). That schema is
 * the single source of truth for the field's TypeScript type (`FieldValue`), its
 * validation, and — through `rule` — the text the docs and `config show` print.
 */
export type FieldKind = 'int' | 'float' | 'bool' | 'string' | 'url' | 'path' | 'enum' | 'list';

export type Presence = 'required' | 'default' | 'optional';

/** Decides, from the other values of the field's group, whether the default is insecure there. */
export type InsecureWhen = (groupValues: Readonly<Record<string, unknown>>) => boolean;

/**
 * Why a valid value must not reach production (`is 5 bytes long; at least 32 are needed`), or null
 * when it may. Worded to follow the variable's name; never quotes a secret's value.
 */
export type InsecureValue<T> = (value: T, groupValues: Readonly<Record<string, unknown>>) => string | null;

export interface FieldSpec<T> {
  readonly kind: FieldKind;
  /**
   * Parses the raw text; its issues become the messages users read. Built on first call and kept: only the
   * variables a source sets are parsed, so a process starts without building the schemas of the others
   * (docs/architecture.md §1.1).
   */
  readonly schema: () => z.ZodType<T, string>;
  /** Human-readable rule, e.g. `1..65535`, `> 0`, `one of: text, json`. Empty when none. */
  readonly rule: string;
  readonly presence: Presence;
  readonly defaultValue: T | undefined;
  readonly deprecated: readonly string[];
  readonly secret: boolean;
  readonly insecureDefault: InsecureWhen | null;
  /** Values other than the default that are weak too (short or well-known secrets). */
  readonly insecureValue: InsecureValue<T> | null;
  readonly description: string;
  /** Renders a typed value back to the text an environment variable would hold. */
  readonly format: (value: T) => string;
}

export class Field<T> {
  constructor(readonly spec: FieldSpec<T>) {}

  /** The value used when no source sets the variable. */
  default(value: NonNullable<T>): Field<NonNullable<T>> {
    return new Field<NonNullable<T>>({
      ...(this.spec as unknown as FieldSpec<NonNullable<T>>),
      presence: 'default',
      defaultValue: value,
    });
  }

  /** No default: the value is `null` unless a source sets it. */
  optional(): Field<T | null> {
    const spec = this.spec;
    return new Field<T | null>({
      ...spec,
      schema: spec.schema as unknown as () => z.ZodType<T | null, string>,
      format: (value) => (value === null ? '' : spec.format(value)),
      insecureValue: spec.insecureValue ? (value, group) => (value === null ? null : spec.insecureValue!(value, group)) : null,
      presence: 'optional',
      defaultValue: null,
    });
  }

  /** Older names still honoured, in the order they are looked up. */
  deprecated(...names: string[]): this {
    return this.with({ deprecated: [...this.spec.deprecated, ...names] });
  }

  /** Never printed unless the user asks for secrets. */
  secret(): this {
    return this.with({ secret: true });
  }

  /**
   * The default is a placeholder that must not reach production. `when` narrows it
   * to some configurations (e.g. a password that matters only for one driver).
   */
  insecureDefault(when: InsecureWhen = () => true): this {
    return this.with({ secret: true, insecureDefault: when });
  }

  /** Some values (not only the default) are too weak for production; `check` says why. */
  insecureValue(check: InsecureValue<T>): this {
    return this.with({ secret: true, insecureValue: check });
  }

  describe(description: string): this {
    return this.with({ description });
  }

  /** A rule of the field's own (`test` sees the parsed value); reported as `message (got '<raw>')`. */
  satisfies(test: (value: T) => boolean, rule: string, message: string): this {
    const schema = this.spec.schema;
    return this.with({
      schema: once(() => schema().refine(test, { error: message, params: { bound: true } })),
      rule: this.spec.rule ? `${this.spec.rule}, ${rule}` : rule,
    });
  }

  protected with(patch: Partial<FieldSpec<T>>): this {
    const Ctor = this.constructor as new (spec: FieldSpec<T>) => this;
    return new Ctor({ ...this.spec, ...patch });
  }
}

/** Numeric fields carry bounds; they come before `.default()` in a chain. */
export class NumberField extends Field<number> {
  /** Strictly greater than `n`. */
  gt(n: number): this {
    return this.satisfies((v) => v > n, `> ${n}`, `must be greater than ${n}`);
  }

  /** Greater than or equal to `n`. */
  ge(n: number): this {
    return this.satisfies((v) => v >= n, `>= ${n}`, `must be greater than or equal to ${n}`);
  }

  lt(n: number): this {
    return this.satisfies((v) => v < n, `< ${n}`, `must be less than ${n}`);
  }

  le(n: number): this {
    return this.satisfies((v) => v <= n, `<= ${n}`, `must be less than or equal to ${n}`);
  }

  /** Inclusive range, reported as one rule. */
  range(min: number, max: number): this {
    return this.satisfies((v) => v >= min && v <= max, `${min}..${max}`, `must be between ${min} and ${max}`);
  }

  /**
   * A duration in seconds that must be a whole number of milliseconds, so that
   * converting it for a timer (which needs an integer) loses nothing: `1.5` is
   * accepted, `1.0005` is refused rather than rounded behind the user's back.
   */
  wholeMilliseconds(): this {
    return this.satisfies(
      (v) => Math.abs(v * 1000 - Math.round(v * 1000)) < 1e-6,
      'whole milliseconds',
      'must be a whole number of milliseconds (at most 3 decimal places)',
    );
  }
}

const INT_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** `build`'s result, built on the first call only. */
function once<S>(build: () => S): () => S {
  let built: S | undefined;
  return () => (built ??= build());
}

function base<T>(kind: FieldKind, schema: () => z.ZodType<T, string>, format: (v: T) => string, rule = ''): FieldSpec<T> {
  return {
    kind,
    schema: once(schema),
    rule,
    presence: 'required',
    defaultValue: undefined,
    deprecated: [],
    secret: false,
    insecureDefault: null,
    insecureValue: null,
    description: '',
    format,
  };
}

/** Builds a transform that reports `'<raw>' <reason>` when `parse` returns undefined. */
function textTo<T>(parse: (raw: string) => T | undefined, reason: string): () => z.ZodType<T, string> {
  return () => z.string().transform((raw, ctx) => {
    const value = parse(raw.trim());
    if (value === undefined) {
      ctx.issues.push({ code: 'custom', input: raw, message: `'${raw}' ${reason}` });
      return z.NEVER;
    }
    return value;
  });
}

function formatFloat(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

function parseList(raw: string): string[] | undefined {
  if (raw.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed.map((s) => s.trim());
    } catch {
      // fall through: reported as not a list below
    }
    return undefined;
  }
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function parseUrl(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? raw : undefined;
  } catch {
    return undefined;
  }
}

/** Field builders: the vocabulary a catalogue is written in. */
export const setting = {
  int: () =>
    new NumberField(
      // Beyond 2^53 a number is no longer the integer that was written.
      base('int', textTo((raw) => (INT_TEXT.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined), 'is not a valid integer'), String),
    ),

  float: () =>
    new NumberField(
      base('float', textTo((raw) => (FLOAT_TEXT.test(raw) && Number.isFinite(Number(raw)) ? Number(raw) : undefined), 'is not a valid number'), formatFloat),
    ),

  bool: () =>
    new Field<boolean>(
      base(
        'bool',
        textTo((raw) => {
          const word = raw.toLowerCase();
          return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : undefined;
        }, 'is not a valid boolean (use true/false, 1/0, yes/no or on/off)'),
        String,
        'true/false, 1/0, yes/no, on/off',
      ),
    ),

  string: () => new Field<string>(base('string', () => z.string(), (v) => v)),

  url: () =>
    new Field<string>(base('url', textTo(parseUrl, 'is not a valid http(s) URL'), (v) => v, 'http(s) URL')),

  path: () =>
    new Field<string>(
      base('path', textTo((raw) => (raw.includes('\0') ? undefined : raw), 'is not a valid path'), (v) => v, 'file-system path'),
    ),

  /**
   * Matched in any case; the value is always the declared spelling. `refusal`
   * replaces `is not one of: …` when a plain list would not say enough.
   */
  enum: <const C extends readonly [string, ...string[]]>(choices: C, refusal?: string) =>
    new Field<C[number]>(
      base(
        'enum',
        textTo(
          (raw) => choices.find((choice) => choice.toLowerCase() === raw.toLowerCase()),
          refusal ?? `is not one of: ${choices.join(', ')}`,
        ),
        (v) => v,
        `one of: ${choices.join(', ')} (any case)`,
      ),
    ),

  /** Comma-separated (`a, b`) or a JSON array of strings (`["a","b"]`). */
  list: () =>
    new Field<string[]>(
      base('list', textTo(parseList, 'is not a comma-separated list or a JSON array of strings'), (v) => v.join(','), 'comma-separated or JSON array'),
    ),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a map holds fields of every value type
export type AnyField = Field<any>;

/** The TypeScript type a field resolves to. */
export type FieldValue<F> = F extends Field<infer T> ? T : never;
