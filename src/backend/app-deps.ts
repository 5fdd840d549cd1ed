/** What the HTTP layer needs from the backend's services. */
import type { TokenService } from '../auth/tokens.js';
import type { Clock } from '../common/clock.js';
import type { PrivatePath } from '../http/private-paths.js';
import type { Logger, LogLevelName } from '../logging/logger.js';
import type { MarketDataRepository } from '../market-data/repository.js';
import type { HttpServerTelemetry } from '../telemetry/http-server.js';
import type { BackendMetrics } from './metrics.js';
import type { ModelStore } from './services/model-store.js';
import type { OperationsService } from './services/operations-service.js';
import type { WorkSubmissions } from './services/work-submissions.js';
import type { WorkerRegistry } from './services/worker-registry.js';

export interface BackendAppDeps {
  readonly tokens: TokenService;
  readonly registry: WorkerRegistry;
  readonly operations: OperationsService;
  readonly metrics: BackendMetrics;
  readonly marketData: MarketDataRepository;
  readonly models: ModelStore;
  /** KTRDR_DATA_STRATEGIES_DIR: the strategy files GET /strategies lists. */
  readonly strategiesDir: string;
  readonly submissions: WorkSubmissions;
  readonly logger: Logger;
  /** Seconds since the backend started (GET /health). */
  readonly uptimeSeconds: () => number;
  /** This backend's name and whether it runs the periodic duties now (GET /health). */
  readonly duties?: () => { readonly instance: string; readonly state: 'held' | 'standby' };
  readonly version: string;
  /** Origins allowed by CORS; `*` allows any, empty allows none. */
  readonly corsOrigins: readonly string[];
  /** The rest of the CORS answer (KTRDR_API_CORS_*); the settings' defaults when omitted. */
  readonly cors?: CorsPolicy;
  /** KTRDR_API_LOG_LEVEL; null or omitted: warnings and errors only. */
  readonly httpLogLevel?: LogLevelName | null;
  /** Body limit of the routes taking uploads (models, checkpoints, outcomes). */
  readonly uploadLimitBytes: number;
  /** Server directories answers show as the setting that names them. */
  readonly privatePaths: readonly PrivatePath[];
  /** A span per request, when OpenTelemetry is on. */
  readonly httpTelemetry?: HttpServerTelemetry;
  /** The built dashboard (dist/web of this package when omitted). */
  readonly webDir?: string;
  /** GET /api/v1/events: how often changes are looked for, and the heartbeat of a quiet stream. */
  readonly events?: EventsOptions;
  readonly clock?: Clock;
  /** The settings as `ktrdr config show --json` reports them, secrets redacted (GET /config); main.ts gives it. */
  readonly settingsReport?: () => unknown;
}

export interface EventsOptions {
  readonly intervalMs: number;
  readonly heartbeatMs: number;
}

export interface CorsPolicy {
  readonly allowCredentials: boolean;
  /** `*` allows any. */
  readonly allowMethods: readonly string[];
  /** `*` allows any. */
  readonly allowHeaders: readonly string[];
  /** How long a browser may cache a preflight answer. */
  readonly maxAgeSeconds: number;
}

/** The same as the KTRDR_API_CORS_* defaults: only what the API needs. */
export const DEFAULT_CORS_POLICY: CorsPolicy = {
  allowCredentials: false,
  allowMethods: ['GET', 'POST', 'DELETE'],
  allowHeaders: ['authorization', 'content-type'],
  maxAgeSeconds: 600,
};
