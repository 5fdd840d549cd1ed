/**
 * The backend process, wired from plain options: store, services, background
 * loops and the HTTP server, with an explicit start/stop. Reads no settings
 * (main.ts does), so tests build one with a ManualClock and tiny intervals.
 */
import type { FastifyInstance } from 'fastify';
import { TokenService, tokenProvider } from '../auth/tokens.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { PeriodicTask, Timers } from '../common/periodic-task.js';
import type { Logger, LogLevelName } from '../logging/logger.js';
import type { CorsPolicy, EventsOptions } from './app-deps.js';
import type { Store } from '../store/types.js';
import type { LockSessionFactory } from '../store/advisory-lock.js';
import { buildBackendApp } from './app.js';
import { BackendMetrics } from './metrics.js';
import { CheckpointStore } from './services/checkpoint-store.js';
import { Dispatcher, queuedAt } from './services/dispatcher.js';
import { DutyLease } from './services/duty-lease.js';
import { HealthChecker } from './services/health-checker.js';
import { OperationsService } from './services/operations-service.js';
import { OrphanDetector } from './services/orphan-detector.js';
import { Retention } from './services/retention.js';
import { WorkerClient } from './services/worker-client.js';
import { WorkerRegistry } from './services/worker-registry.js';
import { ModelStore } from './services/model-store.js';
import { WorkSubmissions } from './services/work-submissions.js';
import { ParsedFileCache } from '../market-data/file-cache.js';
import { MarketDataRepository } from '../market-data/repository.js';
import { HttpServerTelemetry } from '../telemetry/http-server.js';
import { NO_TELEMETRY, type Telemetry } from '../telemetry/telemetry.js';
import { registerBackendInstruments } from './telemetry.js';

/** The notification channel that wakes dispatchers: something became pending, or a worker became free. */
export const DISPATCH_CHANNEL = 'ktrdr_dispatch';

export interface BackendOptions {
  readonly store: Store;
  readonly logger: Logger;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly jwtSecret: string;
  readonly tokenExpireMinutes: number;
  readonly checkpointDir: string;
  readonly checkpointMaxAgeDays: number;
  /** KTRDR_DATA_DIR, KTRDR_DATA_MODELS_DIR, KTRDR_DATA_STRATEGIES_DIR. */
  readonly dataDir: string;
  /** Memory for parsed market data kept between requests (docs/architecture.md §6.1); default `DEFAULT_CACHE_BUDGET_BYTES`. */
  readonly dataCacheBytes?: number;
  readonly modelsDir: string;
  readonly strategiesDir: string;
  readonly healthCheckIntervalMs: number;
  readonly healthCheckTimeoutMs: number;
  readonly healthCheckFailures: number;
  readonly workerRemovalThresholdMs: number;
  readonly orphanTimeoutMs: number;
  readonly orphanCheckIntervalMs: number;
  readonly opsCacheTtlMs: number;
  readonly maxOperations: number;
  readonly cleanupIntervalMs: number;
  readonly retentionDays: number;
  /** KTRDR_HTTP_MAX_UPLOAD_MB in bytes: the body limit of models, checkpoints and outcomes. */
  readonly uploadLimitBytes: number;
  /** Origins allowed by CORS (KTRDR_API_CORS_ORIGINS); `*` allows any. Defaults to none. */
  readonly corsOrigins?: readonly string[];
  /** KTRDR_API_CORS_ALLOW_*, KTRDR_API_CORS_MAX_AGE. */
  readonly cors?: CorsPolicy;
  /** KTRDR_API_LOG_LEVEL. */
  readonly httpLogLevel?: LogLevelName | null;
  /** Bound on the backend's start/cancel/status calls to workers. */
  readonly workerRequestTimeoutMs?: number;
  /** Safety-net dispatch pass (dispatch is otherwise event-driven). */
  readonly dispatchIntervalMs?: number;
  /** Retry-After sent to workers registering while the backend stops. */
  readonly retryAfterSeconds?: number;
  readonly version?: string;
  /** OpenTelemetry spans and metrics (docs/architecture.md §8); none by default. */
  readonly telemetry?: Telemetry;
  /** GET /api/v1/events polling and heartbeat (1 s and 15 s when omitted). */
  readonly events?: EventsOptions;
  /** The built dashboard served at `/` (dist/web of this package when omitted). */
  readonly webDir?: string;
  /** What GET /api/v1/config answers (the settings, secrets redacted); without it that route says there is none. */
  readonly settingsReport?: () => unknown;
  /**
   * Sessions for the periodic duties' advisory lock (PostgreSQL): several backends on one database, one runs the
   * duties. Omitted (PGlite, tests of one backend): this backend always runs them.
   */
  readonly dutyLock?: LockSessionFactory | null;
  /** This backend's name in logs and GET /health; `pid <pid>` when omitted (the port is added once listening). */
  readonly instance?: string;
  readonly clock?: Clock;
  readonly timers?: Timers;
}

