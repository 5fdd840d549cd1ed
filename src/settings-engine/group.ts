import type { AnyField, FieldValue } from './fields.js';

export type FieldMap = Readonly<Record<string, AnyField>>;

/** The frozen, typed values of a group, keyed like its fields. */
export type GroupValues<F extends FieldMap> = { readonly [K in keyof F]: FieldValue<F[K]> };

export interface GroupDefinition<F extends FieldMap> {
  /** snake_case identifier used in reports (`orphan_detector`). */
  readonly name: string;
  /** Title used in docs (`Orphan detector`). */
  readonly title: string;
  readonly description: string;
  /** Every variable of the group starts with it (`KTRDR_WORKER_`). */
  readonly prefix: string;
  readonly fields: F;
}

export interface SettingsGroup<F extends FieldMap = FieldMap> extends GroupDefinition<F> {
  /** Field key → its snake_case name (`timeoutSeconds` → `timeout_seconds`). */
  readonly fieldNames: Readonly<Record<keyof F & string, string>>;
  /** Field key → its canonical variable (`KTRDR_ORPHAN_TIMEOUT_SECONDS`). */
  readonly variables: Readonly<Record<keyof F & string, string>>;
}

/** `heartbeatInterval` → `heartbeat_interval`. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

export function defineGroup<F extends FieldMap>(definition: GroupDefinition<F>): SettingsGroup<F> {
  const fieldNames = {} as Record<keyof F & string, string>;
  const variables = {} as Record<keyof F & string, string>;
  for (const key of Object.keys(definition.fields) as (keyof F & string)[]) {
    fieldNames[key] = snakeCase(key);
    variables[key] = definition.prefix + snakeCase(key).toUpperCase();
  }
  return Object.freeze({ ...definition, fieldNames: Object.freeze(fieldNames), variables: Object.freeze(variables) });
}

/** Every name a group answers to: canonical and deprecated. */
export function groupVariableNames(group: SettingsGroup): string[] {
  return Object.entries(group.fields).flatMap(([key, field]) => [
    group.variables[key] as string,
    ...field.spec.deprecated,
  ]);
}
