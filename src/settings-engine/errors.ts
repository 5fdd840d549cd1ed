/** One invalid value: which variable, what it held, which rule it broke. */
export interface SettingIssue {
  /** Canonical variable of the field (`KTRDR_WORKER_PORT`). */
  readonly env: string;
  /** The variable that actually held the bad value (`WORKER_PORT` for a deprecated name). */
  readonly sourceName: string;
  /** The raw text, or null when the problem is a missing value. */
  readonly value: string | null;
  readonly message: string;
}

export interface ConfigurationErrorOptions {
  /** Where the user finds every setting; printed under the list. */
  readonly docsHint?: string;
}

/** Every problem found in a configuration, reported together as one block. */
export class ConfigurationError extends Error {
  readonly issues: readonly SettingIssue[];

  constructor(issues: readonly SettingIssue[], options: ConfigurationErrorOptions = {}) {
    super(formatConfigurationBlock(issues, options.docsHint));
    this.name = 'ConfigurationError';
    this.issues = issues;
  }
}

export function formatIssue(issue: SettingIssue): string {
  return `${issue.sourceName}: ${issue.message}`;
}

export function formatConfigurationBlock(issues: readonly SettingIssue[], docsHint?: string): string {
  const rule = '='.repeat(20);
  return [
    'CONFIGURATION ERROR',
    rule,
    'Invalid settings:',
    ...issues.map((issue) => `  - ${formatIssue(issue)}`),
    ...(docsHint ? ['', docsHint] : []),
    rule,
  ].join('\n');
}
