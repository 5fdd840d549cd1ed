/**
 * The catalogue against docs/architecture.md §3.2, row by row, through the real getters and
 * the process environment (as the processes use them).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GROUPS, ROLE_GROUPS } from '../../src/config/catalogue.js';
import { knownVariableNames } from '../../src/config/inspect.js';
import * as settings from '../../src/config/settings.js';
import { describeGroup } from '../../src/settings-engine/index.js';

type Row = [group: string, env: string, defaultValue: unknown, deprecated: string[], sample: string, sampleValue: unknown];

/**
 * docs/architecture.md §3.2, and the names added for parity with the earlier ktrdr (CORS details, JWT algorithm, JSON logs,
 * OTel console output, the API log level, the WORKER_HEALTH_* names): group, variable, default, deprecated names,
 * and a valid non-default value.
 */
const DESIGN: Row[] = [
  ['database', 'KTRDR_DB_DRIVER', 'pglite', [], 'postgres', 'postgres'],
  ['database', 'KTRDR_DB_DIR', './data/db', [], '/tmp/db', '/tmp/db'],
  ['database', 'KTRDR_DB_HOST', 'localhost', ['DB_HOST'], 'db.example', 'db.example'],
  ['database', 'KTRDR_DB_PORT', 5432, ['DB_PORT'], '6543', 6543],
  ['database', 'KTRDR_DB_NAME', 'ktrdr', ['DB_NAME'], 'other', 'other'],
  ['database', 'KTRDR_DB_USER', 'ktrdr', ['DB_USER'], 'me', 'me'],
  ['database', 'KTRDR_DB_PASSWORD', 'localdev', ['DB_PASSWORD'], 's3cret', 's3cret'],
  ['database', 'KTRDR_DB_ECHO', false, ['DB_ECHO'], 'yes', true],
  ['api', 'KTRDR_API_HOST', '127.0.0.1', [], '0.0.0.0', '0.0.0.0'],
  ['api', 'KTRDR_API_PORT', 8000, [], '8080', 8080],
  ['api', 'KTRDR_API_CORS_ORIGINS', ['*'], [], 'http://a,http://b', ['http://a', 'http://b']],
  ['api', 'KTRDR_API_CORS_ALLOW_CREDENTIALS', false, [], 'true', true],
  ['api', 'KTRDR_API_CORS_ALLOW_METHODS', ['GET', 'POST', 'DELETE'], [], '["GET","OPTIONS"]', ['GET', 'OPTIONS']],
  ['api', 'KTRDR_API_CORS_ALLOW_HEADERS', ['authorization', 'content-type'], [], '*', ['*']],
  ['api', 'KTRDR_API_CORS_MAX_AGE', 600, [], '60', 60],
  ['api', 'KTRDR_API_LOG_LEVEL', null, [], 'info', 'INFO'],
  ['http', 'KTRDR_HTTP_MAX_UPLOAD_MB', 8, [], '32', 32],
  ['auth', 'KTRDR_AUTH_JWT_SECRET', 'local-dev-secret-do-not-use-in-production', ['JWT_SECRET'], 'x'.repeat(40), 'x'.repeat(40)],
  ['auth', 'KTRDR_AUTH_JWT_ALGORITHM', 'HS256', [], 'hs256', 'HS256'],
  ['auth', 'KTRDR_AUTH_TOKEN_EXPIRE_MINUTES', 60, [], '5', 5],
  ['logging', 'KTRDR_LOG_LEVEL', 'INFO', ['LOG_LEVEL', 'KTRDR_LOGGING_LEVEL'], 'debug', 'DEBUG'],
  ['logging', 'KTRDR_LOG_FORMAT', 'text', ['KTRDR_LOGGING_FORMAT'], 'json', 'json'],
  ['logging', 'KTRDR_LOG_JSON_OUTPUT', false, [], 'true', true],
  ['observability', 'KTRDR_OTEL_ENABLED', false, [], 'true', true],
  ['observability', 'KTRDR_OTEL_OTLP_ENDPOINT', null, ['OTLP_ENDPOINT'], 'http://otel:4318', 'http://otel:4318'],
  ['observability', 'KTRDR_OTEL_SERVICE_NAME', 'ktrdr', [], 'svc', 'svc'],
  ['observability', 'KTRDR_OTEL_CONSOLE_OUTPUT', false, [], 'yes', true],
  ['observability', 'KTRDR_OTEL_METRIC_EXPORT_INTERVAL', 15, [], '0.5', 0.5],
  ['api_client', 'KTRDR_API_CLIENT_BASE_URL', 'http://localhost:8000/api/v1', ['KTRDR_API_URL'], 'http://b:9/api/v1', 'http://b:9/api/v1'],
  ['api_client', 'KTRDR_API_CLIENT_FALLBACK_URLS', [], [], 'http://b2:9/api/v1,http://b3:9/api/v1', ['http://b2:9/api/v1', 'http://b3:9/api/v1']],
  ['api_client', 'KTRDR_API_CLIENT_TIMEOUT', 30, [], '2.5', 2.5],
  ['api_client', 'KTRDR_API_CLIENT_MAX_RETRIES', 3, [], '0', 0],
  ['api_client', 'KTRDR_API_CLIENT_RETRY_DELAY', 1, [], '0', 0],
  ['worker', 'KTRDR_WORKER_ID', null, ['WORKER_ID'], 'w-1', 'w-1'],
  ['worker', 'KTRDR_WORKER_PORT', 5003, ['WORKER_PORT'], '5010', 5010],
  ['worker', 'KTRDR_WORKER_HOST', '0.0.0.0', [], '127.0.0.1', '127.0.0.1'],
  ['worker', 'KTRDR_WORKER_HEARTBEAT_INTERVAL', 30, [], '5', 5],
  ['worker', 'KTRDR_WORKER_REGISTRATION_TIMEOUT', 10, [], '3', 3],
  ['worker', 'KTRDR_WORKER_ENDPOINT_URL', null, ['WORKER_ENDPOINT_URL'], 'http://h:5003', 'http://h:5003'],
  ['worker', 'KTRDR_WORKER_PUBLIC_BASE_URL', null, ['WORKER_PUBLIC_BASE_URL'], 'https://w.example', 'https://w.example'],
  ['worker', 'KTRDR_WORKER_HEALTH_CHECK_INTERVAL', 10, ['WORKER_HEALTH_CHECK_INTERVAL'], '2', 2],
  ['worker', 'KTRDR_WORKER_HEALTH_CHECK_TIMEOUT', 5, ['WORKER_HEALTH_CHECK_TIMEOUT'], '1', 1],
  ['worker', 'KTRDR_WORKER_HEALTH_CHECK_FAILURES', 3, ['WORKER_HEALTH_CHECK_FAILURES'], '1', 1],
  ['worker', 'KTRDR_WORKER_REMOVAL_THRESHOLD', 300, ['WORKER_REMOVAL_THRESHOLD'], '60', 60],
  ['checkpoint', 'KTRDR_CHECKPOINT_EPOCH_INTERVAL', 10, ['CHECKPOINT_EPOCH_INTERVAL'], '3', 3],
  ['checkpoint', 'KTRDR_CHECKPOINT_TIME_INTERVAL_SECONDS', 300, ['CHECKPOINT_TIME_INTERVAL_SECONDS'], '60', 60],
  ['checkpoint', 'KTRDR_CHECKPOINT_DIR', './data/checkpoints', ['CHECKPOINT_DIR'], '/cp', '/cp'],
  ['checkpoint', 'KTRDR_CHECKPOINT_MAX_AGE_DAYS', 30, ['CHECKPOINT_MAX_AGE_DAYS'], '2', 2],
  ['orphan_detector', 'KTRDR_ORPHAN_TIMEOUT_SECONDS', 60, ['ORPHAN_TIMEOUT_SECONDS'], '5', 5],
  ['orphan_detector', 'KTRDR_ORPHAN_CHECK_INTERVAL_SECONDS', 15, ['ORPHAN_CHECK_INTERVAL_SECONDS'], '1', 1],
  ['operations', 'KTRDR_OPS_CACHE_TTL', 1, ['OPERATIONS_CACHE_TTL'], '0', 0],
  ['operations', 'KTRDR_OPS_MAX_OPERATIONS', 10000, [], '50', 50],
  ['operations', 'KTRDR_OPS_CLEANUP_INTERVAL_SECONDS', 3600, [], '60', 60],
  ['operations', 'KTRDR_OPS_RETENTION_DAYS', 7, [], '1', 1],
  ['data', 'KTRDR_DATA_DIR', './data', ['DATA_DIR'], '/d', '/d'],
  ['data', 'KTRDR_DATA_MODELS_DIR', './data/models', ['MODELS_DIR'], '/m', '/m'],
  ['data', 'KTRDR_DATA_STRATEGIES_DIR', './strategies', ['STRATEGIES_DIR'], '/s', '/s'],
];

