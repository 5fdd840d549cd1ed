/**
 * `ktrdr config …` through the real CLI process (the compiled bin in dist/).
 * Every run gets a clean environment (no KTRDR_* and no deprecated names from the
 * caller) and a fresh working directory, so no .env.local leaks in.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** Deprecated names without the KTRDR_ prefix (docs/architecture.md §3.2); the KTRDR_ ones go with the prefix. */
const DEPRECATED_NAMES = [
  'DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'DB_ECHO',
  'JWT_SECRET', 'LOG_LEVEL', 'OTLP_ENDPOINT',
  'WORKER_ID', 'WORKER_PORT', 'WORKER_ENDPOINT_URL', 'WORKER_PUBLIC_BASE_URL',
  'CHECKPOINT_EPOCH_INTERVAL', 'CHECKPOINT_TIME_INTERVAL_SECONDS', 'CHECKPOINT_DIR', 'CHECKPOINT_MAX_AGE_DAYS',
  'ORPHAN_TIMEOUT_SECONDS', 'ORPHAN_CHECK_INTERVAL_SECONDS', 'OPERATIONS_CACHE_TTL',
  'DATA_DIR', 'MODELS_DIR', 'STRATEGIES_DIR', 'ENVIRONMENT',
  'WORKER_HEALTH_CHECK_INTERVAL', 'WORKER_HEALTH_CHECK_TIMEOUT', 'WORKER_HEALTH_CHECK_FAILURES', 'WORKER_REMOVAL_THRESHOLD',
];

const JWT_DEFAULT = 'local-dev-secret-do-not-use-in-production';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('KTRDR_') || DEPRECATED_NAMES.includes(name)) delete env[name];
  }
  return env;
}

const tempDirs: string[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-config-cli-'));
  tempDirs.push(dir);
  return dir;
}

function runCli(args: readonly string[], env: Record<string, string> = {}, cwd: string = freshDir()): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...baseEnv(), ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface SettingRow {
  group: string;
  field: string;
  env: string;
  deprecated_env: string[];
  type: string;
  value: unknown;
  default: unknown;
  source: string;
  source_name: string | null;
  secret: boolean;
  description: string;
}

interface ErrorRow {
  env: string;
  source_name: string;
  value: string | null;
  message: string;
}

interface Report {
  env: string;
  role: string;
  settings: SettingRow[];
  warnings: string[];
  errors: ErrorRow[];
}

function showJson(env: Record<string, string> = {}, extraArgs: string[] = [], cwd?: string): { code: number | null; report: Report } {
  const { code, stdout } = runCli(['config', 'show', '--json', ...extraArgs], env, cwd);
  return { code, report: JSON.parse(stdout) as Report };
}

function row(report: Report, variable: string): SettingRow {
  const found = report.settings.find((r) => r.env === variable);
  if (!found) throw new Error(`no settings row for ${variable}`);
  return found;
}

