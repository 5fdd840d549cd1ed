/**
 * A real backend for tests: the Fastify app listening on an ephemeral port, an
 * in-memory PGlite store, a temporary checkpoint directory and a ManualClock.
 * Loop intervals are an hour so that nothing runs on its own: tests call
 * runOnce() (or the service method) when they want a pass.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { TokenRole } from '../../../src/auth/tokens.js';
import { Backend, type BackendOptions } from '../../../src/backend/backend.js';
import { ManualClock } from '../../../src/common/clock.js';
import { MemoryStoreTemplate } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { memoryImageCache } from '../../support/db-template.js';
import type { FakeWorker } from './fake-worker.js';

export const TEST_SECRET = 'test-secret-for-backend-tests';
const HOUR = 3_600_000;

/** One per test file (vitest loads modules per file): its backends' stores start from a migrated image. */
const memoryStores = new MemoryStoreTemplate(memoryImageCache());

export interface TestBackend {
  readonly backend: Backend;
  readonly clock: ManualClock;
  readonly url: string;
  readonly api: string;
  readonly checkpointDir: string;
  /** The backend's store, for tests that set up state no route creates (an operation already running on a worker). */
  readonly store: Store;
  /** fetch with a valid cli token (paths outside /health, /metrics get /api/v1 in front); JSON in, {status, body, headers} out. */
  call: Call;
  /** The same with a token of `role` for `subject` (a worker's subject is its worker id). */
  as(role: TokenRole, subject: string): { call: Call };
  /** A cli token. */
  token(): Promise<string>;
  /** Registers with the worker's own token (subject: the worker_id sent). */
  register(worker: FakeWorker, extra?: Record<string, unknown>): Promise<TestResponse>;
  stop(): Promise<void>;
}

export type Call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<TestResponse>;

export interface TestResponse {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly headers: Headers;
}

export async function startTestBackend(overrides: Partial<BackendOptions> & { store?: Store } = {}): Promise<TestBackend> {
  const clock = (overrides.clock as ManualClock | undefined) ?? new ManualClock();
  const checkpointDir = overrides.checkpointDir ?? mkdtempSync(join(tmpdir(), 'ktrdr-backend-ckpt-'));
  const store = overrides.store ?? (await memoryStores.open());
  const backend = new Backend({
    store,
    logger: pino({ level: process.env.KTRDR_TEST_LOG ? 'debug' : 'silent' }),
    host: '127.0.0.1',
    port: 0,
    jwtSecret: TEST_SECRET,
    tokenExpireMinutes: 60,
    checkpointDir,
    checkpointMaxAgeDays: 30,
    dataDir: mkdtempSync(join(tmpdir(), 'ktrdr-backend-data-')),
    modelsDir: mkdtempSync(join(tmpdir(), 'ktrdr-backend-models-')),
    strategiesDir: mkdtempSync(join(tmpdir(), 'ktrdr-backend-strategies-')),
    healthCheckIntervalMs: HOUR,
    healthCheckTimeoutMs: 2_000,
    healthCheckFailures: 3,
    workerRemovalThresholdMs: 300_000,
    orphanTimeoutMs: 60_000,
    orphanCheckIntervalMs: HOUR,
    opsCacheTtlMs: 1_000,
    maxOperations: 10_000,
    cleanupIntervalMs: HOUR,
    retentionDays: 7,
    dispatchIntervalMs: HOUR,
    workerRequestTimeoutMs: 2_000,
    uploadLimitBytes: 8 * 1024 * 1024,
    ...overrides,
    clock,
  });
  const url = await backend.start();
  const api = `${url}/api/v1`;
  const token = () => backend.tokens.issue('test', 'cli');
  const caller = (mint: () => Promise<string>): Call => async (method, path, body, headers = {}) => {
    const auth: Record<string, string> = 'authorization' in headers ? {} : { authorization: `Bearer ${await mint()}` };
    const json: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    // The dashboard's files (`/`, `/assets/…`) are at the root too.
    const atRoot = path === '/' || ['/health', '/metrics', '/api/v1', '/assets/'].some((root) => path.startsWith(root));
    const full = atRoot ? path : `/api/v1${path}`;
    const response = await fetch(`${url}${full}`, {
      method,
      headers: { ...auth, ...json, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    // A stream of server-sent events never ends by itself: its status and headers are the answer.
    if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
      await response.body?.cancel();
      return { status: response.status, body: null, headers: response.headers };
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (metrics, docs): keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  const as = (role: TokenRole, subject: string) => ({ call: caller(() => backend.tokens.issue(subject, role)) });
  return {
    backend,
    clock,
    url,
    api,
    checkpointDir,
    store,
    call: caller(token),
    as,
    token,
    register: (worker, extra) => {
      const registration = worker.registration(extra);
      return as('worker', String(registration.worker_id)).call('POST', '/workers/register', registration);
    },
    stop: () => backend.stop(),
  };
}

/** Bounded wait for a condition (real HTTP round trips are involved), never a fixed sleep. */
export async function eventually<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
