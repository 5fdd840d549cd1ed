import type { AnyField, FieldKind } from './fields.js';
import type { FieldMap, GroupValues, SettingsGroup } from './group.js';
import type { SettingIssue } from './errors.js';
import { lookup, placeSuffix, sourcePlaces, type Origin, type SettingsSources } from './sources.js';

export type ValueSource = Origin | 'default';

/** Where one field's value came from, and what it is. */
export interface FieldTrace {
  readonly group: string;
  readonly key: string;
  readonly field: string;
  readonly env: string;
  readonly deprecatedEnv: readonly string[];
  readonly kind: FieldKind;
  readonly rule: string;
  readonly secret: boolean;
  readonly description: string;
  /** Typed value; null for an unset optional or an invalid value. */
  readonly value: unknown;
  readonly defaultValue: unknown;
  readonly source: ValueSource;
  /** The variable that supplied the value; null for the default. */
  readonly sourceName: string | null;
  /** The env file that supplied it (`.env.local`); null for the environment or the default. */
  readonly sourceFile: string | null;
  readonly raw: string | null;
  readonly issue: SettingIssue | null;
}

/** A deprecated name found set in a source. */
export interface DeprecationNotice {
  readonly name: string;
  readonly canonical: string;
  readonly origin: Origin;
  /** The env file it was found in; null for the environment. */
  readonly file: string | null;
  /** False when a higher-priority name supplied the value and this one was ignored. */
  readonly used: boolean;
}

export interface GroupResolution<F extends FieldMap = FieldMap> {
  readonly group: SettingsGroup<F>;
  readonly fields: readonly FieldTrace[];
  readonly issues: readonly SettingIssue[];
  readonly deprecations: readonly DeprecationNotice[];
  /** The typed values, present only when there are no issues. */
  readonly values: GroupValues<F> | null;
}

/** First match wins: environment (canonical, then deprecated names), then each env file in turn, then the default. */
function findRaw(sources: SettingsSources, names: readonly string[]): { origin: Origin; file: string | null; name: string; raw: string } | null {
  for (const place of sourcePlaces(sources)) {
    for (const name of names) {
      const raw = lookup(place, name);
      if (raw !== undefined) return { origin: place.origin, file: place.file, name, raw };
    }
  }
  return null;
}

export function resolveField(group: SettingsGroup, key: string, field: AnyField, sources: SettingsSources): FieldTrace {
  const { spec } = field;
  const env = group.variables[key] as string;
  const found = findRaw(sources, [env, ...spec.deprecated]);
  const common = {
    group: group.name,
    key,
    field: group.fieldNames[key] as string,
    env,
    deprecatedEnv: spec.deprecated,
    kind: spec.kind,
    rule: spec.rule,
    secret: spec.secret,
    description: spec.description,
    defaultValue: spec.presence === 'required' ? null : spec.defaultValue,
  };
  if (!found) {
    const issue: SettingIssue | null =
      spec.presence === 'required' ? { env, sourceName: env, value: null, message: 'is required but not set' } : null;
    return { ...common, value: issue ? null : spec.defaultValue, source: 'default', sourceName: null, sourceFile: null, raw: null, issue };
  }
  const parsed = spec.schema().safeParse(found.raw);
  const trace = { ...common, source: found.origin, sourceName: found.name, sourceFile: found.file, raw: found.raw };
  if (parsed.success) return { ...trace, value: parsed.data, issue: null };
  const first = parsed.error.issues[0];
  // Bound checks speak about the number; the user needs to see the text they wrote.
  const isBound = first?.code === 'custom' && (first as { params?: { bound?: boolean } }).params?.bound === true;
  const message = first ? (isBound ? `${first.message} (got '${found.raw}')` : first.message) : `'${found.raw}' is invalid`;
  return { ...trace, value: null, issue: { env, sourceName: found.name, value: found.raw, message } };
}

function deprecationsOf(sources: SettingsSources, traces: readonly FieldTrace[]): DeprecationNotice[] {
  const notices: DeprecationNotice[] = [];
  for (const trace of traces) {
    for (const name of trace.deprecatedEnv) {
      for (const place of sourcePlaces(sources)) {
        if (lookup(place, name) === undefined) continue;
        const used = trace.sourceName === name && trace.source === place.origin && trace.sourceFile === place.file;
        notices.push({ name, canonical: trace.env, origin: place.origin, file: place.file, used });
      }
    }
  }
  return notices;
}

/** Resolves and validates every field of a group, collecting every problem rather than the first. */
export function resolveGroup<F extends FieldMap>(group: SettingsGroup<F>, sources: SettingsSources): GroupResolution<F> {
  const fields = Object.entries(group.fields).map(([key, field]) =>
    resolveField(group as unknown as SettingsGroup, key, field, sources),
  );
  const issues = fields.flatMap((trace) => (trace.issue ? [trace.issue] : []));
  const values =
    issues.length === 0
      ? (Object.freeze(Object.fromEntries(fields.map((trace) => [trace.key, trace.value]))) as GroupValues<F>)
      : null;
  return { group, fields, issues, deprecations: deprecationsOf(sources, fields), values };
}

export function formatDeprecation(notice: DeprecationNotice): string {
  const where = placeSuffix(notice.file);
  return notice.used
    ? `${notice.name}${where} is deprecated, use ${notice.canonical}`
    : `${notice.name}${where} is deprecated and was ignored because ${notice.canonical} is set; remove ${notice.name}`;
}

/** Fields whose insecure placeholder default is in force (explicitly or not) in this configuration. */
export function insecureDefaults(resolution: GroupResolution): FieldTrace[] {
  return insecureSettings(resolution)
    .filter((setting) => setting.reason === INSECURE_DEFAULT_REASON)
    .map((setting) => setting.trace);
}

/** A valid value too weak for production, and why (worded to follow the variable's name). */
export interface InsecureSetting {
  readonly trace: FieldTrace;
  readonly reason: string;
}

export const INSECURE_DEFAULT_REASON = 'uses its insecure default value';

/** Every field whose value is too weak for production: a placeholder default in force, or a value its check refuses. */
export function insecureSettings(resolution: GroupResolution): InsecureSetting[] {
  if (!resolution.values) return [];
  const values = resolution.values as Readonly<Record<string, unknown>>;
  return resolution.fields.flatMap((trace): InsecureSetting[] => {
    const spec = resolution.group.fields[trace.key]?.spec;
    if (!spec) return [];
    if (spec.insecureDefault !== null && trace.value === trace.defaultValue) {
      return spec.insecureDefault(values) ? [{ trace, reason: INSECURE_DEFAULT_REASON }] : [];
    }
    const reason = spec.insecureValue?.(trace.value, values) ?? null;
    return reason === null ? [] : [{ trace, reason }];
  });
}