const GETTERS: Record<string, () => Readonly<Record<string, unknown>>> = {
  database: settings.getDatabaseSettings,
  api: settings.getApiSettings,
  http: settings.getHttpSettings,
  auth: settings.getAuthSettings,
  logging: settings.getLoggingSettings,
  observability: settings.getObservabilitySettings,
  api_client: settings.getApiClientSettings,
  worker: settings.getWorkerSettings,
  checkpoint: settings.getCheckpointSettings,
  orphan_detector: settings.getOrphanDetectorSettings,
  operations: settings.getOperationsSettings,
  data: settings.getDataSettings,
};

/** The field of a variable, read through its group's getter. */
function read(env: string): unknown {
  const row = DESIGN.find((r) => r[1] === env);
  if (!row) throw new Error(`no row for ${env}`);
  const group = GROUPS.find((g) => g.name === row[0]);
  const key = Object.entries(group?.variables ?? {}).find(([, v]) => v === env)?.[0];
  return (GETTERS[row[0]]?.() as Record<string, unknown>)[key as string];
}

const STRONG_SECRET = 'b7f0c2d9e4a1f6b3c8d5e2a9f4b1c6d3';

const savedEnv = { ...process.env };
const savedCwd = process.cwd();

beforeEach(() => {
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('KTRDR_') || knownVariableNames().includes(name)) delete process.env[name];
  }
  process.chdir(mkdtempSync(join(tmpdir(), 'ktrdr-cat-')));
  settings.clearSettingsCache();
});

