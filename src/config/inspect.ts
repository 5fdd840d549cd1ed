/**
 * One look at a configuration for a role: every value, every problem, every
 * warning. Pure over its sources, so the validation at start-up, `config show`,
 * `config check` and the tests all see the same thing.
 */
import {
  findUnknownVariables,
  formatDeprecation,
  formatUnknownVariable,
  groupVariableNames,
  INSECURE_DEFAULT_REASON,
  insecureSettings,
  resolveGroup,
  type DeprecationNotice,
  type GroupResolution,
  type InsecureSetting,
  type SettingIssue,
  type SettingsGroup,
  type SettingsSources,
  type UnknownVariable,
} from '../settings-engine/index.js';
import { environment, GROUPS, NAMESPACE, REMOVED_VARIABLES, ROLE_GROUPS, type Role } from './catalogue.js';
import { DEFAULT_OTLP_ENDPOINT } from './derived.js';

const ALL_GROUPS: readonly SettingsGroup[] = [environment, ...GROUPS];

export interface Inspection {
  readonly role: Role;
  /** KTRDR_ENV as resolved, or the raw text when it is invalid. */
  readonly env: string;
  readonly environment: GroupResolution<typeof environment.fields>;
  /** The groups the role reads, in catalogue order. */
  readonly groups: readonly GroupResolution[];
  /** Every error: invalid values, an unknown KTRDR_ENV, insecure defaults in production. */
  readonly issues: readonly SettingIssue[];
  /** Deprecated names set anywhere (all groups: a name is deprecated whoever reads it). */
  readonly deprecations: readonly DeprecationNotice[];
  readonly unknown: readonly UnknownVariable[];
  /** Insecure defaults in force, and values too weak for production, in the role's groups. */
  readonly insecure: readonly InsecureSetting[];
  /** Those that should be shown as a warning (a valid KTRDR_ENV of development or test, not acknowledged). */
  readonly insecureWarned: readonly InsecureSetting[];
  /** Valid settings that will not do what their user may expect, one line each. */
  readonly notices: readonly string[];
}

/** Valid settings whose effect may surprise: say where telemetry goes, and catch the gRPC port of the earlier default. */
function noticesOf(groups: readonly GroupResolution[]): string[] {
  const observability = groups.find((g) => g.group.name === 'observability')?.values as
    | { enabled?: boolean; otlpEndpoint?: string | null }
    | null
    | undefined;
  if (!observability?.enabled) return [];
  const endpoint = observability.otlpEndpoint ?? null;
  if (endpoint === null) return [`KTRDR_OTEL_ENABLED=true and KTRDR_OTEL_OTLP_ENDPOINT is unset: exporting OTLP/HTTP to ${DEFAULT_OTLP_ENDPOINT}`];
  let port = '';
  try {
    port = new URL(endpoint).port;
  } catch {
    return []; // an invalid URL is an issue already
  }
  return port === '4317'
    ? [`KTRDR_OTEL_OTLP_ENDPOINT=${endpoint}: port 4317 is usually OTLP/gRPC; ktrdr exports OTLP/HTTP (the collector's port 4318)`]
    : [];
}

export function knownVariableNames(): string[] {
  return ALL_GROUPS.flatMap(groupVariableNames);
}

export function inspect(role: Role, sources: SettingsSources): Inspection {
  const env = resolveGroup(environment, sources);
  const envTrace = env.fields.find((trace) => trace.key === 'env');
  // Each field on its own: an invalid acknowledgement must not hide a valid KTRDR_ENV=production.
  const envValid = envTrace !== undefined && envTrace.issue === null;
  const envName = envValid ? String(envTrace.value) : (envTrace?.raw ?? 'development');
  const production = envValid && envTrace.value === 'production';
  const acknowledgeTrace = env.fields.find((trace) => trace.key === 'acknowledgeInsecureDefaults');
  const acknowledged = acknowledgeTrace?.issue === null && acknowledgeTrace.value === true;

  const roleGroups = new Set(ROLE_GROUPS[role]);
  const all = ALL_GROUPS.map((group) => (group === environment ? env : resolveGroup(group, sources)));
  const groups = all.filter((resolution) => roleGroups.has(resolution.group));
  const insecure = groups.flatMap(insecureSettings);

  const insecureIssues: SettingIssue[] = production
    ? insecure.map(({ trace, reason }) => ({
        env: trace.env,
        sourceName: trace.sourceName ?? trace.env,
        value: null,
        message:
          reason === INSECURE_DEFAULT_REASON
            ? `uses the insecure default value, which is refused in production (KTRDR_ENV=production); set a value of your own`
            : `${reason}, which is refused in production (KTRDR_ENV=production)`,
      }))
    : [];

  return {
    role,
    env: envName,
    environment: env,
    groups,
    issues: [...env.issues, ...groups.flatMap((g) => g.issues), ...insecureIssues],
    deprecations: all.flatMap((resolution) => resolution.deprecations),
    unknown: findUnknownVariables(sources, { namespace: NAMESPACE, known: knownVariableNames(), removed: REMOVED_VARIABLES }),
    insecure,
    // An invalid KTRDR_ENV is already an error, and the warning would claim it accepted the defaults.
    insecureWarned: !envValid || production || acknowledged ? [] : insecure,
    notices: noticesOf(groups),
  };
}

/** Deprecated and unknown names, one line each. */
export function nameWarnings(inspection: Inspection): string[] {
  return [...inspection.deprecations.map(formatDeprecation), ...inspection.unknown.map(formatUnknownVariable)];
}

export function insecureWarningLines(inspection: Inspection): string[] {
  return inspection.insecureWarned.map(
    ({ trace, reason }) =>
      `${reason === INSECURE_DEFAULT_REASON ? 'INSECURE DEFAULT' : 'INSECURE VALUE'}: ${trace.env} ${reason} (accepted in ${inspection.env}, refused in production)`,
  );
}

/** The boxed warning printed at start-up in development and test. */
export function insecureWarningBox(inspection: Inspection): string | null {
  if (inspection.insecureWarned.length === 0) return null;
  const body = [
    'WARNING: INSECURE DEFAULT CONFIGURATION',
    '',
    ...inspection.insecureWarned.map(({ trace, reason }) => `  - ${trace.env} ${reason}`),
    '',
    `Accepted because KTRDR_ENV=${inspection.env}; refused when KTRDR_ENV=production.`,
    'Set your own values, or silence this warning with',
    'KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS=true.',
  ];
  const width = Math.max(...body.map((line) => line.length));
  const edge = `+${'-'.repeat(width + 2)}+`;
  return [edge, ...body.map((line) => `| ${line.padEnd(width)} |`), edge].join('\n');
}
