/**
 * Several backends on one PostgreSQL database, through real processes (docs/architecture.md §9): a kill -9 of the
 * backend running the periodic duties mid-run (another takes them over at its next lease try, every operation
 * completes exactly once, no worker is lost), and a restart with 500 registered workers (none lost).
 * PostgreSQL: TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test; each test gets a fresh database.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GetOperationResponse, WorkerRecord, type OperationRecord } from '../../src/api/contract.js';
import { DashboardEvent } from '../../src/api/events.js';
import { TokenService, tokenProvider } from '../../src/auth/tokens.js';
import { HttpClient } from '../../src/client/http.js';
import { budget, cleanEnv, freePort, KtrdrProcess, OPERATION_MS, STARTUP_MS, STOP_MS, tempDir, waitFor } from '../support/processes.js';
import { FAST_LOOPS } from './cluster.js';
import { TEST_POSTGRES } from '../support/postgres.js';

const pgServer = TEST_POSTGRES;
const SECRET = 'local-dev-secret-do-not-use-in-production';
const tokens = new TokenService(SECRET, 60);

const Health = z.object({ instance: z.string(), duties: z.enum(['held', 'standby']) });

interface BackendProcess {
  readonly process: KtrdrProcess;
  readonly port: number;
  readonly url: string;
}

/** Backends and workers on a database of their own; every process is stopped and the database dropped after. */
class MultiBackend {
  readonly dataDir = tempDir('ktrdr-multi-');
  readonly database = `ktrdr_multi_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  readonly backends: BackendProcess[] = [];
  readonly workers: { process: KtrdrProcess; id: string; port: number }[] = [];
  readonly processes: KtrdrProcess[] = [];

  constructor(private readonly settings: Record<string, string> = {}) {}

  async createDatabase(): Promise<void> {
    await this.admin(async (client) => void (await client.query(`CREATE DATABASE ${this.database}`)));
  }

  async dropDatabase(): Promise<void> {
    await this.admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`)));
  }

  private async admin(work: (client: pg.Client) => Promise<void>): Promise<void> {
    const client = new pg.Client({ ...pgServer, database: 'postgres', connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return cleanEnv({
      KTRDR_DB_DRIVER: 'postgres',
      KTRDR_DB_HOST: pgServer.host,
      KTRDR_DB_PORT: String(pgServer.port),
      KTRDR_DB_NAME: this.database,
      KTRDR_DB_USER: pgServer.user,
      KTRDR_DB_PASSWORD: pgServer.password || 'unused-with-trust-auth',
      KTRDR_API_HOST: '127.0.0.1',
      // One machine: the backends share the directories as they would share a volume.
      KTRDR_CHECKPOINT_DIR: join(this.dataDir, 'checkpoints'),
      KTRDR_DATA_DIR: this.dataDir,
      KTRDR_DATA_MODELS_DIR: join(this.dataDir, 'models'),
      KTRDR_DATA_STRATEGIES_DIR: join(this.dataDir, 'strategies'),
      ...FAST_LOOPS,
      ...this.settings,
      ...extra,
    });
  }

  /** Starts a backend (on `port` when given: a restart) and waits for its /health. */
  async startBackend(port?: number): Promise<BackendProcess> {
    const chosen = port ?? (await freePort());
    const process = new KtrdrProcess(`backend-${chosen}`, ['backend'], this.env({ KTRDR_API_PORT: String(chosen) }));
    this.processes.push(process);
    const backend = { process, port: chosen, url: `http://127.0.0.1:${chosen}/api/v1` };
    await waitFor(`backend ${chosen} /health`, async () => (await fetch(`http://127.0.0.1:${chosen}/health`)).ok, {
      timeoutMs: STARTUP_MS,
      whileAlive: [process],
    });
    const index = this.backends.findIndex((b) => b.port === chosen);
    if (index >= 0) this.backends[index] = backend;
    else this.backends.push(backend);
    return backend;
  }

  /** A training worker reporting to `primary`, with every other backend as a fallback. */
  async startWorker(primary: BackendProcess): Promise<{ process: KtrdrProcess; id: string; port: number }> {
    const port = await freePort();
    const id = `training-multi-${port}`;
    const fallbacks = this.backends.filter((b) => b !== primary).map((b) => b.url);
    const process = new KtrdrProcess(id, ['worker', 'training'], this.env({
      KTRDR_WORKER_PORT: String(port),
      KTRDR_WORKER_ID: id,
      KTRDR_API_CLIENT_BASE_URL: primary.url,
      KTRDR_API_CLIENT_FALLBACK_URLS: fallbacks.join(','),
    }));
    this.processes.push(process);
    const worker = { process, id, port };
    this.workers.push(worker);
    await waitFor(`worker ${id} listed`, async () => (await this.workerList(primary)).some((w) => w.worker_id === id), {
      timeoutMs: STARTUP_MS,
      whileAlive: [process, primary.process],
    });
    return worker;
  }

  /** A client as the CLI makes it, with `first` as its base URL and the other backends as fallbacks. */
  client(first: BackendProcess): HttpClient {
    return new HttpClient({
      baseUrl: first.url,
      fallbackUrls: this.backends.filter((b) => b !== first).map((b) => b.url),
      timeoutMs: 30_000,
      retryWhenNothingListens: false,
      token: tokenProvider(tokens, 'e2e-multi', 'cli'),
    });
  }

  workerList(backend: BackendProcess): Promise<WorkerRecord[]> {
    return this.client(backend).request('GET', '/workers', z.array(WorkerRecord));
  }

  async operation(backend: BackendProcess, id: string): Promise<OperationRecord> {
    return (await this.client(backend).request('GET', `/operations/${id}`, GetOperationResponse)).data;
  }

  async health(backend: BackendProcess): Promise<z.infer<typeof Health>> {
    return Health.parse(await (await fetch(`http://127.0.0.1:${backend.port}/health`)).json());
  }

  async leaseTries(backend: BackendProcess): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${backend.port}/metrics`)).text();
    const match = text.match(/^ktrdr_duty_lease_tries_total (\d+)/m);
    if (!match) throw new Error(`no ktrdr_duty_lease_tries_total in the metrics of backend ${backend.port}`);
    return Number(match[1]);
  }

  alive(): BackendProcess[] {
    return this.backends.filter((b) => b.process.alive);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop('SIGKILL', 5_000)));
    await this.dropDatabase();
  }
}

/** How many times each operation id was started, from the workers' own logs ("operation <id> (dummy) started"). */
function startsByOperation(outputs: readonly string[]): Map<string, number> {
  const starts = new Map<string, number>();
  for (const output of outputs) {
    for (const match of output.matchAll(/operation (op_\S+) \(dummy\) started/g)) {
      const id = match[1] as string;
      starts.set(id, (starts.get(id) ?? 0) + 1);
    }
  }
  return starts;
}

/** GET /api/v1/events of one backend, read as the dashboard reads it, until `close`. */
function watchEvents(backend: BackendProcess): { events: DashboardEvent[]; close: () => void } {
  const events: DashboardEvent[] = [];
  const controller = new AbortController();
  void (async () => {
    const response = await fetch(`${backend.url}/events`, {
      headers: { authorization: `Bearer ${await tokens.issue('e2e-watcher', 'cli')}` },
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const data = buffer.slice(0, cut).split('\n').find((line) => line.startsWith('data: '));
        buffer = buffer.slice(cut + 2);
        if (data) events.push(DashboardEvent.parse(JSON.parse(data.slice(6))));
      }
    }
  })().catch(() => undefined); // aborted by close(), or the backend went away
  return { events, close: () => controller.abort() };
}

const seenAs = (events: readonly DashboardEvent[], id: string, predicate: (op: OperationRecord) => boolean): boolean =>
  events.some((event) => 'operation' in event && event.operation.operation_id === id && predicate(event.operation));

let cluster: MultiBackend | null = null;

afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

describe('three backends on one PostgreSQL database', () => {
  it('kill -9 of the duty holder mid-run: another takes the duties at its next try, every operation completes exactly once, no worker is lost', {
    timeout: budget(STARTUP_MS, STARTUP_MS, STARTUP_MS, OPERATION_MS, OPERATION_MS, OPERATION_MS, OPERATION_MS, OPERATION_MS),
  }, async () => {
    cluster = new MultiBackend();
    await cluster.createDatabase();
    const first = await cluster.startBackend(); // migrates the fresh database
    await Promise.all([cluster.startBackend(), cluster.startBackend()]);
    const backends = [...cluster.backends];
    const healths = await Promise.all(backends.map((b) => cluster!.health(b)));
    expect(healths.filter((h) => h.duties === 'held')).toHaveLength(1);
    expect(healths[0]?.duties).toBe('held'); // the first one started alone
    const holder = first;
    for (const backend of backends) await cluster.startWorker(backend);

    // A client watching the third backend (never killed) sees what happens through the others.
    const watcher = watchEvents(backends[2] as BackendProcess);

    // A stream of short operations submitted to every backend, then three longer ones, one per worker.
    const submitted: { id: string; steps: number }[] = [];
    const submit = async (via: BackendProcess, steps: number, delayMs: number) => {
      const response = (await cluster!.client(via).send('POST', '/dummy/start', { body: { steps, step_delay_ms: delayMs } })) as { operation_id: string };
      submitted.push({ id: response.operation_id, steps });
      return response.operation_id;
    };
    for (let i = 0; i < 9; i++) await submit(backends[i % 3] as BackendProcess, 3, 30);
    const long: string[] = [];
    for (let i = 0; i < 3; i++) long.push(await submit(backends[i] as BackendProcess, 40, 100));

    // Mid-run: nothing waits, the three long ones run on their workers (each has reported progress).
    const survivor = backends[1] as BackendProcess;
    await waitFor('the long operations to run on the workers with nothing pending', async () => {
      const ops = await Promise.all(submitted.map((s) => cluster!.operation(survivor, s.id)));
      if (ops.some((op) => op.status === 'pending')) return false;
      return long.every((id) => {
        const op = ops.find((o) => o.operation_id === id);
        return op?.status === 'running' && op.progress.steps_completed >= 1 && op.progress.steps_completed < 30;
      });
    }, { timeoutMs: OPERATION_MS, whileAlive: backends.map((b) => b.process) });

    const survivors = backends.filter((b) => b !== holder);
    // Counted together and just before the kill, so that hardly a try falls between the count and the kill.
    const counts = await Promise.all(survivors.map(async (backend) => [backend.port, await cluster!.leaseTries(backend)] as const));
    holder.process.child.kill('SIGKILL');
    const triesBefore = new Map<number, number>(counts);
    await holder.process.exited;
    const killedAt = Date.now();

    // More work meanwhile, some of it through a client whose first URL is the dead backend (it fails over at once).
    const moreWork = (async () => {
      for (let i = 0; i < 6; i++) await submit(i % 2 === 0 ? holder : (survivors[i % 2] as BackendProcess), 3, 30);
    })();

    const taker = await waitFor('a surviving backend to hold the duties', async () => {
      const states = await Promise.all(survivors.map(async (b) => ({ backend: b, health: await cluster!.health(b) })));
      const held = states.filter((s) => s.health.duties === 'held');
      return held.length > 0 ? held : null;
    }, { timeoutMs: OPERATION_MS, whileAlive: survivors.map((b) => b.process) });
    const takeoverMs = Date.now() - killedAt;
    expect(taker).toHaveLength(1);
    const newHolder = (taker[0] as { backend: BackendProcess }).backend;
    const triesToTakeOver = (await cluster.leaseTries(newHolder)) - (triesBefore.get(newHolder.port) ?? 0);
    // Within one interval: counted from just before the kill, one try may fall between that count and the kill, one
    // may be in flight as the server closes the dead backend's session (slack), and the next one takes the lock.
    expect(triesToTakeOver).toBeGreaterThanOrEqual(1);
    expect(triesToTakeOver).toBeLessThanOrEqual(3);
    await newHolder.process.waitForOutput(/took over the periodic duties/, OPERATION_MS);
    await moreWork;
    console.log(`[multi-backend] duties taken over ${takeoverMs} ms after the kill (lease interval 300 ms), ${triesToTakeOver} lease tries after the last count before it`);

    // Every operation completes, exactly once, on the worker the store names.
    const done = await waitFor('every operation to complete', async () => {
      const ops = await Promise.all(submitted.map((s) => cluster!.operation(survivor, s.id)));
      const failed = ops.find((op) => op.status === 'failed' || op.status === 'cancelled');
      if (failed) throw new Error(`operation ${failed.operation_id} ended ${failed.status}: ${failed.error_message}`);
      return ops.every((op) => op.status === 'completed') ? ops : null;
    }, { timeoutMs: OPERATION_MS, whileAlive: [...survivors.map((b) => b.process), ...cluster.workers.map((w) => w.process)] });
    const starts = startsByOperation(cluster.workers.map((w) => w.process.output));
    for (const op of done) {
      expect(starts.get(op.operation_id), `starts of ${op.operation_id}`).toBe(1);
      expect(op.result_summary?.steps).toBe(submitted.find((s) => s.id === op.operation_id)?.steps);
      const ranOn = cluster.workers.find((w) => new RegExp(`operation ${op.operation_id} \\(dummy\\) started`).test(w.process.output));
      expect(ranOn?.id).toBe(op.worker_id);
    }
    expect([...starts.keys()].sort()).toEqual(submitted.map((s) => s.id).sort());

    // The watcher saw every operation complete, whichever backend it went through, and the long ones progress
    // (progress a worker reports is read by whichever backend asks; the feed reads the database and the workers).
    try {
      await waitFor('the event stream of the third backend to show every operation completed', () =>
        submitted.every((op) => seenAs(watcher.events, op.id, (record) => record.status === 'completed')), { timeoutMs: OPERATION_MS });
      for (const id of long) expect(seenAs(watcher.events, id, (record) => record.status === 'running' && record.progress.steps_completed > 0), `progress of ${id}`).toBe(true);
    } finally {
      watcher.close();
    }

    // No worker lost: all three listed and available on both survivors; the dead backend's worker moved on.
    for (const backend of survivors) {
      await waitFor(`all workers available on backend ${backend.port}`, async () => {
        const workers = await cluster!.workerList(backend);
        return workers.length === 3 && workers.every((w) => w.status === 'available');
      }, { timeoutMs: OPERATION_MS, whileAlive: [backend.process] });
    }
    const orphaned = cluster.workers[0] as { process: KtrdrProcess };
    expect(orphaned.process.output).toMatch(/failed over from the backend at .* re-registering there/);
  });

  it('a backend restart with 500 registered workers loses none; a graceful stop hands the duties over', {
    timeout: budget(STARTUP_MS, STARTUP_MS, OPERATION_MS, STOP_MS, STARTUP_MS, OPERATION_MS, OPERATION_MS),
  }, async () => {
    // Health checks every second, each bounded by 10 s: 500 answers from one test process are not instant.
    cluster = new MultiBackend({ KTRDR_WORKER_HEALTH_CHECK_INTERVAL: '1', KTRDR_WORKER_REMOVAL_THRESHOLD: '60', KTRDR_ORPHAN_CHECK_INTERVAL_SECONDS: '1' });
    await cluster.createDatabase();
    const a = await cluster.startBackend();
    const b = await cluster.startBackend();
    const fakes = await FakeWorkers.start(500);
    try {
      // Registered through the real API, each with its own worker token, twenty at a time, half through each backend.
      const ids = fakes.ids;
      for (let i = 0; i < ids.length; i += 20) {
        await Promise.all(ids.slice(i, i + 20).map((id, j) => fakes.register((i + j) % 2 === 0 ? a : b, id)));
      }
      const healthyAfter = async (backend: BackendProcess, since: number) => {
        const workers = await cluster!.workerList(backend);
        const healthy = workers.filter((w) => w.status === 'available' && w.last_health_check !== null && Date.parse(w.last_health_check) > since);
        return workers.length === 500 && healthy.length === 500;
      };
      const registeredAt = Date.now();
      await waitFor('500 workers listed and health-checked', () => healthyAfter(b, registeredAt), { timeoutMs: OPERATION_MS, whileAlive: [a.process, b.process] });

      // The duty holder stops cleanly: the other takes the duties at its next try, then the first comes back.
      expect((await cluster.health(a)).duties).toBe('held');
      expect(await a.process.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(a.process.output).toMatch(/released the periodic duties/);
      const stoppedAt = Date.now();
      await waitFor('backend b to hold the duties', async () => (await cluster!.health(b)).duties === 'held', { timeoutMs: OPERATION_MS, whileAlive: [b.process] });
      console.log(`[multi-backend] duties handed over ${Date.now() - stoppedAt} ms after the holder's graceful stop (lease interval 1000 ms)`);
      const restartedAt = Date.now();
      const again = await cluster.startBackend(a.port);
      expect((await cluster.health(again)).duties).toBe('standby');

      await waitFor('all 500 listed and health-checked after the restart', () => healthyAfter(again, restartedAt), {
        timeoutMs: OPERATION_MS,
        whileAlive: [again.process, b.process],
      });
    } finally {
      await fakes.close();
    }
  });
});