afterEach(() => {
  process.env = { ...savedEnv };
  process.chdir(savedCwd);
  settings.clearSettingsCache();
});

describe('catalogue matches docs/architecture.md §3.2', () => {
  it('has exactly the variables of the design, group by group', () => {
    const actual = GROUPS.flatMap((g) => describeGroup(g).map((d) => [g.name, d.env, [...d.deprecatedEnv]]));
    expect(actual).toEqual(DESIGN.map(([group, env, , deprecated]) => [group, env, deprecated]));
  });

  it('has no worker backend_url: the API client base URL is the only backend URL', () => {
    expect(Object.keys(settings.getWorkerSettings())).not.toContain('backendUrl');
  });

  it('roles validate the groups of the design', () => {
    expect(ROLE_GROUPS.worker.map((g) => g.name).sort()).toEqual(
      ['database', 'logging', 'observability', 'worker', 'checkpoint', 'orphan_detector', 'operations', 'api_client', 'auth', 'http'].sort(),
    );
    expect(ROLE_GROUPS.backend).toEqual(GROUPS);
    expect(ROLE_GROUPS.all).toEqual(GROUPS);
  });
});

describe.each(DESIGN)('%s %s', (_group, env, defaultValue, deprecated, sample, sampleValue) => {
  it('defaults as designed', () => {
    expect(read(env)).toEqual(defaultValue);
  });

  it('is overridden by its canonical variable', () => {
    process.env[env] = sample;
    expect(read(env)).toEqual(sampleValue);
  });

  it.each(deprecated.map((name) => [name]))('still honours %s, with one warning', (name) => {
    process.env[name] = sample;
    expect(read(env)).toEqual(sampleValue);
    const given: string[] = [];
    settings.warnDeprecatedEnvVars((m) => given.push(m));
    settings.warnDeprecatedEnvVars((m) => given.push(m));
    expect(given).toEqual([`${name} is deprecated, use ${env}`]);
  });

  it.each(deprecated.map((name) => [name]))('prefers %s canonical name and says the old one was ignored', (name) => {
    process.env[name] = 'ignored-value';
    process.env[env] = sample;
    expect(read(env)).toEqual(sampleValue);
    const given: string[] = [];
    settings.warnDeprecatedEnvVars((m) => given.push(m));
    expect(given).toHaveLength(1);
    expect(given[0]).toMatch(new RegExp(`^${name} is deprecated and was ignored because ${env} is set`));
  });
});

