/**
 * ktrdr's settings as the processes use them: one cached getter per group, and
 * the two calls every entry point makes before anything else:
 * `warnDeprecatedEnvVars()` then `validateAll(role)`. Nothing here runs at import.
 */
import { ConfigurationError, loadSources, SettingsStore, type GroupValues } from '../settings-engine/index.js';
import {
  api,
  apiClient,
  auth,
  checkpoint,
  data,
  database,
  DOCS_HINT,
  environment,
  http,
  logging,
  observability,
  operations,
  orphanDetector,
  worker,
  type Role,
} from './catalogue.js';
import { insecureWarningBox, inspect, nameWarnings, type Inspection } from './inspect.js';

const store = new SettingsStore(() => loadSources(), { docsHint: DOCS_HINT });

export const getDatabaseSettings = store.getter(database);
export const getApiSettings = store.getter(api);
export const getAuthSettings = store.getter(auth);
export const getHttpSettings = store.getter(http);
export const getLoggingSettings = store.getter(logging);
export const getObservabilitySettings = store.getter(observability);
export const getApiClientSettings = store.getter(apiClient);
export const getWorkerSettings = store.getter(worker);
export const getCheckpointSettings = store.getter(checkpoint);
export const getOrphanDetectorSettings = store.getter(orphanDetector);
export const getOperationsSettings = store.getter(operations);
export const getDataSettings = store.getter(data);
export const getEnvironmentSettings = store.getter(environment);

export type DatabaseSettings = GroupValues<typeof database.fields>;
export type ApiSettings = GroupValues<typeof api.fields>;
export type AuthSettings = GroupValues<typeof auth.fields>;
export type HttpSettings = GroupValues<typeof http.fields>;
export type LoggingSettings = GroupValues<typeof logging.fields>;
export type ObservabilitySettings = GroupValues<typeof observability.fields>;
export type ApiClientSettings = GroupValues<typeof apiClient.fields>;
export type WorkerSettings = GroupValues<typeof worker.fields>;
export type CheckpointSettings = GroupValues<typeof checkpoint.fields>;
export type OrphanDetectorSettings = GroupValues<typeof orphanDetector.fields>;
export type OperationsSettings = GroupValues<typeof operations.fields>;
export type DataSettings = GroupValues<typeof data.fields>;

/** Where warnings go; stderr unless an entry point routes them to its logger. */
export type WarningSink = (message: string) => void;

/** One-line warnings get a prefix; the boxed warning is printed as it is. */
const stderrSink: WarningSink = (message) =>
  void process.stderr.write(message.includes('\n') ? `${message}\n` : `WARNING: ${message}\n`);

/** Warnings already given in this process, so each is given once. */
const warned = new Set<string>();

function warnOnce(messages: readonly string[], sink: WarningSink): string[] {
  const fresh = messages.filter((message) => !warned.has(message));
  for (const message of fresh) {
    warned.add(message);
    sink(message);
  }
  return fresh;
}

/** Forget cached settings and given warnings; the next getter reads the environment again. */
export function clearSettingsCache(): void {
  store.clear();
  warned.clear();
}

/** The current configuration as seen by `role` (from the cached sources). */
export function inspectSettings(role: Role): Inspection {
  return inspect(role, store.sources());
}

/**
 * Warns once about every deprecated name in use (and whether it was ignored) and
 * every unknown `KTRDR_*` variable, with the closest known name. Returns the warnings given.
 */
export function warnDeprecatedEnvVars(sink: WarningSink = stderrSink): string[] {
  return warnOnce(nameWarnings(inspectSettings('all')), sink);
}

/**
 * The two calls every entry point makes first, for one role: warns about
 * deprecated and unknown names, validates, and on invalid settings prints the
 * CONFIGURATION ERROR block to stderr and returns false (the caller exits 1
 * before binding any port).
 */
export function checkSettingsAtStartup(role: Role): boolean {
  // One inspection for both: the deprecated and unknown names it finds are the same for every role (each inspection
  // resolves every group), and a process's start pays for each (docs/architecture.md §1.1).
  const inspection = inspectSettings(role);
  warnOnce(nameWarnings(inspection), stderrSink);
  try {
    validated(inspection, stderrSink);
    return true;
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return false;
  }
}

export interface ValidationResult {
  readonly env: string;
  readonly inspection: Inspection;
}

/**
 * Validates every group `role` reads, and KTRDR_ENV's rules on insecure defaults.
 * Throws one `ConfigurationError` carrying every problem; its message is the block to print.
 */
export function validateAll(role: Role, sink: WarningSink = stderrSink): ValidationResult {
  return validated(inspectSettings(role), sink);
}

function validated(inspection: Inspection, sink: WarningSink): ValidationResult {
  if (inspection.issues.length > 0) throw new ConfigurationError(inspection.issues, { docsHint: DOCS_HINT });
  warnOnce(inspection.notices, sink);
  const box = insecureWarningBox(inspection);
  if (box) warnOnce([box], sink);
  return { env: inspection.env, inspection };
}
