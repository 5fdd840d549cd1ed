/**
 * What `ktrdr config show|check|explain` print, built from an inspection.
 * The JSON shape is a contract for scripts: keep it stable.
 */
import { presentable, REDACTED, type FieldTrace } from '../settings-engine/index.js';
import { GROUPS } from './catalogue.js';
import { insecureWarningLines, nameWarnings, type Inspection } from './inspect.js';

export interface SettingRow {
  group: string;
  field: string;
  env: string;
  deprecated_env: string[];
  type: string;
  value: unknown;
  default: unknown;
  source: 'env' | 'env-file' | 'default';
  source_name: string | null;
  /** The env file that supplied the value (`.env.local` or `.env`); null otherwise. */
  source_file: string | null;
  secret: boolean;
  description: string;
}

export interface ErrorRow {
  env: string;
  source_name: string;
  value: string | null;
  message: string;
}

export interface ConfigReport {
  env: string;
  role: string;
  settings: SettingRow[];
  warnings: string[];
  errors: ErrorRow[];
}

function settingRow(trace: FieldTrace, showSecrets: boolean): SettingRow {
  return {
    group: trace.group,
    field: trace.field,
    env: trace.env,
    deprecated_env: [...trace.deprecatedEnv],
    type: trace.kind,
    value: presentable(trace.value, trace.secret, showSecrets),
    default: presentable(trace.defaultValue, trace.secret, showSecrets),
    source: trace.source,
    source_name: trace.sourceName,
    source_file: trace.sourceFile,
    secret: trace.secret,
    description: trace.description,
  };
}

export function buildReport(inspection: Inspection, options: { showSecrets?: boolean } = {}): ConfigReport {
  const showSecrets = options.showSecrets === true;
  const secretVariables = new Set(
    inspection.groups.flatMap((group) => group.fields.filter((trace) => trace.secret).map((trace) => trace.env)),
  );
  return {
    env: inspection.env,
    role: inspection.role,
    settings: inspection.groups.flatMap((group) => group.fields.map((trace) => settingRow(trace, showSecrets))),
    warnings: [...nameWarnings(inspection), ...inspection.notices, ...insecureWarningLines(inspection)],
    errors: inspection.issues.map((issue) => ({
      env: issue.env,
      source_name: issue.sourceName,
      value: issue.value !== null && secretVariables.has(issue.env) && !showSecrets ? REDACTED : issue.value,
      message: issue.message,
    })),
  };
}

function displayValue(value: unknown): string {
  if (value === null || value === undefined) return '(unset)';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** A table for people: one line per variable, grouped. */
export function renderReportTable(report: ConfigReport): string {
  const lines: string[] = [`KTRDR_ENV=${report.env}   role=${report.role}`, ''];
  const byGroup = new Map<string, SettingRow[]>();
  for (const row of report.settings) byGroup.set(row.group, [...(byGroup.get(row.group) ?? []), row]);
  const envWidth = Math.max(...report.settings.map((row) => row.env.length), 8);
  const valueWidth = Math.min(40, Math.max(...report.settings.map((row) => displayValue(row.value).length), 5));
  for (const group of GROUPS) {
    const rows = byGroup.get(group.name);
    if (!rows) continue;
    lines.push(`[${group.title}]`);
    for (const row of rows) {
      const origin = row.source === 'default' ? 'default' : `${row.source_name} (${row.source_file ?? 'environment'})`;
      lines.push(`  ${row.env.padEnd(envWidth)}  ${displayValue(row.value).padEnd(valueWidth)}  ${origin}`);
    }
    lines.push('');
  }
  if (report.warnings.length > 0) lines.push('Warnings:', ...report.warnings.map((w) => `  - ${w}`), '');
  if (report.errors.length > 0) lines.push('Errors:', ...report.errors.map((e) => `  - ${e.source_name}: ${e.message}`), '');
  return lines.join('\n');
}

/** Where a variable's current value comes from, its rule, default and other names. */
export interface Explanation {
  env: string;
  asked: string;
  group: string;
  field: string;
  type: string;
  rule: string;
  default: unknown;
  deprecated_env: string[];
  value: unknown;
  source: 'env' | 'env-file' | 'default';
  source_name: string | null;
  source_file: string | null;
  secret: boolean;
  description: string;
  error: string | null;
}

export function explain(inspection: Inspection, name: string, options: { showSecrets?: boolean } = {}): Explanation | null {
  const groups = [inspection.environment, ...inspection.groups];
  for (const group of groups) {
    const trace = group.fields.find((t) => t.env === name || t.deprecatedEnv.includes(name));
    if (!trace) continue;
    const show = options.showSecrets === true;
    return {
      env: trace.env,
      asked: name,
      group: trace.group,
      field: trace.field,
      type: trace.kind,
      rule: trace.rule,
      default: presentable(trace.defaultValue, trace.secret, show),
      deprecated_env: [...trace.deprecatedEnv],
      value: presentable(trace.value, trace.secret, show),
      source: trace.source,
      source_name: trace.sourceName,
      source_file: trace.sourceFile,
      secret: trace.secret,
      description: trace.description,
      error: trace.issue?.message ?? null,
    };
  }
  return null;
}

export function renderExplanation(e: Explanation): string {
  const lines: string[] = [];
  if (e.asked !== e.env) lines.push(`${e.asked} is a deprecated name of ${e.env}; use ${e.env}.`, '');
  const origin =
    e.source === 'default'
      ? 'the default (no variable is set)'
      : `${e.source_name} in ${e.source_file ?? 'the environment'}${e.source_name !== e.env ? ' (deprecated name)' : ''}`;
  lines.push(
    `${e.env}`,
    `  ${e.description}`,
    `  group:       ${e.group} (field ${e.field})`,
    `  type:        ${e.type}${e.rule ? `  rule: ${e.rule}` : ''}`,
    `  default:     ${displayValue(e.default)}`,
    `  deprecated:  ${e.deprecated_env.length > 0 ? e.deprecated_env.join(', ') : '(none)'}`,
    `  value:       ${e.error ? `invalid: ${e.error}` : displayValue(e.value)}`,
    `  comes from:  ${origin}`,
  );
  return lines.join('\n');
}