describe('rules', () => {
  const rejects: [string, string, string][] = [
    ['KTRDR_WORKER_PORT', 'abc', "'abc' is not a valid integer"],
    ['KTRDR_WORKER_PORT', '0', "must be between 1 and 65535 (got '0')"],
    ['KTRDR_WORKER_PORT', '65536', "must be between 1 and 65535 (got '65536')"],
    ['KTRDR_WORKER_PORT', '5.5', "'5.5' is not a valid integer"],
    ['KTRDR_CHECKPOINT_EPOCH_INTERVAL', '0', "must be between 1 and 1000000 (got '0')"],
    ['KTRDR_ORPHAN_TIMEOUT_SECONDS', '-1', "must be between 0.1 and 2147483 (got '-1')"],
    ['KTRDR_ORPHAN_TIMEOUT_SECONDS', '0', "must be between 0.1 and 2147483 (got '0')"],
    ['KTRDR_OPS_CACHE_TTL', '-0.5', "must be between 0 and 3600 (got '-0.5')"],
    ['KTRDR_API_CLIENT_TIMEOUT', '0', "must be between 0.1 and 3600 (got '0')"],
    ['KTRDR_API_CLIENT_MAX_RETRIES', '-1', "must be between 0 and 100 (got '-1')"],
    ['KTRDR_LOG_LEVEL', 'verbose', "'verbose' is not one of: DEBUG, INFO, WARNING, ERROR, CRITICAL"],
    ['KTRDR_DB_DRIVER', 'sqlite', "'sqlite' is not one of: pglite, postgres"],
    ['KTRDR_API_CLIENT_BASE_URL', 'localhost:8000', "'localhost:8000' is not a valid http(s) URL"],
    ['KTRDR_API_CLIENT_FALLBACK_URLS', 'http://b2:9,b3:9', "must list http(s) URLs (got 'http://b2:9,b3:9')"],
    ['KTRDR_DB_ECHO', 'sometimes', "'sometimes' is not a valid boolean (use true/false, 1/0, yes/no or on/off)"],
    // Values that used to validate and then broke the process.
    ['KTRDR_WORKER_HEARTBEAT_INTERVAL', '1e-320', "must be between 0.1 and 3600 (got '1e-320')"],
    ['KTRDR_WORKER_HEARTBEAT_INTERVAL', '0.05', "must be between 0.1 and 3600 (got '0.05')"],
    ['KTRDR_ORPHAN_TIMEOUT_SECONDS', '2147484', "must be between 0.1 and 2147483 (got '2147484')"],
    ['KTRDR_OPS_CLEANUP_INTERVAL_SECONDS', '3000000', "must be between 0.1 and 86400 (got '3000000')"],
    ['KTRDR_CHECKPOINT_TIME_INTERVAL_SECONDS', '1e9', "must be between 0.1 and 2147483 (got '1e9')"],
    ['KTRDR_API_CLIENT_TIMEOUT', '1.0005', "must be a whole number of milliseconds (at most 3 decimal places) (got '1.0005')"],
    ['KTRDR_WORKER_HEALTH_CHECK_TIMEOUT', '0.0001', "must be a whole number of milliseconds (at most 3 decimal places) (got '0.0001')"],
    ['KTRDR_OPS_CACHE_TTL', '0.5005', "must be a whole number of milliseconds (at most 3 decimal places) (got '0.5005')"],
    ['KTRDR_AUTH_TOKEN_EXPIRE_MINUTES', '100000000000000000000', "'100000000000000000000' is not a valid integer"],
    ['KTRDR_AUTH_TOKEN_EXPIRE_MINUTES', '525601', "must be between 1 and 525600 (got '525601')"],
    ['KTRDR_OPS_MAX_OPERATIONS', '2.5', "'2.5' is not a valid integer"],
    ['KTRDR_WORKER_HEALTH_CHECK_FAILURES', '2.5', "'2.5' is not a valid integer"],
    ['KTRDR_API_CLIENT_MAX_RETRIES', '101', "must be between 0 and 100 (got '101')"],
    ['KTRDR_API_CLIENT_RETRY_DELAY', '61', "must be between 0 and 60 (got '61')"],
    ['KTRDR_CHECKPOINT_EPOCH_INTERVAL', '2.5', "'2.5' is not a valid integer"],
    // Parity settings.
    ['KTRDR_AUTH_JWT_ALGORITHM', 'HS512', "'HS512' is not supported: ktrdr signs and checks tokens with HS256 only"],
    ['KTRDR_API_CORS_ALLOW_METHODS', 'GET,FETCH', "must list HTTP methods (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS) or * (got 'GET,FETCH')"],
    ['KTRDR_API_CORS_ALLOW_HEADERS', 'x-ok,bad header', "must list HTTP header names or * (got 'x-ok,bad header')"],
    ['KTRDR_API_CORS_MAX_AGE', '-1', "must be between 0 and 86400 (got '-1')"],
    ['KTRDR_API_LOG_LEVEL', 'verbose', "'verbose' is not one of: DEBUG, INFO, WARNING, ERROR, CRITICAL"],
    ['KTRDR_LOG_JSON_OUTPUT', 'maybe', "'maybe' is not a valid boolean (use true/false, 1/0, yes/no or on/off)"],
    ['KTRDR_OTEL_CONSOLE_OUTPUT', '2', "'2' is not a valid boolean (use true/false, 1/0, yes/no or on/off)"],
  ];

  it.each([
    ['KTRDR_WORKER_HEARTBEAT_INTERVAL', '0.1', 0.1],
    ['KTRDR_WORKER_HEARTBEAT_INTERVAL', '3600', 3600],
    ['KTRDR_API_CLIENT_TIMEOUT', '1.001', 1.001],
    ['KTRDR_ORPHAN_TIMEOUT_SECONDS', '2147483', 2147483],
    ['KTRDR_AUTH_TOKEN_EXPIRE_MINUTES', '525600', 525600],
  ])('%s=%s is accepted at the bound', (env, raw, value) => {
    process.env[env] = raw;
    expect(read(env)).toBe(value);
  });

  it.each(rejects)('%s=%s is rejected', (env, raw, message) => {
    process.env[env] = raw;
    expect(() => read(env)).toThrow(message);
    expect(() => settings.validateAll('all', () => {})).toThrow(`  - ${env}: ${message}`);
  });

  it('accepts KTRDR_OPS_CACHE_TTL=0 (no caching)', () => {
    process.env.KTRDR_OPS_CACHE_TTL = '0';
    expect(settings.getOperationsSettings().cacheTtl).toBe(0);
  });

  it('accepts a log level in any case', () => {
    process.env.KTRDR_LOG_LEVEL = 'warning';
    expect(settings.getLoggingSettings().level).toBe('WARNING');
  });
});

