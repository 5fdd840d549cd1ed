/**
 * ktrdr's settings catalogue: every group, variable, default, rule and
 * deprecated name, top to bottom. A field's variable is its group's prefix plus
 * the field name in upper snake case (`heartbeatInterval` under `KTRDR_WORKER_`
 * is `KTRDR_WORKER_HEARTBEAT_INTERVAL`). Deprecated names live on the field, so
 * the deprecation table can never drift from it.
 */
import { defineGroup, setting, type GroupValues, type RemovedVariable, type SettingsGroup } from '../settings-engine/index.js';
import { jwtSecretWeakness, MIN_JWT_SECRET_BYTES } from './jwt-secret.js';

const port = () => setting.int().range(1, 65535);

/** Node timers take at most 2^31-1 ms; a longer delay silently becomes 1 ms (a busy loop). */
export const TIMER_MAX_SECONDS = 2_147_483;
/** Shorter loops or timeouts only burn CPU and network: no setting goes below it. */
export const MIN_SECONDS = 0.1;
const ONE_HOUR = 3600;
const ONE_DAY = 86_400;
const TEN_YEARS_IN_DAYS = 3650;

/** A duration in seconds: whole milliseconds, between `min` and `max`. */
const seconds = (max: number, min = MIN_SECONDS) => setting.float().wholeMilliseconds().range(min, max);

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** RFC 9110 token characters: what a header name may hold. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function isHttpUrl(raw: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(raw).protocol);
  } catch {
    return false;
  }
}

export const database = defineGroup({
  name: 'database',
  title: 'Database',
  prefix: 'KTRDR_DB_',
  description: 'Where the backend keeps operations, workers, checkpoint metadata and results.',
  fields: {
    driver: setting
      .enum(['pglite', 'postgres'])
      .default('pglite')
      .describe('Store driver: `pglite` (embedded, files under KTRDR_DB_DIR) or `postgres` (a PostgreSQL server).'),
    dir: setting.path().default('./data/db').describe('Directory of the embedded PGlite database (driver pglite only).'),
    host: setting.string().default('localhost').deprecated('DB_HOST').describe('PostgreSQL host (driver postgres).'),
    port: port().default(5432).deprecated('DB_PORT').describe('PostgreSQL port (driver postgres).'),
    name: setting.string().default('ktrdr').deprecated('DB_NAME').describe('PostgreSQL database name (driver postgres).'),
    user: setting.string().default('ktrdr').deprecated('DB_USER').describe('PostgreSQL user (driver postgres).'),
    password: setting
      .string()
      .default('localdev')
      .deprecated('DB_PASSWORD')
      .insecureDefault((db) => db.driver === 'postgres')
      .describe('PostgreSQL password (driver postgres). The default is for local development only.'),
    echo: setting.bool().default(false).deprecated('DB_ECHO').describe('Log every SQL statement (debugging).'),
  },
});

export const api = defineGroup({
  name: 'api',
  title: 'API',
  prefix: 'KTRDR_API_',
  description: "The backend's HTTP server.",
  fields: {
    host: setting.string().default('127.0.0.1').describe('Interface the backend listens on (0.0.0.0 to accept remote workers).'),
    port: port().default(8000).describe('Port the backend listens on.'),
    corsOrigins: setting.list().default(['*']).describe('Origins allowed by CORS.'),
    corsAllowCredentials: setting
      .bool()
      .default(false)
      .describe('Whether CORS answers allow credentials (cookies). The API authenticates with bearer tokens, so none are needed.'),
    corsAllowMethods: setting
      .list()
      .satisfies((methods) => methods.every((m) => m === '*' || HTTP_METHODS.has(m.toUpperCase())), `each one of ${[...HTTP_METHODS].join(', ')} or *`, `must list HTTP methods (${[...HTTP_METHODS].join(', ')}) or *`)
      .default(['GET', 'POST', 'DELETE'])
      .describe('HTTP methods allowed by CORS; `*` allows any.'),
    corsAllowHeaders: setting
      .list()
      .satisfies((headers) => headers.every((h) => h === '*' || HEADER_NAME.test(h)), 'header names or *', 'must list HTTP header names or *')
      .default(['authorization', 'content-type'])
      .describe('Request headers allowed by CORS; `*` allows any.'),
    corsMaxAge: setting.int().range(0, ONE_DAY).default(600).describe('Seconds a browser may cache a CORS preflight answer.'),
    logLevel: setting
      .enum(LOG_LEVELS)
      .optional()
      .describe(
        "Level of the backend's HTTP server log. Set, it logs at that level, and at INFO or DEBUG writes one line per request; " +
          'unset, only its warnings and errors are written (or KTRDR_LOG_LEVEL when higher).',
      ),
  },
});