export class Backend {
  readonly registry: WorkerRegistry;
  readonly operations: OperationsService;
  readonly dispatcher: Dispatcher;
  readonly healthChecker: HealthChecker;
  readonly orphanDetector: OrphanDetector;
  readonly retention: Retention;
  readonly dutyLease: DutyLease;
  readonly checkpoints: CheckpointStore;
  readonly metrics: BackendMetrics;
  readonly marketData: MarketDataRepository;
  readonly models: ModelStore;
  readonly submissions: WorkSubmissions;
  readonly tokens: TokenService;
  private app: FastifyInstance | null = null;
  private readonly startedAt: number;
  private readonly clock: Clock;
  private stopping: Promise<void> | null = null;
  private unsubscribe: () => void = () => {};

  constructor(private readonly options: BackendOptions) {
    const clock = (this.clock = options.clock ?? systemClock);
    const { store, logger, timers } = options;
    this.startedAt = clock.now();
    this.tokens = new TokenService(options.jwtSecret, options.tokenExpireMinutes, clock);
    const workerRequestTimeoutMs = options.workerRequestTimeoutMs ?? 10_000;
    const client = new WorkerClient({
      token: tokenProvider(this.tokens, 'backend', 'backend', clock),
      requestTimeoutMs: workerRequestTimeoutMs,
    });
    this.registry = new WorkerRegistry(store.workers, clock, {
      failureThreshold: options.healthCheckFailures,
      // Longer than any start request and the status question after it: an older reservation was left by a backend that stopped mid-start.
      reservationTimeoutMs: 2 * workerRequestTimeoutMs + options.healthCheckTimeoutMs,
      retryAfterSeconds: options.retryAfterSeconds ?? 5,
      // Probed like a health check: an answer naming another worker means this id is no longer there.
      isLiveAt: (endpointUrl, workerId) =>
        client.health(endpointUrl, options.healthCheckTimeoutMs).then(
          (health) => health.worker_id === workerId,
          () => false,
        ),
    });
    this.checkpoints = new CheckpointStore(store.checkpoints, options.checkpointDir, clock, logger);
    const telemetry = options.telemetry ?? NO_TELEMETRY;
    const instruments = registerBackendInstruments(telemetry, {
      workersByStatus: () => this.registry.countByStatus(),
      operationsByStatus: () => store.operations.countByStatus(),
    });
    this.metrics = new BackendMetrics({
      workersByStatus: () => this.registry.countByStatus(),
      operationsByStatus: () => store.operations.countByStatus(),
    });
    const observeLatency = (seconds: number) => {
      this.metrics.observeDispatchLatency(seconds);
      instruments.observeDispatchLatency(seconds);
    };
    this.dispatcher = new Dispatcher(
      {
        operations: store.operations,
        registry: this.registry,
        client,
        checkpoints: this.checkpoints,
        clock,
        logger,
        observeLatency,
        telemetry,
      },
      {
        intervalMs: options.dispatchIntervalMs ?? 5_000,
        // "Do you run it?" after an unanswered start is a quick question, bounded like a health check.
        statusCheckTimeoutMs: Math.min(options.healthCheckTimeoutMs, workerRequestTimeoutMs),
        timers,
      },
    );
    // This backend's claim covers every worker and operation in the database, so what an event here made claimable
    // its own dispatcher takes; waking the others too only made each run a claim that found nothing (§5.4). They
    // are told when this one may not take it: it is stopping (from then on it starts nothing new, as before when it
    // stopped listening), or its pass failed; and of a submission left pending, which an outcome running meanwhile
    // on one of them may have missed (an outcome that sees nothing pending does not wake its dispatcher).
    const wakeOthers = () => store.notifications.notifyOthers(DISPATCH_CHANNEL);
    const wake = () => {
      if (this.stopping) return wakeOthers();
      this.dispatcher.dispatchPending().catch((error: unknown) => {
        logger.error({ err: error }, 'dispatch pass failed');
        wakeOthers();
      });
    };
    const wakeEverywhere = () => {
      wake();
      if (!this.stopping) wakeOthers();
    };
    this.operations = new OperationsService(
      {
        store,
        registry: this.registry,
        client,
        checkpoints: this.checkpoints,
        clock,
        logger,
        wake,
        wakeEverywhere,
        dispatched: (operation) => observeLatency(Math.max(0, clock.now() - queuedAt(operation)) / 1000),
        dispatchClaimed: (claim) => this.dispatcher.dispatchClaimed(claim),
        watchClaims: () => this.dispatcher.watchClaims(),
      },
      { cacheTtlMs: options.opsCacheTtlMs, maxOperations: options.maxOperations },
    );
    // The cache compares file times with the wall clock (the file system's), not with the backend's clock.
    const dataCache = new ParsedFileCache(options.dataCacheBytes !== undefined ? { budgetBytes: options.dataCacheBytes } : {});
    this.marketData = new MarketDataRepository(options.dataDir, dataCache);
    this.models = new ModelStore(options.modelsDir);
    this.submissions = new WorkSubmissions({
      operations: this.operations,
      marketData: this.marketData,
      models: this.models,
      strategiesDir: options.strategiesDir,
    });
    this.registry.onRegistration(async (worker, registration) => {
      await this.operations.reconcileRegistration(worker, registration);
      wake();
    });
    this.healthChecker = new HealthChecker(
      { registry: this.registry, operations: store.operations, client, clock, logger, onWorkerAvailable: wake },
      {
        intervalMs: options.healthCheckIntervalMs,
        timeoutMs: options.healthCheckTimeoutMs,
        removalThresholdMs: options.workerRemovalThresholdMs,
        timers,
      },
    );
    this.orphanDetector = new OrphanDetector(
      { operations: store.operations, registry: this.registry, clock, logger },
      { intervalMs: options.orphanCheckIntervalMs, timeoutMs: options.orphanTimeoutMs, timers },
    );
    this.retention = new Retention(
      { operations: store.operations, checkpoints: this.checkpoints, clock, logger },
      {
        intervalMs: options.cleanupIntervalMs,
        retentionDays: options.retentionDays,
        checkpointMaxAgeDays: options.checkpointMaxAgeDays,
        timers,
      },
    );
    this.dutyLease = new DutyLease({
      instance: options.instance ?? `pid ${process.pid}`,
      duties: this.duties,
      // The most frequent duty's interval: a takeover comes before that duty is missed twice.
      intervalMs: Math.min(options.healthCheckIntervalMs, options.orphanCheckIntervalMs),
      connect: options.dutyLock ?? null,
      logger,
      clock,
      ...(timers ? { timers } : {}),
    });
    this.metrics.trackDuties(
      () => (this.dutyLease.state === 'held' ? 1 : 0),
      () => this.dutyLease.tries,
    );
  }