describe('.env.local', () => {
  it('is read from the working directory, after the environment', () => {
    writeFileSync('.env.local', 'KTRDR_WORKER_PORT=5020\nKTRDR_API_PORT=8100\nORPHAN_TIMEOUT_SECONDS=9\n');
    process.env.KTRDR_API_PORT = '8200';
    expect(settings.getWorkerSettings().port).toBe(5020);
    expect(settings.getApiSettings().port).toBe(8200);
    expect(settings.getOrphanDetectorSettings().timeoutSeconds).toBe(9);
    const given: string[] = [];
    settings.warnDeprecatedEnvVars((m) => given.push(m));
    expect(given).toEqual(['ORPHAN_TIMEOUT_SECONDS (in .env.local) is deprecated, use KTRDR_ORPHAN_TIMEOUT_SECONDS']);
  });
});

describe('.env', () => {
  it('is read after .env.local: each value comes from the first place that sets it', () => {
    writeFileSync('.env.local', 'KTRDR_WORKER_PORT=5020\n');
    writeFileSync('.env', 'KTRDR_WORKER_PORT=5021\nKTRDR_API_PORT=8101\nKTRDR_OPS_RETENTION_DAYS=3\nWORKER_REMOVAL_THRESHOLD=90\n');
    process.env.KTRDR_OPS_RETENTION_DAYS = '4';
    expect(settings.getWorkerSettings().port).toBe(5020);
    expect(settings.getApiSettings().port).toBe(8101);
    expect(settings.getOperationsSettings().retentionDays).toBe(4);
    expect(settings.getWorkerSettings().removalThreshold).toBe(90);
    const given: string[] = [];
    settings.warnDeprecatedEnvVars((m) => given.push(m));
    expect(given).toEqual(['WORKER_REMOVAL_THRESHOLD (in .env) is deprecated, use KTRDR_WORKER_REMOVAL_THRESHOLD']);
  });

  it('a bad value in .env is reported like any other', () => {
    writeFileSync('.env', 'KTRDR_WORKER_HEARTBEAT_INTERVAL=1.0005\n');
    expect(() => settings.validateAll('worker', () => {})).toThrow(
      "  - KTRDR_WORKER_HEARTBEAT_INTERVAL: must be a whole number of milliseconds (at most 3 decimal places) (got '1.0005')",
    );
  });
});