function count(items: readonly string[], item: string): number {
  return items.filter((x) => x === item).length;
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
});

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('ktrdr config check: errors', () => {
  it('reports an invalid KTRDR_WORKER_PORT in the CONFIGURATION ERROR block and exits 1', () => {
    const { code, stderr } = runCli(['config', 'check', '--role', 'worker'], { KTRDR_WORKER_PORT: 'abc' });
    expect(code).toBe(1);
    expect(stderr).toContain('CONFIGURATION ERROR\n====================\nInvalid settings:\n');
    expect(stderr).toContain("  - KTRDR_WORKER_PORT: 'abc' is not a valid integer");
    expect(stderr).toContain('See: docs/configuration.md for all available settings');
  });

  it('reports several errors together, in one block', () => {
    const { code, stderr } = runCli(['config', 'check', '--role', 'worker'], {
      KTRDR_WORKER_PORT: 'abc',
      KTRDR_ORPHAN_TIMEOUT_SECONDS: '0',
    });
    expect(code).toBe(1);
    expect(stderr.match(/CONFIGURATION ERROR/g)).toHaveLength(1);
    const block = stderr.slice(stderr.indexOf('CONFIGURATION ERROR'));
    expect(block).toContain("  - KTRDR_WORKER_PORT: 'abc' is not a valid integer");
    expect(block).toContain("  - KTRDR_ORPHAN_TIMEOUT_SECONDS: must be between 0.1 and 2147483 (got '0')");
  });

  it('names the deprecated variable that held the bad value', () => {
    const { code, stderr } = runCli(['config', 'check', '--role', 'worker'], { WORKER_PORT: 'abc' });
    expect(code).toBe(1);
    expect(stderr).toContain("  - WORKER_PORT: 'abc' is not a valid integer");
    expect(stderr).not.toContain('  - KTRDR_WORKER_PORT:');
  });

  it('validates only the groups of the role', () => {
    const env = { KTRDR_API_PORT: 'abc' };
    expect(runCli(['config', 'check', '--role', 'worker'], env).code).toBe(0);
    const backend = runCli(['config', 'check', '--role', 'backend'], env);
    expect(backend.code).toBe(1);
    expect(backend.stderr).toContain("  - KTRDR_API_PORT: 'abc' is not a valid integer");
  });

  it('warns once on stderr about a deprecated name that works', () => {
    const { code, stderr } = runCli(['config', 'check', '--role', 'worker'], { WORKER_PORT: '5010' });
    expect(code).toBe(0);
    expect(stderr.match(/WORKER_PORT is deprecated, use KTRDR_WORKER_PORT/g)).toHaveLength(1);
  });

  it('exits 0 on a valid configuration, saying so on stdout (stderr is for problems)', () => {
    const { code, stdout, stderr } = runCli(['config', 'check'], { KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true' });
    expect(code).toBe(0);
    expect(stdout).toContain("Configuration is valid for role 'all'");
    expect(stderr).toBe('');
  });
});

describe('ktrdr config show --json', () => {
  it('reports a deprecated name as the source, with one deprecation warning', () => {
    const { code, report } = showJson({ WORKER_PORT: '5010' });
    expect(code).toBe(0);
    const port = report.settings.find((r) => r.group === 'worker' && r.field === 'port');
    expect(port).toMatchObject({ env: 'KTRDR_WORKER_PORT', value: 5010, default: 5003, source: 'env', source_name: 'WORKER_PORT' });
    expect(count(report.warnings, 'WORKER_PORT is deprecated, use KTRDR_WORKER_PORT')).toBe(1);
    expect(report.errors).toEqual([]);
  });

  it('has exactly the documented keys', () => {
    const { report } = showJson();
    expect(Object.keys(report).sort()).toEqual(['env', 'errors', 'role', 'settings', 'warnings']);
    expect(report.env).toBe('development');
    expect(report.role).toBe('all');
    const port = row(report, 'KTRDR_WORKER_PORT');
    expect(Object.keys(port).sort()).toEqual(
      ['default', 'deprecated_env', 'description', 'env', 'field', 'group', 'secret', 'source', 'source_file', 'source_name', 'type', 'value'].sort(),
    );
    expect(port).toMatchObject({
      group: 'worker',
      field: 'port',
      deprecated_env: ['WORKER_PORT'],
      type: 'int',
      value: 5003,
      default: 5003,
      source: 'default',
      source_name: null,
      secret: false,
    });
    expect(port.description).not.toBe('');
    expect(row(report, 'KTRDR_ORPHAN_TIMEOUT_SECONDS')).toMatchObject({ group: 'orphan_detector', field: 'timeout_seconds' });
    expect(row(report, 'KTRDR_OPS_CACHE_TTL')).toMatchObject({ group: 'operations', field: 'cache_ttl' });
    expect(new Set(report.settings.map((r) => r.group))).toEqual(
      new Set(['database', 'api', 'http', 'auth', 'logging', 'observability', 'api_client', 'worker', 'checkpoint', 'orphan_detector', 'operations', 'data']),
    );
  });

  it('still prints the JSON, with error rows, and exits 1 when there are errors', () => {
    const { code, report } = showJson({ KTRDR_WORKER_PORT: 'abc', ORPHAN_TIMEOUT_SECONDS: '-1' });
    expect(code).toBe(1);
    expect(report.errors).toHaveLength(2);
    for (const error of report.errors) expect(Object.keys(error).sort()).toEqual(['env', 'message', 'source_name', 'value']);
    expect(report.errors).toContainEqual({
      env: 'KTRDR_WORKER_PORT',
      source_name: 'KTRDR_WORKER_PORT',
      value: 'abc',
      message: "'abc' is not a valid integer",
    });
    expect(report.errors).toContainEqual(
      expect.objectContaining({ env: 'KTRDR_ORPHAN_TIMEOUT_SECONDS', source_name: 'ORPHAN_TIMEOUT_SECONDS', value: '-1' }),
    );
  });

  it('redacts secrets unless --show-secrets', () => {
    const env = { KTRDR_AUTH_JWT_SECRET: 'my-own-secret', KTRDR_DB_PASSWORD: 'hunter2' };
    const redacted = showJson(env);
    const jwt = row(redacted.report, 'KTRDR_AUTH_JWT_SECRET');
    expect(jwt).toMatchObject({ secret: true, value: '********', default: '********', source: 'env' });
    expect(row(redacted.report, 'KTRDR_DB_PASSWORD')).toMatchObject({ secret: true, value: '********', default: '********' });
    expect(JSON.stringify(redacted.report)).not.toContain('my-own-secret');
    expect(JSON.stringify(redacted.report)).not.toContain('hunter2');
    expect(JSON.stringify(redacted.report)).not.toContain(JWT_DEFAULT);

    const shown = showJson(env, ['--show-secrets']);
    expect(row(shown.report, 'KTRDR_AUTH_JWT_SECRET')).toMatchObject({ value: 'my-own-secret', default: JWT_DEFAULT });
    expect(row(shown.report, 'KTRDR_DB_PASSWORD')).toMatchObject({ value: 'hunter2', default: 'localdev' });
  });

  it('prints unset optionals as null and lists as arrays', () => {
    const { report } = showJson({ KTRDR_API_CORS_ORIGINS: 'a, b' });
    expect(row(report, 'KTRDR_WORKER_ID')).toMatchObject({ value: null, default: null, source: 'default', source_name: null });
    expect(row(report, 'KTRDR_OTEL_OTLP_ENDPOINT')).toMatchObject({ value: null, default: null });
    expect(row(report, 'KTRDR_API_CORS_ORIGINS')).toMatchObject({ type: 'list', value: ['a', 'b'], default: ['*'] });
  });

  it('shows only the groups of the requested role', () => {
    const { report } = showJson({}, ['--role', 'worker']);
    expect(report.role).toBe('worker');
    const groups = new Set(report.settings.map((r) => r.group));
    expect(groups.has('worker')).toBe(true);
    expect(groups.has('api')).toBe(false);
    expect(groups.has('data')).toBe(false);
  });

  it('lets the canonical name beat the deprecated one, and says the old one was ignored', () => {
    const { code, report } = showJson({ KTRDR_WORKER_PORT: '5011', WORKER_PORT: '5010' });
    expect(code).toBe(0);
    expect(row(report, 'KTRDR_WORKER_PORT')).toMatchObject({ value: 5011, source: 'env', source_name: 'KTRDR_WORKER_PORT' });
    const mentions = report.warnings.filter((w) => w.startsWith('WORKER_PORT '));
    expect(mentions).toHaveLength(1);
    expect(mentions[0]).toContain('ignored');
    expect(mentions[0]).toContain('KTRDR_WORKER_PORT');
    expect(report.warnings).not.toContain('WORKER_PORT is deprecated, use KTRDR_WORKER_PORT');
  });
});

describe('.env.local', () => {
  it('is read from the working directory, and the process environment beats it', () => {
    const cwd = freshDir();
    writeFileSync(join(cwd, '.env.local'), 'KTRDR_WORKER_PORT=6001\nKTRDR_API_PORT=8100\n');

    const fromFile = showJson({}, [], cwd).report;
    expect(row(fromFile, 'KTRDR_WORKER_PORT')).toMatchObject({ value: 6001, source: 'env-file', source_name: 'KTRDR_WORKER_PORT' });
    expect(row(fromFile, 'KTRDR_API_PORT')).toMatchObject({ value: 8100, source: 'env-file' });

    const overridden = showJson({ KTRDR_WORKER_PORT: '6002' }, [], cwd).report;
    expect(row(overridden, 'KTRDR_WORKER_PORT')).toMatchObject({ value: 6002, source: 'env', source_name: 'KTRDR_WORKER_PORT' });
    expect(row(overridden, 'KTRDR_API_PORT')).toMatchObject({ value: 8100, source: 'env-file' });
  });

  it('gives the process environment priority over the file whatever the names, and treats empty values as unset', () => {
    const cwd = freshDir();
    writeFileSync(join(cwd, '.env.local'), 'KTRDR_WORKER_PORT=6001\nWORKER_ID=from-file\n');

    const deprecatedInEnv = showJson({ WORKER_PORT: '5010' }, [], cwd).report;
    expect(row(deprecatedInEnv, 'KTRDR_WORKER_PORT')).toMatchObject({ value: 5010, source: 'env', source_name: 'WORKER_PORT' });
    expect(row(deprecatedInEnv, 'KTRDR_WORKER_ID')).toMatchObject({ value: 'from-file', source: 'env-file', source_name: 'WORKER_ID' });
    expect(count(deprecatedInEnv.warnings, 'WORKER_ID (in .env.local) is deprecated, use KTRDR_WORKER_ID')).toBe(1);

    const empty = showJson({ KTRDR_WORKER_PORT: '', KTRDR_WORKER_ID: '' }, [], cwd).report;
    expect(row(empty, 'KTRDR_WORKER_PORT')).toMatchObject({ value: 6001, source: 'env-file' });
    expect(row(empty, 'KTRDR_WORKER_ID')).toMatchObject({ value: 'from-file', source: 'env-file' });
  });

  it('is not read from another directory', () => {
    const withFile = freshDir();
    writeFileSync(join(withFile, '.env.local'), 'KTRDR_WORKER_PORT=6001\n');
    const { report } = showJson({}, [], freshDir());
    expect(row(report, 'KTRDR_WORKER_PORT')).toMatchObject({ value: 5003, source: 'default' });
  });
});

describe('.env', () => {
  it('is read after .env.local, and show, explain and the warnings name the file', () => {
    const cwd = freshDir();
    writeFileSync(join(cwd, '.env.local'), 'KTRDR_WORKER_PORT=6001\n');
    writeFileSync(join(cwd, '.env'), 'KTRDR_WORKER_PORT=6002\nKTRDR_API_PORT=8102\nWORKER_HEALTH_CHECK_FAILURES=7\n');

    const { code, report } = showJson({ KTRDR_API_PORT: '8103' }, [], cwd);
    expect(code).toBe(0);
    expect(row(report, 'KTRDR_WORKER_PORT')).toMatchObject({ value: 6001, source: 'env-file', source_file: '.env.local' });
    expect(row(report, 'KTRDR_API_PORT')).toMatchObject({ value: 8103, source: 'env', source_file: null });
    expect(row(report, 'KTRDR_WORKER_HEALTH_CHECK_FAILURES')).toMatchObject({
      value: 7,
      source: 'env-file',
      source_name: 'WORKER_HEALTH_CHECK_FAILURES',
      source_file: '.env',
    });
    expect(count(report.warnings, 'WORKER_HEALTH_CHECK_FAILURES (in .env) is deprecated, use KTRDR_WORKER_HEALTH_CHECK_FAILURES')).toBe(1);

    const table = runCli(['config', 'show'], {}, cwd).stdout;
    expect(table).toMatch(/KTRDR_API_PORT\s+8102\s+KTRDR_API_PORT \(\.env\)/);
    expect(table).toMatch(/KTRDR_WORKER_PORT\s+6001\s+KTRDR_WORKER_PORT \(\.env\.local\)/);
    expect(runCli(['config', 'explain', 'KTRDR_API_PORT'], {}, cwd).stdout).toContain('comes from:  KTRDR_API_PORT in .env');
  });
});

describe('settings that used to validate and then break the process', () => {
  it('are refused by config check, each naming the variable, the value and the rule', () => {
    const { code, stderr } = runCli(['config', 'check'], {
      KTRDR_API_CLIENT_TIMEOUT: '1.0005',
      KTRDR_WORKER_HEARTBEAT_INTERVAL: '1e-320',
      KTRDR_ORPHAN_CHECK_INTERVAL_SECONDS: '2147484',
      KTRDR_AUTH_TOKEN_EXPIRE_MINUTES: '100000000000000000000',
      KTRDR_CHECKPOINT_EPOCH_INTERVAL: '2.5',
      KTRDR_AUTH_JWT_ALGORITHM: 'HS512',
    });
    expect(code).toBe(1);
    for (const line of [
      "  - KTRDR_API_CLIENT_TIMEOUT: must be a whole number of milliseconds (at most 3 decimal places) (got '1.0005')",
      "  - KTRDR_WORKER_HEARTBEAT_INTERVAL: must be between 0.1 and 3600 (got '1e-320')",
      "  - KTRDR_ORPHAN_CHECK_INTERVAL_SECONDS: must be between 0.1 and 3600 (got '2147484')",
      "  - KTRDR_AUTH_TOKEN_EXPIRE_MINUTES: '100000000000000000000' is not a valid integer",
      "  - KTRDR_CHECKPOINT_EPOCH_INTERVAL: '2.5' is not a valid integer",
      "  - KTRDR_AUTH_JWT_ALGORITHM: 'HS512' is not supported: ktrdr signs and checks tokens with HS256 only",
    ]) {
      expect(stderr).toContain(line);
    }
  });

  it('the parity settings have their defaults and accept their values', () => {
    const { code, report } = showJson({
      KTRDR_API_CORS_ALLOW_METHODS: '*',
      KTRDR_API_LOG_LEVEL: 'debug',
      KTRDR_LOG_JSON_OUTPUT: 'true',
      KTRDR_AUTH_JWT_ALGORITHM: 'hs256',
    });
    expect(code).toBe(0);
    expect(row(report, 'KTRDR_API_CORS_ALLOW_METHODS').value).toEqual(['*']);
    expect(row(report, 'KTRDR_API_CORS_ALLOW_HEADERS').value).toEqual(['authorization', 'content-type']);
    expect(row(report, 'KTRDR_API_CORS_ALLOW_CREDENTIALS').value).toBe(false);
    expect(row(report, 'KTRDR_API_CORS_MAX_AGE').value).toBe(600);
    expect(row(report, 'KTRDR_API_LOG_LEVEL').value).toBe('DEBUG');
    expect(row(report, 'KTRDR_LOG_JSON_OUTPUT').value).toBe(true);
    expect(row(report, 'KTRDR_AUTH_JWT_ALGORITHM').value).toBe('HS256');
    expect(row(report, 'KTRDR_OTEL_CONSOLE_OUTPUT').value).toBe(false);
  });
});

describe('a weak KTRDR_AUTH_JWT_SECRET through ktrdr config check', () => {
  it('is refused in production, with its length and never its value', () => {
    const { code, stderr } = runCli(['config', 'check'], { KTRDR_ENV: 'production', KTRDR_AUTH_JWT_SECRET: 'a' });
    expect(code).toBe(1);
    expect(stderr).toContain(
      '  - KTRDR_AUTH_JWT_SECRET: is 1 byte long; at least 32 bytes are needed, which is refused in production (KTRDR_ENV=production)',
    );
  });

  it('is refused in production when it is a well-known placeholder', () => {
    const { code, stderr } = runCli(['config', 'check'], { KTRDR_ENV: 'production', KTRDR_AUTH_JWT_SECRET: 'your-256-bit-secret' });
    expect(code).toBe(1);
    expect(stderr).toContain('  - KTRDR_AUTH_JWT_SECRET: is a well-known placeholder, not a secret, which is refused in production');
    expect(stderr).not.toContain('your-256-bit-secret');
  });

  it('is warned about in development', () => {
    const { code, stderr } = runCli(['config', 'check'], { KTRDR_AUTH_JWT_SECRET: 'short' });
    expect(code).toBe(0);
    expect(stderr).toContain('WARNING: INSECURE DEFAULT CONFIGURATION');
    expect(stderr).toContain('KTRDR_AUTH_JWT_SECRET is 5 bytes long; at least 32 bytes are needed');
  });
});

describe('insecure defaults through ktrdr config check', () => {
  const BOX = 'WARNING: INSECURE DEFAULT CONFIGURATION';

  it('warns in development and test, unless acknowledged', () => {
    const development = runCli(['config', 'check']);
    expect(development.code).toBe(0);
    expect(development.stderr).toContain(BOX);
    expect(development.stderr).toContain('KTRDR_AUTH_JWT_SECRET');

    const test = runCli(['config', 'check'], { KTRDR_ENV: 'test' });
    expect(test.code).toBe(0);
    expect(test.stderr).toContain(BOX);

    const acknowledged = runCli(['config', 'check'], { KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true' });
    expect(acknowledged.code).toBe(0);
    expect(acknowledged.stderr).not.toContain(BOX);
  });

  it('refuses the default JWT secret in production', () => {
    const { code, stderr } = runCli(['config', 'check'], { KTRDR_ENV: 'production' });
    expect(code).toBe(1);
    expect(stderr).toContain('CONFIGURATION ERROR');
    const line = stderr.split('\n').find((l) => l.startsWith('  - KTRDR_AUTH_JWT_SECRET:'));
    expect(line).toBeDefined();
    expect(line).toContain('insecure');
    expect(line).toContain('production');
    expect(stderr).not.toContain(BOX);

    const acknowledged = runCli(['config', 'check'], { KTRDR_ENV: 'production', KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true' });
    expect(acknowledged.code).toBe(1);
    expect(acknowledged.stderr).toContain('  - KTRDR_AUTH_JWT_SECRET:');
  });

  it('passes in production with a JWT secret and the pglite driver (its default password does not count)', () => {
    const { code, stderr } = runCli(['config', 'check'], {
      KTRDR_ENV: 'production',
      KTRDR_AUTH_JWT_SECRET: 'a-real-secret-of-at-least-32-bytes',
      KTRDR_DB_DRIVER: 'pglite',
    });
    expect(code).toBe(0);
    expect(stderr).not.toContain('CONFIGURATION ERROR');
    expect(stderr).not.toContain(BOX);
  });

  it('refuses the default database password in production with the postgres driver', () => {
    const { code, stderr } = runCli(['config', 'check'], {
      KTRDR_ENV: 'production',
      KTRDR_AUTH_JWT_SECRET: 'a-real-secret-of-at-least-32-bytes',
      KTRDR_DB_DRIVER: 'postgres',
    });
    expect(code).toBe(1);
    const line = stderr.split('\n').find((l) => l.startsWith('  - KTRDR_DB_PASSWORD:'));
    expect(line).toBeDefined();
    expect(line).toContain('insecure');
    expect(line).toContain('production');
    expect(stderr).not.toContain('  - KTRDR_AUTH_JWT_SECRET:');

    const withPassword = runCli(['config', 'check'], {
      KTRDR_ENV: 'production',
      KTRDR_AUTH_JWT_SECRET: 'a-real-secret-of-at-least-32-bytes',
      KTRDR_DB_DRIVER: 'postgres',
      KTRDR_DB_PASSWORD: 'a-real-password',
    });
    expect(withPassword.code).toBe(0);
  });

  it('refuses an unknown KTRDR_ENV', () => {
    const { code, stderr } = runCli(['config', 'check'], { KTRDR_ENV: 'staging' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^ {2}- KTRDR_ENV: .*'staging'/m);
  });

  it('honours the deprecated ENVIRONMENT name', () => {
    const refused = runCli(['config', 'check'], { ENVIRONMENT: 'production' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('WARNING: ENVIRONMENT is deprecated, use KTRDR_ENV');
    expect(refused.stderr).toContain('  - KTRDR_AUTH_JWT_SECRET:');

    const { code, report } = showJson({ ENVIRONMENT: 'production', KTRDR_AUTH_JWT_SECRET: 'a-real-secret-of-at-least-32-bytes' });
    expect(code).toBe(0);
    expect(report.env).toBe('production');
  });
});

describe('unknown variables', () => {
  it('suggests the closest known name for a typo', () => {
    const { code, stderr } = runCli(['config', 'check'], { KTRDR_WROKER_PORT: '5004' });
    expect(code).toBe(0);
    const line = stderr.split('\n').find((l) => l.includes('KTRDR_WROKER_PORT'));
    expect(line).toContain('did you mean KTRDR_WORKER_PORT?');
  });

  it('points the removed KTRDR_WORKER_BACKEND_URL at KTRDR_API_CLIENT_BASE_URL', () => {
    const { code, stderr } = runCli(['config', 'check', '--role', 'worker'], { KTRDR_WORKER_BACKEND_URL: 'http://backend:8000' });
    expect(code).toBe(0);
    const line = stderr.split('\n').find((l) => l.includes('KTRDR_WORKER_BACKEND_URL'));
    expect(line).toContain('KTRDR_API_CLIENT_BASE_URL');
  });

  it('is reported in the JSON warnings too', () => {
    const { report } = showJson({ KTRDR_WROKER_PORT: '5004' });
    expect(report.warnings.filter((w) => w.includes('KTRDR_WROKER_PORT'))).toEqual([
      expect.stringContaining('did you mean KTRDR_WORKER_PORT?'),
    ]);
  });
});

describe('ktrdr config explain', () => {
  it('explains a canonical variable: rule, default, deprecated names and origin', () => {
    const { code, stdout } = runCli(['config', 'explain', 'KTRDR_WORKER_PORT']);
    expect(code).toBe(0);
    expect(stdout).toContain('KTRDR_WORKER_PORT');
    expect(stdout).toMatch(/rule: 1\.\.65535/);
    expect(stdout).toMatch(/default: +5003/);
    expect(stdout).toMatch(/deprecated: +WORKER_PORT/);
    expect(stdout).toContain('the default');
  });

  it('explains a deprecated name, and where the value comes from', () => {
    const { code, stdout } = runCli(['config', 'explain', 'WORKER_PORT'], { WORKER_PORT: '5010' });
    expect(code).toBe(0);
    expect(stdout).toContain('WORKER_PORT is a deprecated name of KTRDR_WORKER_PORT');
    expect(stdout).toMatch(/rule: 1\.\.65535/);
    expect(stdout).toMatch(/default: +5003/);
    expect(stdout).toMatch(/value: +5010/);
    expect(stdout).toMatch(/comes from: +WORKER_PORT/);
  });

  it('gives source_name in --json', () => {
    const { code, stdout } = runCli(['config', 'explain', 'WORKER_PORT', '--json'], { WORKER_PORT: '5010' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      env: 'KTRDR_WORKER_PORT',
      value: 5010,
      default: 5003,
      source: 'env',
      source_name: 'WORKER_PORT',
      deprecated_env: ['WORKER_PORT'],
    });
  });

  it('redacts a secret', () => {
    const { stdout } = runCli(['config', 'explain', 'KTRDR_AUTH_JWT_SECRET', '--json'], { KTRDR_AUTH_JWT_SECRET: 'my-own-secret' });
    expect(JSON.parse(stdout)).toMatchObject({ value: '********', default: '********', source_name: 'KTRDR_AUTH_JWT_SECRET' });
    expect(stdout).not.toContain('my-own-secret');
  });

  it('exits 2 with a suggestion for an unknown name', () => {
    const { code, stdout, stderr } = runCli(['config', 'explain', 'KTRDR_WORKER_PROT']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('KTRDR_WORKER_PROT');
    expect(stderr).toContain('did you mean KTRDR_WORKER_PORT?');
  });
});

describe('ktrdr config docs', () => {
  it('--check passes on the committed docs', () => {
    const { code, stderr } = runCli(['config', 'docs', '--check'], {}, REPO_ROOT);
    expect(stderr).not.toContain('stale');
    expect(code).toBe(0);
  });

  it('--check fails before generation and passes after it', () => {
    const dir = freshDir();
    const before = runCli(['config', 'docs', '--check', '--dir', dir]);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('docs/configuration.md');
    expect(before.stderr).toContain('.env.example');
    expect(existsSync(join(dir, 'docs', 'configuration.md'))).toBe(false);

    const write = runCli(['config', 'docs', '--write', '--dir', dir]);
    expect(write.code).toBe(0);
    expect(write.stdout).toBe('wrote docs/configuration.md\nwrote .env.example\n');
    expect(existsSync(join(dir, 'docs', 'configuration.md'))).toBe(true);
    expect(existsSync(join(dir, '.env.example'))).toBe(true);

    const after = runCli(['config', 'docs', '--check', '--dir', dir]);
    expect(after.code).toBe(0);

    writeFileSync(join(dir, '.env.example'), '# edited by hand\n');
    const edited = runCli(['config', 'docs', '--check', '--dir', dir]);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain('.env.example');
  });

  it('without --write prints the reference (or .env.example) to stdout and writes nothing, even over a .env.example', () => {
    const dir = freshDir();
    writeFileSync(join(dir, '.env.example'), '# the user\'s own\n');
    const printed = runCli(['config', 'docs', '--dir', dir], {}, dir);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('<!-- Generated by `ktrdr config docs --write`');
    expect(printed.stdout).toContain('KTRDR_WORKER_HOST');
    const env = runCli(['config', 'docs', '--env-example'], {}, dir);
    expect(env.stdout).toContain('# KTRDR_WORKER_HOST=0.0.0.0');
    expect(readFileSync(join(dir, '.env.example'), 'utf8')).toBe('# the user\'s own\n');
    expect(existsSync(join(dir, 'docs'))).toBe(false);
  });
});

describe('command line', () => {
  it('--help works whatever the environment holds', () => {
    const broken = { KTRDR_WORKER_PORT: 'abc', KTRDR_ENV: 'staging' };
    const top = runCli(['--help'], broken);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('config');
    expect(top.stderr).not.toContain('CONFIGURATION ERROR');

    for (const args of [['config', '--help'], ['config', 'check', '--help'], ['config', 'show', '--help']]) {
      const result = runCli(args, broken);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toContain('Usage:');
    }
  });

  it('exits 2 on an unknown option or role', () => {
    const option = runCli(['config', 'show', '--bogus']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--bogus'");

    const role = runCli(['config', 'check', '--role', 'bogus']);
    expect(role.code).toBe(2);
  });
});