  /** The loops only the duty holder runs (docs/architecture.md §9); the dispatcher runs on every backend. */
  get duties(): readonly PeriodicTask[] {
    return [this.healthChecker.task, this.orphanDetector.task, this.retention.task];
  }

  get tasks(): readonly PeriodicTask[] {
    return [this.dispatcher.task, ...this.duties];
  }

  /** The HTTP application (for tests that inject requests). */
  get http(): FastifyInstance {
    if (!this.app) throw new Error('backend not started');
    return this.app;
  }

  /** Listens and starts every loop; returns the base URL (http://host:port). */
  async start(): Promise<string> {
    this.app = await buildBackendApp({
      tokens: this.tokens,
      registry: this.registry,
      operations: this.operations,
      metrics: this.metrics,
      marketData: this.marketData,
      models: this.models,
      strategiesDir: this.options.strategiesDir,
      submissions: this.submissions,
      logger: this.options.logger,
      uptimeSeconds: () => Math.round((this.clock.now() - this.startedAt) / 1000),
      duties: () => ({ instance: this.dutyLease.instance, state: this.dutyLease.state }),
      version: this.options.version ?? '0.0.0',
      corsOrigins: this.options.corsOrigins ?? [],
      ...(this.options.cors ? { cors: this.options.cors } : {}),
      httpLogLevel: this.options.httpLogLevel ?? null,
      uploadLimitBytes: this.options.uploadLimitBytes,
      httpTelemetry: new HttpServerTelemetry(this.options.telemetry ?? NO_TELEMETRY),
      clock: this.clock,
      ...(this.options.events ? { events: this.options.events } : {}),
      ...(this.options.webDir ? { webDir: this.options.webDir } : {}),
      ...(this.options.settingsReport ? { settingsReport: this.options.settingsReport } : {}),
      privatePaths: [
        { path: this.options.dataDir, label: '$KTRDR_DATA_DIR' },
        { path: this.options.modelsDir, label: '$KTRDR_DATA_MODELS_DIR' },
        { path: this.options.strategiesDir, label: '$KTRDR_DATA_STRATEGIES_DIR' },
        { path: this.options.checkpointDir, label: '$KTRDR_CHECKPOINT_DIR' },
      ],
    });
    await this.app.listen({ host: this.options.host, port: this.options.port });
    this.unsubscribe = this.options.store.notifications.subscribe(DISPATCH_CHANNEL, () => this.dispatcher.trigger());
    // Hearing the other backends before saying it started: a test (or a script) that submits elsewhere next is heard.
    await this.options.store.notifications.ready();
    this.dispatcher.task.start();
    this.dutyLease.start();
    this.dispatcher.trigger();
    return this.url;
  }

  get url(): string {
    const address = this.app?.server.address();
    if (!address || typeof address === 'string') throw new Error('backend is not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /** Refuses registrations (503 + Retry-After), stops every loop, closes the server, then the store. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.registry.refuseRegistrations();
      this.unsubscribe();
      // The lease stops the duties and unlocks: a standby backend takes them over at its next try.
      await Promise.all([this.dispatcher.task.stop(), this.dutyLease.stop()]);
      await this.app?.close();
      await this.dispatcher.whenIdle(); // a pass woken by the last requests must not meet a closed store
      await this.options.store.close();
    })();
    return this.stopping;
  }
}