describe('cached getters', () => {
  it('return the same frozen object until clearSettingsCache()', () => {
    process.env.KTRDR_WORKER_PORT = '5030';
    const first = settings.getWorkerSettings();
    expect(Object.isFrozen(first)).toBe(true);
    process.env.KTRDR_WORKER_PORT = '5031';
    expect(settings.getWorkerSettings()).toBe(first);
    expect(settings.getWorkerSettings().port).toBe(5030);
    settings.clearSettingsCache();
    expect(settings.getWorkerSettings()).not.toBe(first);
    expect(settings.getWorkerSettings().port).toBe(5031);
  });

  it('read nothing at import: an invalid environment only fails when asked', () => {
    process.env.KTRDR_WORKER_PORT = 'abc';
    expect(settings.getApiSettings().port).toBe(8000);
    expect(() => settings.getWorkerSettings()).toThrow(/KTRDR_WORKER_PORT/);
  });
});

describe('validateAll', () => {
  it('reports every error of every group of the role in one block', () => {
    process.env.KTRDR_WORKER_PORT = 'abc';
    process.env.KTRDR_ORPHAN_TIMEOUT_SECONDS = '0';
    process.env.KTRDR_API_PORT = 'nope';
    let message = '';
    try {
      settings.validateAll('worker', () => {});
    } catch (error) {
      message = (error as Error).message;
      expect((error as Error).name).toBe('ConfigurationError');
    }
    expect(message).toBe(
      [
        'CONFIGURATION ERROR',
        '====================',
        'Invalid settings:',
        "  - KTRDR_WORKER_PORT: 'abc' is not a valid integer",
        "  - KTRDR_ORPHAN_TIMEOUT_SECONDS: must be between 0.1 and 2147483 (got '0')",
        '',
        'See: docs/configuration.md for all available settings',
        '====================',
      ].join('\n'),
    );
    // The API group is not read by workers; the backend reports it too.
    expect(() => settings.validateAll('backend', () => {})).toThrow(/KTRDR_API_PORT: 'nope'/);
  });

  it('names the deprecated variable that held the bad value', () => {
    process.env.WORKER_PORT = 'abc';
    expect(() => settings.validateAll('worker', () => {})).toThrow("  - WORKER_PORT: 'abc' is not a valid integer");
  });
});