export const http = defineGroup({
  name: 'http',
  title: 'HTTP limits',
  prefix: 'KTRDR_HTTP_',
  description: 'Bounds of the request bodies the backend and the workers accept (other routes take 64 KiB, submissions 256 KiB).',
  fields: {
    maxUploadMb: setting
      .int()
      .range(1, 1024)
      .default(8)
      .describe('Largest upload, in MiB: a model, a checkpoint, an outcome with its results (backend), a start carrying checkpoint state (worker).'),
  },
});

export const auth = defineGroup({
  name: 'auth',
  title: 'Auth',
  prefix: 'KTRDR_AUTH_',
  description: 'Bearer tokens between the CLI, the backend and the workers (HS256).',
  fields: {
    jwtSecret: setting
      .string()
      .default('local-dev-secret-do-not-use-in-production')
      .deprecated('JWT_SECRET')
      .insecureDefault()
      .insecureValue(jwtSecretWeakness)
      .describe(
        `Shared secret that signs and checks every token. In production it must be set, at least ${MIN_JWT_SECRET_BYTES} bytes long and not a well-known placeholder; ` +
          'in development and test a weaker one is warned about.',
      ),
    jwtAlgorithm: setting
      .enum(['HS256'], 'is not supported: ktrdr signs and checks tokens with HS256 only')
      .default('HS256')
      .describe('Token signing algorithm. Only HS256 is supported; the setting exists so that configurations of the earlier system still validate.'),
    tokenExpireMinutes: setting.int().range(1, 525_600).default(60).describe('Lifetime of issued tokens, in minutes (at most one year).'),
  },
});

export const logging = defineGroup({
  name: 'logging',
  title: 'Logging',
  prefix: 'KTRDR_LOG_',
  description: 'Log output of every process.',
  fields: {
    level: setting
      .enum(LOG_LEVELS)
      .default('INFO')
      .deprecated('LOG_LEVEL', 'KTRDR_LOGGING_LEVEL')
      .describe('Lowest level written.'),
    format: setting.enum(['text', 'json']).default('text').deprecated('KTRDR_LOGGING_FORMAT').describe('`text` for people, `json` for one JSON object per line.'),
    jsonOutput: setting
      .bool()
      .default(false)
      .describe('`true` writes JSON lines whatever KTRDR_LOG_FORMAT says; `false` leaves the choice to KTRDR_LOG_FORMAT.'),
  },
});

export const observability = defineGroup({
  name: 'observability',
  title: 'Observability',
  prefix: 'KTRDR_OTEL_',
  description: 'OpenTelemetry export.',
  fields: {
    enabled: setting
      .bool()
      .default(false)
      .describe('Export traces (HTTP requests, dispatches, operation runs) and metrics of the backend and the workers over OTLP/HTTP.'),
    otlpEndpoint: setting
      .url()
      .optional()
      .deprecated('OTLP_ENDPOINT')
      .describe('Base URL of the OTLP/HTTP collector (`/v1/traces` and `/v1/metrics` are appended); `http://localhost:4318` when unset.'),
    serviceName: setting.string().default('ktrdr').describe('Service name reported to the collector.'),
    consoleOutput: setting
      .bool()
      .default(false)
      .describe('Also print spans and metrics on standard output (debugging); on its own it prints without exporting to a collector.'),
    metricExportInterval: seconds(ONE_HOUR)
      .default(15)
      .describe('Seconds between two exports of the metrics (a process exports the rest when it stops).'),
  },
});

