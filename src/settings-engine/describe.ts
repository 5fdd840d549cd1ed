import type { AnyField } from './fields.js';
import type { SettingsGroup } from './group.js';

export const REDACTED = '********';

/** Everything the docs and `config show` say about a field, independent of any environment. */
export interface FieldDescription {
  readonly group: string;
  readonly key: string;
  readonly field: string;
  readonly env: string;
  readonly deprecatedEnv: readonly string[];
  readonly kind: string;
  /** Default rendered as a variable would hold it; null when the field has none. */
  readonly defaultText: string | null;
  readonly required: boolean;
  readonly rule: string;
  readonly secret: boolean;
  readonly insecureDefault: boolean;
  readonly description: string;
}

export function describeField(group: SettingsGroup, key: string, field: AnyField): FieldDescription {
  const { spec } = field;
  return {
    group: group.name,
    key,
    field: group.fieldNames[key] as string,
    env: group.variables[key] as string,
    deprecatedEnv: spec.deprecated,
    kind: spec.kind,
    defaultText: spec.presence === 'default' ? spec.format(spec.defaultValue) : null,
    required: spec.presence === 'required',
    rule: spec.rule,
    secret: spec.secret,
    insecureDefault: spec.insecureDefault !== null,
    description: spec.description,
  };
}

export function describeGroup(group: SettingsGroup): FieldDescription[] {
  return Object.entries(group.fields).map(([key, field]) => describeField(group, key, field));
}

/** A value as it may be shown: secrets masked unless explicitly revealed. */
export function presentable(value: unknown, secret: boolean, reveal: boolean): unknown {
  if (!secret || reveal || value === null || value === undefined) return value ?? null;
  return REDACTED;
}
