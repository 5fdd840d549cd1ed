/**
 * Builds a worker's parts from plain settings values (read by the entry point,
 * never here): identity, token service, backend client and link, runner with
 * its workloads, HTTP server, and the runtime that ties them together. The HTTP
 * application (Fastify and the routes, src/worker/server.ts) is imported when
 * the runtime builds it, after registering (src/http/early-server.ts).
 */
import { hostname } from 'node:os';
import type { WorkerType } from '../api/contract.js';
import { TokenService, tokenProvider } from '../auth/tokens.js';
import { HttpClient } from '../client/http.js';
import { keepAliveTransport } from '../client/keep-alive-transport.js';
import { systemClock, type Clock } from '../common/clock.js';
import { secondsToMs } from '../config/derived.js';
import type { ApiClientSettings, AuthSettings, CheckpointSettings, HttpSettings, WorkerSettings } from '../config/settings.js';
import { megabytes } from '../http/body-limits.js';
import { EarlyHttpServer } from '../http/early-server.js';
import type { Logger } from '../logging/logger.js';
import { NO_TELEMETRY, type Telemetry } from '../telemetry/telemetry.js';
import { BackendData } from './backend-data.js';
import type { Workload } from '../workloads/types.js';
import { BackendLink } from './backend-link.js';
import { resolveEndpointUrl, resolveWorkerId, type WorkerIdentity } from './identity.js';
import { OperationRunner } from './operation-runner.js';
import { OperationTelemetry } from './operation-telemetry.js';
import { WorkerRuntime } from './runtime.js';

/**
 * Requests other than registration retry a few times only: an outcome that
 * still fails waits in the outbox for the heartbeat, and a checkpoint upload
 * must not hold the operation up for long.
 */
const MAX_REQUEST_RETRIES = 3;

export interface WorkerAssembly {
  readonly workerType: WorkerType;
  readonly worker: WorkerSettings;
  readonly apiClient: ApiClientSettings;
  readonly auth: AuthSettings;
  readonly checkpoint: CheckpointSettings;
  readonly http: HttpSettings;
  readonly logger: Logger;
  /**
   * What the worker runs; the runner keeps those its type may run. The entry point passes `loadWorkloads(type)`
   * (src/workloads/catalogue.ts), which loads only its type's code, as a promise that it settles after registering.
   */
  readonly workloads: readonly Workload[] | Promise<readonly Workload[]>;
  readonly clock?: Clock;
  /** OpenTelemetry spans and metrics (docs/architecture.md §8); none by default. */
  readonly telemetry?: Telemetry;
}

export function assembleWorker(parts: WorkerAssembly): WorkerRuntime {
  const { worker, apiClient, auth, checkpoint, logger } = parts;
  const clock = parts.clock ?? systemClock;
  const identity: WorkerIdentity = { workerId: resolveWorkerId(worker.id, parts.workerType, worker.port), workerType: parts.workerType };
  const tokens = new TokenService(auth.jwtSecret, auth.tokenExpireMinutes, clock);
  const retryDelayMs = secondsToMs(apiClient.retryDelay);
  const heartbeatIntervalMs = secondsToMs(worker.heartbeatInterval);
  const http = new HttpClient({
    baseUrl: apiClient.baseUrl,
    // Several backends on one database: the worker moves on to the next when its backend refuses connections.
    fallbackUrls: apiClient.fallbackUrls,
    onFailover: (from, to, reason) => logger.warn(`backend at ${from} unreachable (${reason}); failing over to ${to}`),
    timeoutMs: secondsToMs(apiClient.timeout),
    token: tokenProvider(tokens, identity.workerId, 'worker', clock),
    // Registration, heartbeats, progress, checkpoints and outcomes over node:http with one keep-alive agent, like
    // the backend's calls to workers: fetch costs the worker several times the CPU per small request (§5.4), and
    // the first fetch() initialises Node's bundled undici, ~25 ms of CPU that would delay the registration (§1.1).
    // Bars (`negotiate`) still come by fetch, whose streamed body they read, once the worker runs an operation.
    transport: keepAliveTransport(),
  });
  const link: BackendLink = new BackendLink({
    http,
    identity,
    logger,
    registrationTimeoutMs: secondsToMs(worker.registrationTimeout),
    registrationRetry: { maxRetries: apiClient.maxRetries, delayMs: retryDelayMs },
    requestRetry: { maxRetries: Math.min(apiClient.maxRetries, MAX_REQUEST_RETRIES), delayMs: retryDelayMs },
    // Between registration attempts, never wait longer than between heartbeats.
    maxRetryDelayMs: Math.max(retryDelayMs, heartbeatIntervalMs),
    // An idle worker takes its next operation with its outcome's answer (§5.4); the runner exists by then.
    takesNext: (): boolean => runner.takesNext,
    onAssignment: (start): Promise<void> => runner.startAssigned(start),
  });
  const runner: OperationRunner = new OperationRunner({
    workerId: identity.workerId,
    workerType: parts.workerType,
    workloads: parts.workloads,
    reporter: link,
    services: new BackendData(http, { maxRetries: Math.min(apiClient.maxRetries, MAX_REQUEST_RETRIES), delayMs: retryDelayMs }, link),
    checkpointUnitInterval: checkpoint.epochInterval,
    checkpointTimeIntervalMs: secondsToMs(checkpoint.timeIntervalSeconds),
    clock,
    logger,
    telemetry: new OperationTelemetry(parts.telemetry ?? NO_TELEMETRY, identity, clock),
  });
  const server: EarlyHttpServer = new EarlyHttpServer(async (serverFactory) => {
    // Its own chunk of the bundle, with Fastify: loaded after registering (docs/architecture.md §1.1).
    const { buildWorkerServer } = await import('./server.js');
    return buildWorkerServer({
      identity,
      runner,
      tokens,
      logger,
      isHealthy: (): boolean => !runtime.isStopping,
      uploadLimitBytes: megabytes(parts.http.maxUploadMb),
      telemetry: parts.telemetry ?? NO_TELEMETRY,
      serverFactory,
    });
  }, 'worker');
  const runtime: WorkerRuntime = new WorkerRuntime({
    identity,
    server,
    runner,
    link,
    logger,
    // KTRDR_WORKER_HOST: every interface by default, so that a backend on another machine reaches the worker.
    host: worker.host,
    port: worker.port,
    endpointUrlFor: (port) =>
      resolveEndpointUrl({ endpointUrl: worker.endpointUrl, publicBaseUrl: worker.publicBaseUrl, backendUrl: apiClient.baseUrl, port, hostname: hostname() }),
    heartbeatIntervalMs,
  });
  return runtime;
}
