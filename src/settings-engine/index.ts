/**
 * A small, generic typed-settings engine: fields parsed from environment
 * variables, grouped under a prefix, with deprecated names, source tracing,
 * every error collected, redaction, cached getters and unknown-name detection.
 * It knows nothing of the application that uses it.
 */
export { setting, Field, NumberField } from './fields.js';
export type { FieldKind, FieldSpec, FieldValue, AnyField, InsecureValue, InsecureWhen, Presence } from './fields.js';
export { defineGroup, groupVariableNames, snakeCase } from './group.js';
export type { FieldMap, GroupValues, SettingsGroup, GroupDefinition } from './group.js';
export { loadSources, lookup, sourcePlaces, EnvFileError, DEFAULT_ENV_FILE_NAMES } from './sources.js';
export type { SettingsSources, Origin, LoadSourcesOptions, EnvFile, SourcePlace } from './sources.js';
export { resolveGroup, resolveField, formatDeprecation, insecureDefaults, insecureSettings, INSECURE_DEFAULT_REASON } from './resolve.js';
export type { FieldTrace, GroupResolution, DeprecationNotice, ValueSource, InsecureSetting } from './resolve.js';
export { ConfigurationError, formatConfigurationBlock, formatIssue } from './errors.js';
export type { SettingIssue } from './errors.js';
export { findUnknownVariables, formatUnknownVariable, closestName, editDistance } from './unknown.js';
export type { UnknownVariable, RemovedVariable } from './unknown.js';
export { SettingsStore } from './store.js';
export { describeGroup, describeField, presentable, REDACTED } from './describe.js';
export type { FieldDescription } from './describe.js';