/**
 * Many light workers in this process, each its own endpoint (`/w/<n>` on one server): they answer GET /health as
 * a real idle worker does (src/worker/server.ts) and register through the backend's API with a worker token.
 */
class FakeWorkers {
  private constructor(
    private readonly server: Server,
    private readonly port: number,
    readonly ids: readonly string[],
  ) {}

  static async start(count: number): Promise<FakeWorkers> {
    const ids = Array.from({ length: count }, (_, n) => `training-fake-${n}`);
    const server = createServer((request, response) => {
      const match = request.url?.match(/^\/w\/(\d+)\/health$/);
      const id = match ? ids[Number(match[1])] : undefined;
      if (!id) {
        response.statusCode = 404;
        response.end();
        return;
      }
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ healthy: true, worker_id: id, worker_type: 'training', worker_status: 'idle', current_operation: null }));
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return new FakeWorkers(server, typeof address === 'object' && address ? address.port : 0, ids);
  }

  async register(backend: BackendProcess, id: string): Promise<void> {
    const n = this.ids.indexOf(id);
    const http = new HttpClient({ baseUrl: backend.url, timeoutMs: 30_000, token: () => tokens.issue(id, 'worker'), retry: { maxRetries: 5, delayMs: 200 } });
    await http.request('POST', '/workers/register', WorkerRecord, {
      body: { worker_id: id, worker_type: 'training', endpoint_url: `http://127.0.0.1:${this.port}/w/${n}`, capabilities: {}, current_operation_id: null, completed_operations: [] },
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