export const apiClient = defineGroup({
  name: 'api_client',
  title: 'API client',
  prefix: 'KTRDR_API_CLIENT_',
  description: 'How the CLI and the workers reach the backend. The single source of truth for the backend URL.',
  fields: {
    baseUrl: setting.url().default('http://localhost:8000/api/v1').deprecated('KTRDR_API_URL').describe('Base URL of the backend API.'),
    fallbackUrls: setting
      .list()
      .satisfies((urls) => urls.every(isHttpUrl), 'http(s) URLs', 'must list http(s) URLs')
      .default([])
      .describe(
        'Base URLs of further backends sharing the same PostgreSQL database, tried in turn when the current one refuses connections ' +
          '(it died or stopped); a client stays with the one that answered. A worker re-registers with the backend it fails over to. Empty: none.',
      ),
    timeout: seconds(ONE_HOUR).default(30).describe('Timeout of one request, in seconds.'),
    maxRetries: setting.int().range(0, 100).default(3).describe('Retries of a failed request (and of worker registration).'),
    retryDelay: seconds(60, 0)
      .default(1)
      .describe('First delay between retries, in seconds; it doubles on each retry (with the bounds of both settings, the longest wait stays under 9 hours).'),
  },
});

export const worker = defineGroup({
  name: 'worker',
  title: 'Worker',
  prefix: 'KTRDR_WORKER_',
  description: 'A worker process and how the backend watches workers. There is no worker backend URL: see KTRDR_API_CLIENT_BASE_URL.',
  fields: {
    id: setting.string().optional().deprecated('WORKER_ID').describe('Worker id; `<type>-<hostname>-<port>` when unset (the same on every restart).'),
    port: port().default(5003).deprecated('WORKER_PORT').describe("Port of the worker's HTTP server."),
    host: setting
      .string()
      .default('0.0.0.0')
      .describe("Interface the worker's HTTP server listens on: 0.0.0.0 (every interface) so that a backend on another machine reaches it; 127.0.0.1 for a stack on one machine."),
    heartbeatInterval: seconds(ONE_HOUR).default(30).describe('Seconds between heartbeats to the backend.'),
    registrationTimeout: seconds(ONE_HOUR).default(10).describe('Seconds one registration attempt may take.'),
    endpointUrl: setting.url().optional().deprecated('WORKER_ENDPOINT_URL').describe('URL the backend uses to reach this worker; derived from the host and port when unset.'),
    publicBaseUrl: setting.url().optional().deprecated('WORKER_PUBLIC_BASE_URL').describe('Public base URL of the worker (behind a proxy or NAT); used when KTRDR_WORKER_ENDPOINT_URL is unset.'),
    healthCheckInterval: seconds(ONE_HOUR)
      .default(10)
      .deprecated('WORKER_HEALTH_CHECK_INTERVAL')
      .describe("Seconds between the backend's health checks of each worker."),
    healthCheckTimeout: seconds(ONE_HOUR).default(5).deprecated('WORKER_HEALTH_CHECK_TIMEOUT').describe('Seconds one health check may take.'),
    healthCheckFailures: setting
      .int()
      .range(1, 1000)
      .default(3)
      .deprecated('WORKER_HEALTH_CHECK_FAILURES')
      .describe('Consecutive failed health checks after which a worker is temporarily_unavailable.'),
    removalThreshold: seconds(TIMER_MAX_SECONDS)
      .default(300)
      .deprecated('WORKER_REMOVAL_THRESHOLD')
      .describe('Seconds a worker may stay unhealthy before it is removed from the registry.'),
  },
});

export const checkpoint = defineGroup({
  name: 'checkpoint',
  title: 'Checkpoint',
  prefix: 'KTRDR_CHECKPOINT_',
  description: 'When running operations checkpoint, and where the backend keeps checkpoints.',
  fields: {
    epochInterval: setting.int().range(1, 1_000_000).default(10).deprecated('CHECKPOINT_EPOCH_INTERVAL').describe('Checkpoint every N units of work (epochs, bars, steps).'),
    timeIntervalSeconds: seconds(TIMER_MAX_SECONDS).default(300).deprecated('CHECKPOINT_TIME_INTERVAL_SECONDS').describe('Checkpoint at least this often, in seconds, whichever comes first.'),
    dir: setting.path().default('./data/checkpoints').deprecated('CHECKPOINT_DIR').describe('Directory of checkpoint files (backend).'),
    maxAgeDays: setting.int().range(1, TEN_YEARS_IN_DAYS).default(30).deprecated('CHECKPOINT_MAX_AGE_DAYS').describe('Checkpoints older than this many days are removed.'),
  },
});

