/**
 * A backend and workers as real child processes on free ports, with a shared
 * temporary data directory and small intervals set through the environment.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { OperationRecord} from '../../src/api/contract.js';
import { GetOperationResponse, WorkerRecord, type WorkerType } from '../../src/api/contract.js';
import { TokenService, tokenProvider } from '../../src/auth/tokens.js';
import { HttpClient } from '../../src/client/http.js';
import { seedPgliteDir } from '../support/db-template.js';
import { cleanEnv, freePort, KtrdrProcess, OPERATION_MS, STARTUP_MS, tempDir, waitFor } from '../support/processes.js';

/**
 * Fast loops so that failures show within seconds. A dead worker refuses connections at once, so only the health
 * check timeout decides how a slow one is judged: a training worker on a busy 2-core machine can take seconds to
 * answer, and a tight timeout there would fail its operation as an orphan. Only the SIGSTOP test waits it out.
 */
export const FAST_LOOPS: Record<string, string> = {
  KTRDR_WORKER_HEARTBEAT_INTERVAL: '0.3',
  KTRDR_WORKER_HEALTH_CHECK_INTERVAL: '0.3',
  KTRDR_WORKER_HEALTH_CHECK_TIMEOUT: '10',
  KTRDR_WORKER_HEALTH_CHECK_FAILURES: '2',
  KTRDR_WORKER_REMOVAL_THRESHOLD: '2',
  KTRDR_ORPHAN_TIMEOUT_SECONDS: '1.5',
  KTRDR_ORPHAN_CHECK_INTERVAL_SECONDS: '0.3',
  KTRDR_OPS_CACHE_TTL: '0',
  KTRDR_API_CLIENT_RETRY_DELAY: '0.2',
  KTRDR_API_CLIENT_MAX_RETRIES: '50',
  KTRDR_LOG_LEVEL: 'DEBUG',
};

export class Cluster {
  readonly dataDir = tempDir();
  readonly processes: KtrdrProcess[] = [];
  backend: KtrdrProcess | null = null;
  apiPort = 0;
  private readonly settings: Record<string, string>;
  /** The default secret, as every process of the cluster uses it. */
  private readonly tokens = new TokenService('local-dev-secret-do-not-use-in-production', 60);
  private readonly token = tokenProvider(this.tokens, 'e2e-test', 'cli');

  /** How long a backend or worker may take to come up (a busy machine needs more than the default). */
  private readonly startTimeoutMs: number;

  constructor(settings: Record<string, string> = {}, options: { startTimeoutMs?: number } = {}) {
    this.settings = { ...FAST_LOOPS, ...settings };
    this.startTimeoutMs = options.startTimeoutMs ?? STARTUP_MS;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.apiPort}/api/v1`;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return cleanEnv({
      KTRDR_API_HOST: '127.0.0.1',
      KTRDR_API_PORT: String(this.apiPort),
      KTRDR_API_CLIENT_BASE_URL: this.baseUrl,
      KTRDR_DB_DIR: join(this.dataDir, 'db'),
      KTRDR_CHECKPOINT_DIR: join(this.dataDir, 'checkpoints'),
      KTRDR_DATA_DIR: this.dataDir,
      KTRDR_DATA_MODELS_DIR: join(this.dataDir, 'models'),
      KTRDR_DATA_STRATEGIES_DIR: join(this.dataDir, 'strategies'),
      // The cluster's settings may move any of the directories above.
      ...this.settings,
      ...extra,
    });
  }

  async startBackend(): Promise<KtrdrProcess> {
    if (this.apiPort === 0) this.apiPort = await freePort();
    const dbDir = this.env().KTRDR_DB_DIR;
    if (dbDir) await seedPgliteDir(dbDir);
    const backend = new KtrdrProcess('backend', ['backend'], this.env());
    this.processes.push(backend);
    this.backend = backend;
    await waitFor('backend /health', async () => (await fetch(`http://127.0.0.1:${this.apiPort}/health`)).ok, {
      timeoutMs: this.startTimeoutMs,
      whileAlive: [backend],
    });
    return backend;
  }

  async startWorker(type: WorkerType, extra: Record<string, string> = {}): Promise<{ process: KtrdrProcess; port: number; id: string }> {
    const port = await freePort();
    const id = `${type}-e2e-${port}`;
    const worker = new KtrdrProcess(id, ['worker', type], this.env({ KTRDR_WORKER_PORT: String(port), KTRDR_WORKER_ID: id, ...extra }));
    this.processes.push(worker);
    await this.waitForWorker(id, () => true, this.startTimeoutMs, worker);
    return { process: worker, port, id };
  }

  /** A client of the backend as the CLI would make it (the default secret). */
  get http(): HttpClient {
    return new HttpClient({ baseUrl: this.baseUrl, timeoutMs: 30_000, token: this.token });
  }

  workers(): Promise<WorkerRecord[]> {
    return this.http.request('GET', '/workers', z.array(WorkerRecord));
  }

  /** Waits on the backend's list; fails at once if the backend (or `worker`, when given) exits. */
  async waitForWorker(id: string, predicate: (w: WorkerRecord) => boolean = () => true, timeoutMs = STARTUP_MS, worker?: KtrdrProcess): Promise<WorkerRecord> {
    return waitFor(`worker ${id}`, async () => (await this.workers()).find((w) => w.worker_id === id && predicate(w)), {
      timeoutMs,
      whileAlive: [this.backend, worker],
    });
  }

  async operation(id: string): Promise<OperationRecord> {
    return (await this.http.request('GET', `/operations/${id}`, GetOperationResponse)).data;
  }

  async waitForOperation(id: string, predicate: (op: OperationRecord) => boolean, what: string, timeoutMs = OPERATION_MS): Promise<OperationRecord> {
    return waitFor(`operation ${id} ${what}`, async () => {
      const op = await this.operation(id);
      return predicate(op) ? op : null;
    }, { timeoutMs, whileAlive: [this.backend] });
  }

  async startDummy(body: Record<string, unknown>): Promise<string> {
    const response = await this.http.send('POST', '/dummy/start', { body });
    return (response as { operation_id: string }).operation_id;
  }

  send(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.http.send(method, path, body === undefined ? {} : { body });
  }

  /** The same as the worker `workerId` (a worker token for that subject). */
  sendAsWorker(workerId: string, method: string, path: string, body?: unknown): Promise<unknown> {
    const http = new HttpClient({ baseUrl: this.baseUrl, timeoutMs: 5_000, token: () => this.tokens.issue(workerId, 'worker') });
    return http.send(method, path, body === undefined ? {} : { body });
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop('SIGKILL', 5_000)));
  }
}
