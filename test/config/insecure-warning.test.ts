/**
 * The insecure-defaults warning (box and report lines) says the defaults are
 * "accepted because KTRDR_ENV=<env>": it must only appear when KTRDR_ENV is a
 * valid development or test, never for a KTRDR_ENV that is itself an error.
 */
import { describe, expect, it } from 'vitest';
import { insecureWarningBox, insecureWarningLines, inspect } from '../../src/config/inspect.js';
import { buildReport } from '../../src/config/report.js';

const sources = (env: Record<string, string>) => ({ env, files: [] });

describe('insecure-defaults warning and KTRDR_ENV', () => {
  it.each(['prod', 'staging'])('KTRDR_ENV=%s (invalid): an error, and no box or warning line claiming it was accepted', (value) => {
    const inspection = inspect('backend', sources({ KTRDR_ENV: value }));
    expect(inspection.issues.map((issue) => issue.env)).toContain('KTRDR_ENV');
    expect(insecureWarningBox(inspection)).toBeNull();
    expect(insecureWarningLines(inspection)).toEqual([]);
    const report = buildReport(inspection);
    expect(report.warnings.filter((line) => line.includes('INSECURE'))).toEqual([]);
    expect(report.errors.some((error) => error.env === 'KTRDR_ENV')).toBe(true);
  });

  it('an invalid KTRDR_ENV given by a deprecated name: no box either', () => {
    const inspection = inspect('backend', sources({ ENVIRONMENT: 'prod' }));
    expect(inspection.issues.length).toBeGreaterThan(0);
    expect(insecureWarningBox(inspection)).toBeNull();
  });

  it.each(['development', 'test'])('KTRDR_ENV=%s (valid) still warns, naming the environment', (value) => {
    const inspection = inspect('backend', sources({ KTRDR_ENV: value }));
    expect(inspection.issues).toEqual([]);
    expect(insecureWarningBox(inspection)).toContain(`Accepted because KTRDR_ENV=${value};`);
    expect(insecureWarningLines(inspection)).toEqual([
      `INSECURE DEFAULT: KTRDR_AUTH_JWT_SECRET uses its insecure default value (accepted in ${value}, refused in production)`,
    ]);
  });

  it('a weak secret of your own is an INSECURE VALUE line with its reason, and joins the box', () => {
    const inspection = inspect('backend', sources({ KTRDR_ENV: 'test', KTRDR_AUTH_JWT_SECRET: 'changeme' }));
    expect(insecureWarningLines(inspection)).toEqual([
      'INSECURE VALUE: KTRDR_AUTH_JWT_SECRET is a well-known placeholder, not a secret (accepted in test, refused in production)',
    ]);
    expect(insecureWarningBox(inspection)).toContain('  - KTRDR_AUTH_JWT_SECRET is a well-known placeholder, not a secret');
  });

  it('an unset KTRDR_ENV is development and warns', () => {
    const inspection = inspect('backend', sources({}));
    expect(inspection.env).toBe('development');
    expect(insecureWarningBox(inspection)).toContain('Accepted because KTRDR_ENV=development;');
  });

  it('KTRDR_ENV=production with an invalid acknowledgement: still refuses the defaults, and no box', () => {
    const inspection = inspect('backend', sources({ KTRDR_ENV: 'production', KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'maybe' }));
    expect(inspection.env).toBe('production');
    const messages = inspection.issues.map((issue) => `${issue.env}: ${issue.message}`);
    expect(messages.some((line) => line.startsWith('KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS:'))).toBe(true);
    expect(messages.some((line) => line.startsWith('KTRDR_AUTH_JWT_SECRET:') && line.includes('refused in production'))).toBe(true);
    expect(insecureWarningBox(inspection)).toBeNull();
  });
});