export const orphanDetector = defineGroup({
  name: 'orphan_detector',
  title: 'Orphan detector',
  prefix: 'KTRDR_ORPHAN_',
  description: 'Finds running operations that no worker claims any more.',
  fields: {
    timeoutSeconds: seconds(TIMER_MAX_SECONDS).default(60).deprecated('ORPHAN_TIMEOUT_SECONDS').describe('Seconds an operation may stay unclaimed before it is failed as an orphan.'),
    checkIntervalSeconds: seconds(ONE_HOUR).default(15).deprecated('ORPHAN_CHECK_INTERVAL_SECONDS').describe('Seconds between orphan checks.'),
  },
});

export const operations = defineGroup({
  name: 'operations',
  title: 'Operations',
  prefix: 'KTRDR_OPS_',
  description: 'Progress caching and retention of operations.',
  fields: {
    cacheTtl: seconds(ONE_HOUR, 0).default(1).deprecated('OPERATIONS_CACHE_TTL').describe('Seconds a progress snapshot is served before it is refreshed from the worker; 0 disables caching.'),
    maxOperations: setting.int().range(1, 10_000_000).default(10000).describe('Most operations kept; the oldest terminal ones go first.'),
    cleanupIntervalSeconds: seconds(ONE_DAY).default(3600).describe('Seconds between retention clean-ups.'),
    retentionDays: setting.int().range(1, TEN_YEARS_IN_DAYS).default(7).describe('Terminal operations older than this many days are deleted.'),
  },
});

export const data = defineGroup({
  name: 'data',
  title: 'Data',
  prefix: 'KTRDR_DATA_',
  description: 'Market data, models and strategies (read by the backend only).',
  fields: {
    dir: setting.path().default('./data').deprecated('DATA_DIR').describe('Directory of market data CSV files (`<SYMBOL>_<TIMEFRAME>.csv`).'),
    modelsDir: setting.path().default('./data/models').deprecated('MODELS_DIR').describe('Directory of trained model artifacts.'),
    strategiesDir: setting.path().default('./strategies').deprecated('STRATEGIES_DIR').describe('Directory of strategy YAML files.'),
  },
});

/** Read by the validation itself: which rules apply to this deployment. */
export const environment = defineGroup({
  name: 'environment',
  title: 'Environment',
  prefix: 'KTRDR_',
  description: 'The deployment environment, which decides how insecure defaults are treated.',
  fields: {
    env: setting
      .enum(['development', 'test', 'production'])
      .default('development')
      .deprecated('ENVIRONMENT', 'KTRDR_ENVIRONMENT', 'KTRDR_API_ENVIRONMENT')
      .describe('development and test warn about insecure defaults; production refuses them.'),
    acknowledgeInsecureDefaults: setting.bool().default(false).describe('Silence the insecure-defaults warning in development and test.'),
  },
});

export type EnvironmentName = GroupValues<typeof environment.fields>['env'];

/** Every group in report order (the environment group is reported on its own). */
export const GROUPS = [database, api, http, auth, logging, observability, apiClient, worker, checkpoint, orphanDetector, operations, data] as const satisfies readonly SettingsGroup[];

export const ROLES = ['backend', 'worker', 'all'] as const;
export type Role = (typeof ROLES)[number];

/** What `validateAll(role)` checks. Workers read the API client (backend URL) and Auth (tokens) too. */
export const ROLE_GROUPS: Readonly<Record<Role, readonly SettingsGroup[]>> = {
  worker: [database, logging, observability, worker, checkpoint, orphanDetector, operations, apiClient, auth, http],
  backend: GROUPS,
  all: GROUPS,
};

/** Names that were removed on purpose, with what replaces them. */
export const REMOVED_VARIABLES: Readonly<Record<string, RemovedVariable>> = {
  KTRDR_WORKER_BACKEND_URL: {
    use: 'KTRDR_API_CLIENT_BASE_URL',
    reason: 'workers reach the backend through the API client base URL',
  },
};

/** Every variable ktrdr reads starts with it; unknown ones are reported. */
export const NAMESPACE = 'KTRDR_';

export const DOCS_HINT = 'See: docs/configuration.md for all available settings';