describe('KTRDR_ENV and insecure defaults', () => {
  function outcome(env: Record<string, string>, role: 'worker' | 'backend' = 'backend'): { error: string | null; warnings: string[] } {
    Object.assign(process.env, env);
    settings.clearSettingsCache();
    const warnings: string[] = [];
    try {
      settings.validateAll(role, (m) => warnings.push(m));
      return { error: null, warnings };
    } catch (error) {
      return { error: (error as Error).message, warnings };
    }
  }

  it.each(['development', 'test'])('%s: warns in a box, once, naming the secret', (env) => {
    const result = outcome({ KTRDR_ENV: env });
    expect(result.error).toBeNull();
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('WARNING: INSECURE DEFAULT CONFIGURATION');
    expect(result.warnings[0]).toContain('KTRDR_AUTH_JWT_SECRET');
    expect(result.warnings[0]).not.toContain('KTRDR_DB_PASSWORD');
    expect(settings.validateAll('backend', () => {}).env).toBe(env);
  });

  it('the box is silenced by KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS=true', () => {
    expect(outcome({ KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true' })).toEqual({ error: null, warnings: [] });
  });

  it('the database password counts only with the postgres driver', () => {
    expect(outcome({ KTRDR_DB_DRIVER: 'postgres' }).warnings[0]).toContain('KTRDR_DB_PASSWORD');
  });

  it('no warning once the secrets are set', () => {
    expect(outcome({ KTRDR_AUTH_JWT_SECRET: STRONG_SECRET, KTRDR_DB_DRIVER: 'postgres', KTRDR_DB_PASSWORD: 'pw' })).toEqual({
      error: null,
      warnings: [],
    });
  });

  it('production refuses insecure defaults, naming each variable', () => {
    const { error } = outcome({ KTRDR_ENV: 'production', KTRDR_DB_DRIVER: 'postgres' }, 'worker');
    expect(error).toContain('KTRDR_AUTH_JWT_SECRET: uses the insecure default value, which is refused in production');
    expect(error).toContain('KTRDR_DB_PASSWORD: uses the insecure default value');
  });

  it('production refuses the default even when spelled out, and even when acknowledged', () => {
    const { error } = outcome({
      KTRDR_ENV: 'production',
      KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true',
      JWT_SECRET: 'local-dev-secret-do-not-use-in-production',
    });
    expect(error).toContain('JWT_SECRET: uses the insecure default value');
  });

  it('production with real secrets is valid (the password does not matter on pglite)', () => {
    expect(outcome({ KTRDR_ENV: 'production', KTRDR_AUTH_JWT_SECRET: STRONG_SECRET })).toEqual({ error: null, warnings: [] });
  });

  it.each([
    ['a', 'is 1 byte long; at least 32 bytes are needed'],
    ['x'.repeat(31), 'is 31 bytes long; at least 32 bytes are needed'],
    ['changeme', 'is a well-known placeholder, not a secret'],
    ['Your-256-Bit-Secret', 'is a well-known placeholder, not a secret'],
    ['insecure-dev-secret', 'is a well-known placeholder, not a secret'],
    ['z'.repeat(40), 'is one character repeated, not a secret'],
  ])('production refuses the weak secret %j, saying why and never quoting it', (secret, reason) => {
    const { error } = outcome({ KTRDR_ENV: 'production', KTRDR_AUTH_JWT_SECRET: secret });
    expect(error).toContain(`  - KTRDR_AUTH_JWT_SECRET: ${reason}, which is refused in production (KTRDR_ENV=production)`);
    expect(error).not.toContain(`'${secret}'`);
  });

  it('a 32-byte secret is enough in production, counted in bytes not characters', () => {
    // 16 characters, 31 bytes: refused; 22 characters, 33 bytes: accepted.
    expect(outcome({ KTRDR_ENV: 'production', KTRDR_AUTH_JWT_SECRET: 'é'.repeat(15) + 'a' }).error).toContain('is 31 bytes long');
    expect(outcome({ KTRDR_ENV: 'production', KTRDR_AUTH_JWT_SECRET: 'ék'.repeat(11) }).error).toBeNull();
  });

  it.each(['development', 'test'])('%s: a short secret joins the warning box, with its reason', (env) => {
    const result = outcome({ KTRDR_ENV: env, KTRDR_AUTH_JWT_SECRET: 'short' });
    expect(result.error).toBeNull();
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('WARNING: INSECURE DEFAULT CONFIGURATION');
    expect(result.warnings[0]).toContain('KTRDR_AUTH_JWT_SECRET is 5 bytes long; at least 32 bytes are needed');
  });

  it('an unknown KTRDR_ENV is an error', () => {
    expect(outcome({ KTRDR_ENV: 'staging' }).error).toContain("KTRDR_ENV: 'staging' is not one of: development, test, production");
  });

  it.each(['ENVIRONMENT', 'KTRDR_ENVIRONMENT', 'KTRDR_API_ENVIRONMENT'])('%s is a deprecated name of KTRDR_ENV', (name) => {
    expect(outcome({ [name]: 'production' }).error).toContain('refused in production');
  });
});

describe('unknown variables', () => {
  it('suggests the closest known name', () => {
    process.env.KTRDR_WROKER_PORT = '1';
    const given: string[] = [];
    settings.warnDeprecatedEnvVars((m) => given.push(m));
    expect(given).toEqual(['KTRDR_WROKER_PORT is not a known setting and is ignored; did you mean KTRDR_WORKER_PORT?']);
  });

  it('points the removed worker backend URL at the API client base URL', () => {
    process.env.KTRDR_WORKER_BACKEND_URL = 'http://x:8000';
    const given: string[] = [];
    settings.warnDeprecatedEnvVars((m) => given.push(m));
    expect(given[0]).toMatch(/^KTRDR_WORKER_BACKEND_URL is not a setting .*; use KTRDR_API_CLIENT_BASE_URL$/);
  });
});

describe('OpenTelemetry notices', () => {
  const notices = () => {
    const given: string[] = [];
    settings.validateAll('worker', (m) => given.push(m));
    return given.filter((m) => m.startsWith('KTRDR_OTEL'));
  };

  it('KTRDR_OTEL_CONSOLE_OUTPUT=true alone is valid and needs no notice', () => {
    process.env.KTRDR_OTEL_CONSOLE_OUTPUT = 'true';
    expect(notices()).toEqual([]);
  });

  it('KTRDR_OTEL_ENABLED=true without an endpoint says where it exports', () => {
    process.env.KTRDR_OTEL_ENABLED = 'true';
    expect(notices()).toEqual(['KTRDR_OTEL_ENABLED=true and KTRDR_OTEL_OTLP_ENDPOINT is unset: exporting OTLP/HTTP to http://localhost:4318']);
  });

  it('an endpoint on the OTLP/gRPC port is pointed out; one on the HTTP port is not', () => {
    process.env.KTRDR_OTEL_ENABLED = 'true';
    process.env.KTRDR_OTEL_OTLP_ENDPOINT = 'http://jaeger:4317';
    expect(notices()).toEqual([expect.stringMatching(/^KTRDR_OTEL_OTLP_ENDPOINT=http:\/\/jaeger:4317: port 4317 is usually OTLP\/gRPC/)]);
    process.env.KTRDR_OTEL_OTLP_ENDPOINT = 'http://jaeger:4318';
    settings.clearSettingsCache();
    expect(notices()).toEqual([]);
  });
});
