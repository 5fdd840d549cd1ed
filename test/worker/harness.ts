/** An in-process worker (the real parts, assembled as the entry point does) for tests. */
import { Writable } from 'node:stream';
import type { WorkerType } from '../../src/api/contract.js';
import { TokenService } from '../../src/auth/tokens.js';
import { HttpClient } from '../../src/client/http.js';
import type { Clock } from '../../src/common/clock.js';
import { createLogger } from '../../src/logging/logger.js';
import { assembleWorker } from '../../src/worker/assemble.js';
import type { WorkerRuntime } from '../../src/worker/runtime.js';
import { WORKLOAD_CATALOGUE } from '../../src/workloads/catalogue.js';
import type { Workload } from '../../src/workloads/types.js';

export const SECRET = 'worker-tests-secret';
export const tokens = new TokenService(SECRET, 60);

export interface TestWorkerOptions {
  readonly backendUrl: string;
  /** Further backends (KTRDR_API_CLIENT_FALLBACK_URLS). */
  readonly fallbackUrls?: readonly string[];
  readonly workerType?: WorkerType;
  readonly workerId?: string;
  readonly checkpointUnitInterval?: number;
  readonly checkpointTimeIntervalSeconds?: number;
  readonly maxRetries?: number;
  readonly retryDelaySeconds?: number;
  readonly workloads?: readonly Workload[];
  readonly clock?: Clock;
  readonly maxUploadMb?: number;
}

export interface TestWorker {
  readonly runtime: WorkerRuntime;
  /** Log lines (JSON), newest last. */
  readonly logs: string[];
  /** A client of the worker's own API with a valid backend token (after start). */
  client(): HttpClient;
}

/** Every workload, loaded once for all the test workers (the harness stays synchronous). */
const ALL_WORKLOADS: readonly Workload[] = await Promise.all(WORKLOAD_CATALOGUE.map((entry) => entry.load()));

export function buildTestWorker(options: TestWorkerOptions): TestWorker {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger({ level: 'DEBUG', format: 'json', name: 'worker-test', destination });
  const runtime = assembleWorker({
    workerType: options.workerType ?? 'training',
    worker: {
      id: options.workerId ?? null,
      port: 0,
      host: '127.0.0.1',
      // Heartbeats are driven by the tests (runtime.heartbeat.runOnce()), never by the timer.
      heartbeatInterval: 3600,
      registrationTimeout: 2,
      endpointUrl: null,
      publicBaseUrl: null,
      healthCheckInterval: 10,
      healthCheckTimeout: 5,
      healthCheckFailures: 3,
      removalThreshold: 300,
    },
    apiClient: {
      baseUrl: options.backendUrl,
      fallbackUrls: [...(options.fallbackUrls ?? [])],
      timeout: 2,
      maxRetries: options.maxRetries ?? 2,
      retryDelay: options.retryDelaySeconds ?? 0.01,
    },
    auth: { jwtSecret: SECRET, jwtAlgorithm: 'HS256', tokenExpireMinutes: 60 },
    checkpoint: {
      epochInterval: options.checkpointUnitInterval ?? 1000,
      timeIntervalSeconds: options.checkpointTimeIntervalSeconds ?? 3600,
      dir: './unused',
      maxAgeDays: 30,
    },
    http: { maxUploadMb: options.maxUploadMb ?? 8 },
    logger,
    workloads: options.workloads ?? ALL_WORKLOADS,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  let http: HttpClient | null = null;
  return {
    runtime,
    logs,
    client() {
      const address = runtime.address;
      if (!address) throw new Error('the worker is not listening yet');
      http ??= new HttpClient({ baseUrl: `http://127.0.0.1:${address.port}`, timeoutMs: 5000, token: () => tokens.issue('test-backend', 'backend') });
      return http;
    },
  };
}
