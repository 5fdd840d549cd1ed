/**
 * `npm run bench -- dispatch`: ktrdr's dispatch beside job queues, measured the same way in one run.
 *
 * Each system gets 1,000 no-op jobs submitted back to back (each submit awaited) by this process, run by 2 consumers
 * of concurrency 1 in processes of their own: BullMQ (Redis), graphile-worker and pg-boss (PostgreSQL) consumers are
 * bench/dispatch-consumer.ts; ktrdr's are two `ktrdr worker training` processes running zero-delay dummy operations
 * behind a `ktrdr backend` (PGlite, then PostgreSQL). Figures:
 * - completed/s: first submit → last completion;
 * - idle submit→start p50: 50 jobs one at a time into an idle system (peers: until the handler runs; ktrdr: until
 *   the worker finished the no-op operation, its `completed_at` as the worker reports it: later than the handler's
 *   start, and unlike `started_at` not stamped by the backend when it claims, which it now does with the submission);
 * - CPU per job: user+system CPU of this process (the client: ktrdr's BackendApi over node:http keep-alive, its
 *   `transport` option) and of the consumer / backend / worker processes over the
 *   throughput run, from /proc/<pid>/stat; the PostgreSQL and Redis servers' CPU is not counted. ktrdr's backend CPU
 *   per operation is printed on its own too.
 * Then ktrdr only: 3 backends on one PostgreSQL database with 4 workers against 1 backend with 4 workers (below); 2,000 light
 * fake workers (bench/dispatch-fleet.ts) registering through the HTTP API, the claim delay while a health pass runs
 * over them, and how long they take to register again after the backend restarts on a fresh database.
 *
 * The scale part measures capacity, so both runs get the same offered load: 3 concurrent submitting loops (each submit
 * awaited), as three users of a multi-backend deployment would be, each with a backend of its own when there are 3
 * and all into the one backend otherwise; 1,000 operations after a warm-up of 90 through the same loops, 4 workers, a
 * fresh database each. A single serial loop (the earlier form) cannot show scale-out: its round trip sets the pace
 * whatever the number of backends. Printed per run: completed/s (first submit → last completion), how long the
 * submissions took, CPU per operation of the backends, of every ktrdr process with the client, and of the PostgreSQL
 * server processes serving the database (from pg_stat_activity's pids, on this machine), and the share of the cores
 * used by those processes and by the whole machine (/proc/stat, other users included) over the run, with the load
 * average, and the ceiling those CPU figures set (cores / CPU per operation of every process): on a small machine
 * the 1-backend run may already use most of the cores, and then no number of backends on it can be much faster.
 * On a machine shared with other jobs the ratio of the two runs follows their load; the CPU figures move less.
 *
 * Peers install on demand into .bench-peers/ (bench/peers.ts); a missing peer, Redis or PostgreSQL is reported and
 * skipped, never a failure of the run.
 *
 * Knobs (environment), for profiling one part; the whole run is the default:
 * - KTRDR_BENCH_DISPATCH_PARTS: a comma-separated subset of `peers`, `pglite`, `postgres`, `scale`, `fleet` (the
 *   ktrdr rows, the 3-vs-1 backends run, the 2,000 fake workers); targets of parts not run print "not measured".
 * - KTRDR_BENCH_CHILD_NODE_ARGS: node arguments (space-separated) for the ktrdr backend and worker processes only,
 *   e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (each writes its profile when it stops).
 * - KTRDR_BENCH_BACKEND_ENV: extra `NAME=value` settings (comma-separated) for the backends, e.g. `KTRDR_DB_ECHO=true`
 *   to count the statements per operation in their stderr.
 * - KTRDR_BENCH_LOG_DIR: a directory where each ktrdr process's stdout and stderr are appended (`<name>.log`).
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import type { OperationRecord } from '../src/api/contract.js';
import { TokenService, tokenProvider } from '../src/auth/tokens.js';
import { BackendApi } from '../src/client/backend-api.js';
import { keepAliveTransport } from '../src/client/keep-alive-transport.js';
import type { ConsumerMessage, ConsumerOptions } from './dispatch-consumer.js';
import type { FleetCommand, FleetMessage, FleetOptions } from './dispatch-fleet.js';
import { resolveBenchPeer } from './peers.js';
import { freePort } from './ports.js';
import { percentile } from './stats.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const CONSUMER = fileURLToPath(new URL('./dispatch-consumer.js', import.meta.url));
const FLEET = fileURLToPath(new URL('./dispatch-fleet.js', import.meta.url));
const SECRET = 'local-dev-secret-do-not-use-in-production';

const JOBS = 1000;
const WARMUP = 20;
const IDLE_SAMPLES = 50;
/** The scale part's operations, its warm-up's, and its concurrent submitting loops (header comment). */
const SCALE_OPS = 1000;
const SCALE_WARMUP = 90;
const SCALE_CLIENTS = 3;
const FLEET_SIZE = 2000;
const FLEET_HEARTBEAT_MS = 2000;
/** The first registration of the fleet may take this long before the bench goes on with the workers registered by then. */
const FLEET_REGISTER_MS = 120_000;
const HEALTH_INTERVAL_S = 5;
const CLAIM_PROBE_MS = 12_000;

const REDIS = { host: '127.0.0.1', port: 6379 };
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', password: 'bench' };
const pgUrl = (database: string) => `postgres://${PG.user}:${PG.password}@${PG.host}:${PG.port}/${database}`;

/** Which parts run (KTRDR_BENCH_DISPATCH_PARTS, header comment). */
const PARTS = new Set((process.env.KTRDR_BENCH_DISPATCH_PARTS ?? 'peers,pglite,postgres,scale,fleet').split(',').map((part) => part.trim()));
const LOG_DIR = process.env.KTRDR_BENCH_LOG_DIR ?? '';
const CHILD_NODE_ARGS = (process.env.KTRDR_BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
const BACKEND_ENV: Record<string, string> = Object.fromEntries(
  (process.env.KTRDR_BENCH_BACKEND_ENV ?? '')
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()]),
);

const TARGET = {
  minPerSecond: 300,
  backendCpuMs: 3,
  idleP50Ms: 5,
  scaleRatio: 1.5,
  reregisterS: 5,
  claimDelayMs: 50,
};

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------- CPU

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** User+system CPU of a process so far, in ms (0 once it is gone). */
function cpuOf(pid: number): number {
  try {
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

const selfCpu = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/** CPU of this process plus `pids`, read at once. */
function cpuSnapshot(pids: readonly number[]): { self: number; others: number[] } {
  return { self: selfCpu(), others: pids.map(cpuOf) };
}

function cpuSpent(before: { self: number; others: number[] }, pids: readonly number[]): { self: number; others: number[] } {
  const after = cpuSnapshot(pids);
  return { self: after.self - before.self, others: after.others.map((value, i) => value - (before.others[i] ?? 0)) };
}

// ---------------------------------------------------------------- results

interface Row {
  readonly system: string;
  readonly perSecond: number | null;
  readonly idleP50: number | null;
  readonly cpuPerJob: number | null;
  readonly backendCpuPerOp?: number | null;
  readonly note?: string;
}

const skipped = (system: string, why: string): Row => ({ system, perSecond: null, idleP50: null, cpuPerJob: null, note: why });

// ---------------------------------------------------------------- services

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ ...PG, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const createdDatabases = new Set<string>();

async function freshDatabase(label: string): Promise<string> {
  const name = `ktrdr_bench_${label}_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  createdDatabases.add(name);
  return name;
}

async function dropDatabase(name: string): Promise<void> {
  createdDatabases.delete(name);
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error: unknown) => {
    console.log(`  (could not drop the database ${name}: ${errorText(error)})`);
  });
}

// ---------------------------------------------------------------- children

/** A child process with the tail of its output, for error messages. */
class Child {
  readonly exited: Promise<void>;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private readonly tail: string[] = [];

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) this.tail.push(line);
      this.tail.splice(0, Math.max(0, this.tail.length - 15));
    };
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
    if (LOG_DIR) {
      const log = createWriteStream(join(LOG_DIR, `${name.replace(/[^a-z0-9-]+/gi, '-')}.log`), { flags: 'a' });
      process.stdout?.pipe(log);
      process.stderr?.pipe(log);
    }
    this.exited = new Promise((resolve) =>
      process.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.process.pid as number;
  }

  get alive(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  describeExit(): string {
    return `${this.name} exited (${this.exitSignal ?? `code ${this.exitCode}`})${this.tail.length ? `; last output:\n      ${this.tail.slice(-6).join('\n      ')}` : ''}`;
  }

  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a value; fails when `child` dies or the time is up, saying which. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  children: readonly Child[] = [],
  everyMs = 20,
  failure: () => string | null = () => null,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = children.find((child) => !child.alive);
    if (dead) throw new Error(`${what}: ${dead.describeExit()}`);
    const failed = failure();
    if (failed) throw new Error(`${what}: ${failed}`);
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------- peers

interface PeerClient {
  submit(key: string): Promise<void>;
  close(): Promise<void>;
}

interface PeerSetup {
  readonly entry: string;
  readonly consumer: ConsumerOptions;
  readonly client: PeerClient;
  readonly cleanup: () => Promise<void>;
}

type Module = Record<string, unknown>;

async function loadPeer(entry: string): Promise<Module> {
  const loaded = (await import(pathToFileURL(entry).href)) as Module & { default?: Module };
  return loaded.default ?? loaded;
}

/** Runs 1,000 jobs back to back, then 50 one at a time, through `setup`'s client and 2 forked consumers. */
async function measurePeer(system: string, peer: string, setup: PeerSetup): Promise<Row> {
  const done = new Map<string, { start: number; end: number }>();
  const waiters = new Map<string, () => void>();
  /** Completed jobs per key prefix (`job-17` counts for `job`). */
  const completed = new Map<string, number>();
  let ready = 0;
  let consumerError: string | null = null;
  const consumers = [0, 1].map((i) => {
    const child = fork(CONSUMER, [peer, setup.entry, JSON.stringify(setup.consumer)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const wrapped = new Child(`${peer} consumer ${i + 1}`, child);
    child.on('message', (message: ConsumerMessage) => {
      if (message.type === 'jobs') {
        for (const job of message.jobs) {
          done.set(job.key, job);
          const prefix = job.key.slice(0, job.key.lastIndexOf('-'));
          completed.set(prefix, (completed.get(prefix) ?? 0) + 1);
          waiters.get(job.key)?.();
        }
      } else if (message.type === 'ready') ready++;
      else if (message.type === 'error') consumerError ??= message.message;
    });
    return wrapped;
  });
  const failure = () => consumerError;
  try {
    await waitFor('2 consumers ready', async () => ready === consumers.length, 60_000, consumers, 20, failure);
    const runBatch = async (prefix: string, count: number) => {
      for (let i = 0; i < count; i++) await setup.client.submit(`${prefix}-${i}`);
      await waitFor(`${count} ${system} jobs completed`, async () => (completed.get(prefix) ?? 0) >= count, 120_000, consumers, 2, failure);
    };
    await runBatch('warm', WARMUP);

    const pids = consumers.map((c) => c.pid);
    const cpuBefore = cpuSnapshot(pids);
    const first = now();
    await runBatch('job', JOBS);
    const cpu = cpuSpent(cpuBefore, pids);
    const last = Math.max(...[...Array(JOBS).keys()].map((i) => done.get(`job-${i}`)?.end ?? 0));

    const idle: number[] = [];
    for (let i = 0; i < IDLE_SAMPLES; i++) {
      const key = `idle-${i}`;
      const finished = new Promise<void>((resolve) => waiters.set(key, resolve));
      const submitted = now();
      await setup.client.submit(key);
      await Promise.race([finished, sleep(10_000)]);
      const job = done.get(key);
      if (job) idle.push(job.start - submitted);
    }
    return {
      system,
      perSecond: JOBS / ((last - first) / 1000),
      idleP50: idle.length ? percentile(idle, 50) : null,
      cpuPerJob: (cpu.self + cpu.others.reduce((a, b) => a + b, 0)) / JOBS,
    };
  } catch (error) {
    return skipped(system, `failed: ${errorText(error)}`);
  } finally {
    for (const consumer of consumers) if (consumer.process.connected) consumer.process.disconnect();
    await Promise.all(consumers.map((consumer) => Promise.race([consumer.exited, sleep(10_000).then(() => consumer.stop(1000))])));
    await setup.client.close().catch(() => {});
    await setup.cleanup();
  }
}

async function bullmqRow(redis: boolean): Promise<Row> {
  const system = 'BullMQ (Redis)';
  if (!redis) return skipped(system, `no Redis at ${REDIS.host}:${REDIS.port}`);
  if (!resolveBenchPeer('ioredis')) return skipped(system, 'ioredis (the Redis driver BullMQ loads) is not installed');
  const entry = resolveBenchPeer('bullmq');
  if (!entry) return skipped(system, 'bullmq is not installed');
  const mod = await loadPeer(entry);
  const version = peerVersion(entry);
  type Queue = { add(name: string, data: object, options: object): Promise<unknown>; obliterate(options: object): Promise<void>; close(): Promise<void> };
  const queueName = `ktrdr-bench-${process.pid}-${Date.now()}`;
  const queue = new (mod.Queue as new (name: string, options: object) => Queue)(queueName, { connection: REDIS });
  return measurePeer(`BullMQ ${version} (Redis)`, 'bullmq', {
    entry,
    consumer: { queue: queueName, redis: REDIS },
    client: {
      submit: async (key) => void (await queue.add('noop', { key }, { removeOnComplete: true })),
      close: async () => {},
    },
    cleanup: async () => {
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    },
  });
}

async function graphileRow(postgres: boolean): Promise<Row> {
  const system = 'graphile-worker (PostgreSQL)';
  if (!postgres) return skipped(system, `no PostgreSQL at ${PG.host}:${PG.port}`);
  const entry = resolveBenchPeer('graphile-worker');
  if (!entry) return skipped(system, 'graphile-worker is not installed');
  const mod = await loadPeer(entry);
  const database = await freshDatabase('graphile');
  type Utils = { migrate(): Promise<void>; addJob(task: string, payload: object): Promise<unknown>; release(): Promise<void> };
  const logger = new (mod.Logger as new (factory: () => () => void) => unknown)(() => () => {});
  const utils = await (mod.makeWorkerUtils as (options: object) => Promise<Utils>)({ connectionString: pgUrl(database), logger });
  await utils.migrate();
  return measurePeer(`graphile-worker ${peerVersion(entry)} (PostgreSQL)`, 'graphile-worker', {
    entry,
    consumer: { queue: 'noop', connectionString: pgUrl(database) },
    client: { submit: async (key) => void (await utils.addJob('noop', { key })), close: () => utils.release() },
    cleanup: () => dropDatabase(database),
  });
}

async function pgBossRow(postgres: boolean): Promise<Row> {
  const system = 'pg-boss fetch/complete loop (PostgreSQL)';
  if (!postgres) return skipped(system, `no PostgreSQL at ${PG.host}:${PG.port}`);
  const entry = resolveBenchPeer('pg-boss');
  if (!entry) return skipped(system, 'pg-boss is not installed');
  const mod = await loadPeer(entry);
  const database = await freshDatabase('pgboss');
  type Boss = { on(event: 'error', listener: (error: Error) => void): void; start(): Promise<unknown>; stop(options: object): Promise<void>; createQueue(name: string): Promise<void>; send(name: string, data: object): Promise<unknown> };
  const boss = new (mod as unknown as new (options: object) => Boss)({ connectionString: pgUrl(database), supervise: false, schedule: false, max: 2 });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue('bench');
  return measurePeer(`pg-boss ${peerVersion(entry)} fetch/complete loop (PostgreSQL)`, 'pg-boss', {
    entry,
    consumer: { queue: 'bench', connectionString: pgUrl(database), pollMs: 5 },
    client: { submit: async (key) => void (await boss.send('bench', { key })), close: () => boss.stop({ graceful: false, wait: true }) },
    cleanup: () => dropDatabase(database),
  });
}

/** The installed version of the peer whose entry file is `entry`. */
function peerVersion(entry: string): string {
  let dir = entry;
  for (let i = 0; i < 6; i++) {
    dir = join(dir, '..');
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name && manifest.version) return manifest.version;
    } catch {
      // not the package root yet
    }
  }
  return '?';
}

// ---------------------------------------------------------------- ktrdr

type Store = { readonly driver: 'pglite' } | { readonly driver: 'postgres'; readonly database: string };

function ktrdrEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('KTRDR_')) env[name] = value;
  return {
    ...env,
    KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true',
    KTRDR_AUTH_JWT_SECRET: SECRET,
    KTRDR_LOG_LEVEL: 'WARNING',
    KTRDR_DATA_DIR: dataDir,
    KTRDR_CHECKPOINT_DIR: join(dataDir, 'checkpoints'),
    KTRDR_DATA_MODELS_DIR: join(dataDir, 'models'),
    ...extra,
  };
}

function storeEnv(store: Store, dataDir: string): Record<string, string> {
  return store.driver === 'pglite'
    ? { KTRDR_DB_DRIVER: 'pglite', KTRDR_DB_DIR: join(dataDir, 'db') }
    : { KTRDR_DB_DRIVER: 'postgres', KTRDR_DB_HOST: PG.host, KTRDR_DB_PORT: String(PG.port), KTRDR_DB_NAME: store.database, KTRDR_DB_USER: PG.user, KTRDR_DB_PASSWORD: PG.password };
}


const token = tokenProvider(new TokenService(SECRET, 60), 'bench', 'cli');
// The submitting client sends over node:http with a keep-alive agent (HttpClientOptions.transport), as a script
// submitting a sweep would: fetch costs the client several times the CPU per small request (the CLI keeps fetch).
const clientTransport = keepAliveTransport();
const apiOf = (port: number) => BackendApi.create({ baseUrl: `http://127.0.0.1:${port}/api/v1`, timeoutMs: 30_000, token, transport: clientTransport });

async function startBackend(name: string, port: number, store: Store, dataDir: string, extra: Record<string, string> = {}): Promise<Child> {
  const env = ktrdrEnv(dataDir, { ...storeEnv(store, dataDir), KTRDR_API_HOST: '127.0.0.1', KTRDR_API_PORT: String(port), ...BACKEND_ENV, ...extra });
  const child = new Child(name, spawn(process.execPath, [...CHILD_NODE_ARGS, CLI, 'backend'], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  await waitFor(`${name} ready`, async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 120_000, [child], 50);
  return child;
}

async function startWorkers(count: number, backendPorts: readonly number[], dataDir: string, extra: Record<string, string> = {}): Promise<Child[]> {
  const workers: Child[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const backend = backendPorts[i % backendPorts.length] as number;
    const env = ktrdrEnv(dataDir, {
      KTRDR_API_CLIENT_BASE_URL: `http://127.0.0.1:${backend}/api/v1`,
      KTRDR_WORKER_PORT: String(port),
      KTRDR_WORKER_HOST: '127.0.0.1',
      KTRDR_WORKER_ID: `bench-training-${i + 1}`,
      ...extra,
    });
    workers.push(new Child(`worker ${i + 1}`, spawn(process.execPath, [...CHILD_NODE_ARGS, CLI, 'worker', 'training'], { env, stdio: ['ignore', 'pipe', 'pipe'] })));
  }
  return workers;
}

async function waitForTrainingWorkers(api: BackendApi, count: number, children: readonly Child[]): Promise<void> {
  await waitFor(
    `${count} training workers available`,
    async () => (await api.listWorkers({ workerType: 'training', status: 'available' })).length >= count,
    120_000,
    children,
    100,
  );
}

const isDone = (op: OperationRecord) => op.status === 'completed' || op.status === 'failed' || op.status === 'cancelled';

/**
 * Waits until none of `ids` is active, then returns their records. Fails when a process dies or nothing finished for
 * `stallMs` (naming how many completed, failed and are still pending or running).
 */
async function waitForOperations(apis: readonly BackendApi[], ids: ReadonlySet<string>, children: readonly Child[], stallMs = 30_000): Promise<OperationRecord[]> {
  await waitUntilIdle(apis, ids, children, stallMs);
  return listOperations(apis, ids);
}

async function waitUntilIdle(apis: readonly BackendApi[], ids: ReadonlySet<string>, children: readonly Child[], stallMs = 30_000): Promise<void> {
  let lastActive = -1;
  let lastChange = Date.now();
  for (;;) {
    const dead = children.find((child) => !child.alive);
    if (dead) throw new Error(dead.describeExit());
    const api = apis[0] as BackendApi;
    // Only the active count matters here: asking for a completed row keeps the poll from reading a running
    // operation's progress from its worker (a status request and an UPDATE), which would count as dispatch's CPU.
    const { active_count: active } = await api.listOperations({ limit: 1, status: 'completed' });
    if (active === 0) break;
    if (active !== lastActive) {
      lastActive = active;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      const ops = (await api.listOperations({ limit: 10_000 })).data.filter((op) => ids.has(op.operation_id));
      const count = (status: string) => ops.filter((op) => op.status === status).length;
      throw new Error(
        `stalled: nothing finished for ${stallMs / 1000} s; of ${ids.size} operations ${count('completed')} completed, ${count('failed')} failed, ` +
          `${count('pending')} pending, ${count('running')} running${ops.length < ids.size ? `, ${ids.size - ops.length} unknown to the first backend` : ''}`,
      );
    }
    await sleep(100);
  }
}

async function listOperations(apis: readonly BackendApi[], ids: ReadonlySet<string>): Promise<OperationRecord[]> {
  const ops = (await (apis[0] as BackendApi).listOperations({ limit: 10_000 })).data.filter((op) => ids.has(op.operation_id));
  if (ops.length < ids.size) throw new Error(`the first backend lists ${ops.length} of the ${ids.size} submitted operations`);
  return ops;
}

/** One operation at a time into an idle fleet: submit (client clock) → the worker finished it (`completed_at`). */
async function ktrdrIdle(api: BackendApi, samples: number, children: readonly Child[]): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < samples; i++) {
    const submitted = now();
    const { operation_id: id } = await api.startDummy({ steps: 1, step_delay_ms: 0 });
    const op = await waitFor(`operation ${id} finished`, async () => {
      const record = await api.getOperation(id);
      return isDone(record) ? record : null;
    }, 30_000, children, 2);
    if (op.completed_at) delays.push(Date.parse(op.completed_at) - submitted);
  }
  return delays;
}

async function warmUp(api: BackendApi, children: readonly Child[]): Promise<void> {
  const ids = new Set<string>();
  for (let i = 0; i < WARMUP; i++) ids.add((await api.startDummy({ steps: 1, step_delay_ms: 0 })).operation_id);
  await waitForOperations([api], ids, children);
}

async function ktrdrRow(system: string, store: Store): Promise<Row> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-dispatch-'));
  const port = await freePort();
  let backend: Child | null = null;
  let workers: Child[] = [];
  try {
    backend = await startBackend('backend', port, store, dataDir);
    const api = apiOf(port);
    workers = await startWorkers(2, [port], dataDir);
    await waitForTrainingWorkers(api, 2, [backend, ...workers]);
    await warmUp(api, [backend, ...workers]);
    const run = await throughput([api], JOBS, 1, store.driver === 'postgres' ? store.database : null, [backend], workers);
    // Submissions are awaited one by one: when they take as long as the whole run, the client's round trip is the limit.
    console.log(`    (${JOBS} submitted in ${run.submitS.toFixed(2)} s, the last completed ${run.lastS.toFixed(2)} s after the first submit)`);
    const idle = await ktrdrIdle(api, IDLE_SAMPLES, [backend, ...workers]);
    return {
      system,
      perSecond: run.perSecond,
      idleP50: idle.length ? percentile(idle, 50) : null,
      cpuPerJob: run.nodeCpuPerOp,
      backendCpuPerOp: run.backendCpuPerOp,
      ...(run.failed ? { note: `${run.failed} of ${JOBS} did not complete` } : {}),
    };
  } catch (error) {
    return skipped(system, `failed: ${errorText(error)}`);
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await backend?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Machine-wide busy and total CPU time so far (all cores, every process, other users' too), in ms, from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    // idle and iowait are the idle columns.
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: ((total - idle) * 1000) / CLOCK_TICKS, total: (total * 1000) / CLOCK_TICKS };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/**
 * The PostgreSQL server processes serving `database` (one per connection, on this machine), with their CPU so far. A
 * connection opened during the run counts from 0; one closed during it loses what it used (the pools keep theirs).
 */
async function serverCpu(database: string | null): Promise<Map<number, number>> {
  // PGlite runs inside the backend: no server processes of its own.
  if (database === null) return new Map();
  const client = new pg.Client({ ...PG, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
    return new Map(rows.map((row) => [row.pid, cpuOf(row.pid)]));
  } finally {
    await client.end();
  }
}

const CORES = availableParallelism();

interface ThroughputRun {
  readonly perSecond: number;
  readonly failed: number;
  readonly submitS: number;
  readonly lastS: number;
  readonly backendCpuPerOp: number;
  /** Client, backends and workers. */
  readonly nodeCpuPerOp: number;
  /** The PostgreSQL server processes of the bench's database. */
  readonly serverCpuPerOp: number;
  /** (node + server CPU) / wall / cores, and the machine's whole busy time / wall / cores (other users included). */
  readonly runShare: number;
  readonly machineShare: number;
  readonly loadAverage: number;
}

/**
 * `count` zero-delay dummy operations submitted by `clients` concurrent loops (each submit awaited), loop `i` into
 * `apis[i % apis.length]`: the ktrdr rows use one loop, the scale part SCALE_CLIENTS, with one backend every loop
 * going to it and with three each having its own. `database`: the PostgreSQL database whose server processes'
 * CPU is counted (null on PGlite).
 */
async function throughput(
  apis: readonly BackendApi[],
  count: number,
  clients: number,
  database: string | null,
  backends: readonly Child[],
  workers: readonly Child[],
): Promise<ThroughputRun> {
  const all = [...backends, ...workers];
  const pids = all.map((child) => child.pid);
  const serverBefore = await serverCpu(database);
  const machineBefore = machineCpu();
  const before = cpuSnapshot(pids);
  const ids = new Set<string>();
  let next = 0;
  const first = now();
  await Promise.all(
    Array.from({ length: clients }, async (_, loop) => {
      const api = apis[loop % apis.length] as BackendApi;
      while (next < count) {
        next++;
        ids.add((await api.startDummy({ steps: 1, step_delay_ms: 0 })).operation_id);
      }
    }),
  );
  const submitted = now();
  await waitUntilIdle(apis, ids, all);
  // Read before listing the operations: serving that list is the bench's cost, not dispatch's.
  const cpu = cpuSpent(before, pids);
  const machine = machineCpu();
  const wallMs = now() - first;
  const serverAfter = await serverCpu(database);
  const ops = await listOperations(apis, ids);
  const last = Math.max(...ops.map((op) => Date.parse(op.completed_at ?? op.created_at)));
  let serverMs = 0;
  for (const [pid, after] of serverAfter) serverMs += Math.max(0, after - (serverBefore.get(pid) ?? 0));
  const nodeMs = cpu.self + cpu.others.reduce((a, b) => a + b, 0);
  const backendMs = cpu.others.slice(0, backends.length).reduce((a, b) => a + b, 0);
  return {
    perSecond: count / ((last - first) / 1000),
    failed: ops.filter((op) => op.status !== 'completed').length,
    submitS: (submitted - first) / 1000,
    lastS: (last - first) / 1000,
    backendCpuPerOp: backendMs / count,
    nodeCpuPerOp: nodeMs / count,
    serverCpuPerOp: serverMs / count,
    runShare: (nodeMs + serverMs) / wallMs / CORES,
    machineShare: (machine.busy - machineBefore.busy) / ((machine.total - machineBefore.total) || 1),
    loadAverage: loadavg()[0] ?? 0,
  };
}

/**
 * Capacity of 4 workers behind `backendCount` backends on one fresh PostgreSQL database, under the same offered load
 * whatever the number of backends (SCALE_CLIENTS concurrent submitting loops, header comment).
 */
async function scaleOut(backendCount: number): Promise<ThroughputRun | { error: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-dispatch-'));
  const database = await freshDatabase(`scale${backendCount}`);
  const store: Store = { driver: 'postgres', database };
  const backends: Child[] = [];
  let workers: Child[] = [];
  try {
    const ports = await Promise.all(Array.from({ length: backendCount }, () => freePort()));
    // The first one creates the schema; the others then start together, as a rolling deployment would not but a
    // fleet restart does.
    backends.push(await startBackend('backend 1', ports[0] as number, store, dataDir));
    const others = await Promise.allSettled(ports.slice(1).map((port, i) => startBackend(`backend ${i + 2}`, port, store, dataDir)));
    for (const result of others) {
      if (result.status === 'rejected') throw new Error(`a second backend on the same database did not start: ${errorText(result.reason)}`);
      backends.push(result.value);
    }
    const apis = ports.map(apiOf);
    workers = await startWorkers(4, ports, dataDir);
    await waitForTrainingWorkers(apis[0] as BackendApi, 4, [...backends, ...workers]);
    // The same loops as the measured run, so every backend (and its JIT) has served submissions and outcomes before.
    await throughput(apis, SCALE_WARMUP, SCALE_CLIENTS, database, backends, workers);
    const run = await throughput(apis, SCALE_OPS, SCALE_CLIENTS, database, backends, workers);
    console.log(
      `    (${backendCount} backend(s): ${SCALE_OPS} submitted in ${run.submitS.toFixed(2)} s, the last completed ${run.lastS.toFixed(2)} s after the first submit; ` +
        `CPU per operation: backends ${run.backendCpuPerOp.toFixed(2)} ms, client + backends + workers ${run.nodeCpuPerOp.toFixed(2)} ms, ` +
        `PostgreSQL ${run.serverCpuPerOp.toFixed(2)} ms; cores used: this run ${pct(run.runShare)} of ${CORES}, the whole machine ${pct(run.machineShare)}; ` +
        `at that CPU per operation the ${CORES} cores allow at most ${ceiling(run).toFixed(0)}/s; load ${run.loadAverage.toFixed(2)})`,
    );
    return run;
  } catch (error) {
    return { error: errorText(error) };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await Promise.all(backends.map((backend) => backend.stop()));
    await dropDatabase(database);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const pct = (share: number) => `${(100 * share).toFixed(0)}%`;

/**
 * Operations a second the machine's cores could serve at the run's CPU per operation (every process counted), were
 * nothing else running: the bound no number of backends on this machine can pass.
 */
const ceiling = (run: ThroughputRun) => (CORES * 1000) / (run.nodeCpuPerOp + run.serverCpuPerOp);

// ---------------------------------------------------------------- 2,000 workers

interface FleetFigures {
  registerMs?: number;
  registerFailures?: number;
  passMs?: number;
  passes?: number;
  claimsInPass?: number;
  claimMaxInPass?: number;
  claimP50Outside?: number | null;
  claimP50InPass?: number;
  /** The slowest claim outside passes and how many there were: the machine's own noise beside the figure above. */
  claimMaxOutside?: number | null;
  claimsOutside?: number;
  reregisterS?: number | null;
  reregistered?: number;
  /** CPU (ms) of the backend and of the fleet process during the first registration and from ready to the last registered again. */
  registerCpu?: { backend: number; fleet: number };
  reregisterCpu?: { backend: number; fleet: number };
  /**
   * Restart on the same database (registrations persist): seconds from ready until every worker's heartbeat was
   * answered 200, and how many registered again meanwhile (none should).
   */
  sameDatabaseS?: number | null;
  sameDatabaseAnswered?: number;
  sameDatabaseReregistered?: number;
  /** Requests the fleet sent from the restart to the last registered again, and how many were answered 404. */
  reregisterRequests?: { sent: number; notFound: number };
  /** Fake workers registered before the health passes and the restart (FLEET_SIZE unless registration was too slow). */
  fleetSize?: number;
  errors: string[];
}

class FleetProcess {
  readonly child: Child;
  private readonly listeners = new Set<(message: FleetMessage) => void>();

  constructor(options: FleetOptions) {
    const process = fork(FLEET, [JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = new Child('fleet', process);
    process.on('message', (message: FleetMessage) => {
      for (const listener of this.listeners) listener(message);
    });
  }

  next<T extends FleetMessage['type']>(type: T, timeoutMs: number, command?: FleetCommand): Promise<Extract<FleetMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`the fleet did not answer ${type} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const listener = (message: FleetMessage) => {
        if (message.type === 'error') {
          clearTimeout(timer);
          this.listeners.delete(listener);
          reject(new Error(`fleet: ${message.message}`));
        } else if (message.type === type) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(message as Extract<FleetMessage, { type: T }>);
        }
      };
      this.listeners.add(listener);
      if (command) this.child.process.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.child.process.connected) this.child.process.disconnect();
    await Promise.race([this.child.exited, sleep(5000).then(() => this.child.stop(1000))]);
  }
}

/** Splits health-request times into passes: a pass is a run of requests with no gap of a quarter of the interval. */
function passesOf(times: readonly number[]): { start: number; end: number; requests: number }[] {
  const sorted = [...times].sort((a, b) => a - b);
  const passes: { start: number; end: number; requests: number }[] = [];
  for (const time of sorted) {
    const current = passes[passes.length - 1];
    if (current && time - current.end < (HEALTH_INTERVAL_S * 1000) / 4) {
      current.end = time;
      current.requests++;
    } else passes.push({ start: time, end: time, requests: 1 });
  }
  return passes;
}

async function fleetBench(): Promise<FleetFigures> {
  const figures: FleetFigures = { errors: [] };
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-dispatch-'));
  const databases = [await freshDatabase('fleet')];
  const port = await freePort();
  const extra = { KTRDR_WORKER_HEALTH_CHECK_INTERVAL: String(HEALTH_INTERVAL_S), KTRDR_WORKER_HEARTBEAT_INTERVAL: '1' };
  let backend: Child | null = null;
  let workers: Child[] = [];
  let fleet: FleetProcess | null = null;
  try {
    backend = await startBackend('backend', port, { driver: 'postgres', database: databases[0] as string }, dataDir, extra);
    const api = apiOf(port);
    workers = await startWorkers(2, [port], dataDir, extra);
    await waitForTrainingWorkers(api, 2, [backend, ...workers]);
    fleet = new FleetProcess({ count: FLEET_SIZE, apiBase: `http://127.0.0.1:${port}/api/v1`, secret: SECRET, heartbeatMs: FLEET_HEARTBEAT_MS, registerConcurrency: 50 });
    await fleet.next('ready', 60_000);
    let fleetSize = FLEET_SIZE;
    const cpuPids = [backend.pid, fleet.child.pid];
    let cpuBefore = cpuSnapshot(cpuPids);
    try {
      const registered = await fleet.next('registered', FLEET_REGISTER_MS, { cmd: 'register' });
      const cpu = cpuSpent(cpuBefore, cpuPids);
      figures.registerCpu = { backend: cpu.others[0] ?? 0, fleet: cpu.others[1] ?? 0 };
      figures.registerMs = registered.ms;
      figures.registerFailures = registered.failures;
      fleetSize -= registered.failures;
      if (registered.failures) figures.errors.push(`${registered.failures} of ${FLEET_SIZE} registrations failed (first: ${registered.firstError})`);
    } catch {
      fleetSize = (await fleet.next('reregistered', 10_000, { cmd: 'reregistered' })).registered;
      figures.errors.push(`the first registration of ${FLEET_SIZE} workers took more than ${FLEET_REGISTER_MS / 1000} s (${fleetSize} registered by then); going on with those`);
    }
    figures.fleetSize = fleetSize;

    // Claims while health passes run: one operation at a time for a few passes.
    try {
      await warmUp(api, [backend, ...workers]);
      await fleet.next('health-times', 10_000, { cmd: 'health-times' });
      const claims: { submitted: number; delay: number }[] = [];
      const until = Date.now() + CLAIM_PROBE_MS;
      while (Date.now() < until) {
        const submitted = now();
        const { operation_id: id } = await api.startDummy({ steps: 1, step_delay_ms: 0 });
        const answered = now();
        const op = await waitFor(`operation ${id} started`, async () => {
          const record = await api.getOperation(id);
          return record.started_at ? record : null;
        }, 30_000, [backend, ...workers], 2);
        // Until the claim: a submission that claimed its worker in its own statement did so by its answer (started_at
        // is stamped before that statement, which may have waited on rows a health write held); one left pending
        // was claimed at started_at, by the dispatcher.
        claims.push({ submitted, delay: Math.max(answered, Date.parse(op.started_at as string)) - submitted });
      }
      const passes = passesOf((await fleet.next('health-times', 10_000, { cmd: 'health-times' })).times).filter((pass) => pass.requests >= fleetSize / 2);
      // A claim waiting while a pass ran counts, even when it was submitted just before the pass began.
      const inPass = claims.filter((claim) => passes.some((pass) => claim.submitted <= pass.end && claim.submitted + claim.delay >= pass.start));
      const outside = claims.filter((claim) => !inPass.includes(claim));
      figures.passes = passes.length;
      figures.passMs = passes.length ? percentile(passes.map((pass) => pass.end - pass.start), 50) : undefined;
      figures.claimsInPass = inPass.length;
      figures.claimMaxInPass = inPass.length ? Math.max(...inPass.map((claim) => claim.delay)) : undefined;
      figures.claimP50Outside = outside.length ? percentile(outside.map((claim) => claim.delay), 50) : null;
      figures.claimP50InPass = inPass.length ? percentile(inPass.map((claim) => claim.delay), 50) : undefined;
      figures.claimMaxOutside = outside.length ? Math.max(...outside.map((claim) => claim.delay)) : null;
      figures.claimsOutside = outside.length;
    } catch (error) {
      figures.errors.push(`claims during health passes: ${errorText(error)}`);
    }

    // Restart on a fresh database: every worker learns it is unknown from its heartbeat (404) and registers again.
    fleet.child.process.send({ cmd: 'heartbeat' } satisfies FleetCommand);
    await sleep(FLEET_HEARTBEAT_MS);
    await backend.stop();
    databases.push(await freshDatabase('fleet2'));
    backend = await startBackend('restarted backend', port, { driver: 'postgres', database: databases[1] as string }, dataDir, extra);
    const readyAt = now();
    cpuPids[0] = backend.pid;
    cpuBefore = cpuSnapshot(cpuPids);
    const requestsBefore = await fleet.next('cpu', 10_000, { cmd: 'cpu' });
    const deadline = Date.now() + 60_000;
    let last: Extract<FleetMessage, { type: 'reregistered' }> = { type: 'reregistered', registered: 0, count: 0, last: null };
    figures.reregistered = 0;
    while (Date.now() < deadline) {
      // A fleet too busy to answer now (2,000 heartbeats on a loaded machine) is asked again, until the deadline.
      last = await fleet.next('reregistered', 10_000, { cmd: 'reregistered' }).catch(() => last);
      if (last.count >= fleetSize) break;
      await sleep(100);
    }
    // Read once the last registration is seen (polled every 100 ms): a little of the next heartbeats is in it.
    const cpu = cpuSpent(cpuBefore, cpuPids);
    const requestsAfter = await fleet.next('cpu', 10_000, { cmd: 'cpu' });
    figures.reregisterCpu = { backend: cpu.others[0] ?? 0, fleet: cpu.others[1] ?? 0 };
    figures.reregisterRequests = { sent: requestsAfter.requests - requestsBefore.requests, notFound: requestsAfter.notFound - requestsBefore.notFound };
    figures.reregistered = last.count;
    figures.reregisterS = last.count >= fleetSize && last.last ? (last.last - readyAt) / 1000 : null;
    if (last.count < fleetSize) figures.errors.push(`only ${last.count} of ${fleetSize} workers registered again within 60 s of the restart`);

    // Restart on the same database: the registry is in the workers table, so nobody has to register again; the
    // figure is how soon every worker's heartbeat is answered (at most about one heartbeat interval).
    await backend.stop();
    fleet.child.process.send({ cmd: 'mark' } satisfies FleetCommand);
    backend = await startBackend('backend restarted on its database', port, { driver: 'postgres', database: databases[1] as string }, dataDir, extra);
    const sameReadyAt = now();
    const sameDeadline = Date.now() + 30_000;
    let answered: Extract<FleetMessage, { type: 'answered' }> = { type: 'answered', count: 0, last: null, reregistered: 0 };
    while (Date.now() < sameDeadline) {
      answered = await fleet.next('answered', 10_000, { cmd: 'answered' }).catch(() => answered);
      if (answered.count >= fleetSize) break;
      await sleep(100);
    }
    figures.sameDatabaseAnswered = answered.count;
    figures.sameDatabaseReregistered = answered.reregistered;
    figures.sameDatabaseS = answered.count >= fleetSize && answered.last ? (answered.last - sameReadyAt) / 1000 : null;
  } catch (error) {
    figures.errors.push(errorText(error));
  } finally {
    await fleet?.stop();
    await Promise.all(workers.map((worker) => worker.stop()));
    await backend?.stop();
    for (const database of databases) await dropDatabase(database);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return figures;
}


type TargetLine = (label: string, figure: string, goal: string, met: boolean | null) => void;

const cpuText = (cpu: { backend: number; fleet: number } | undefined) =>
  cpu ? `backend CPU ${num(cpu.backend / 1000, 2, ' s')}, fleet process CPU ${num(cpu.fleet / 1000, 2, ' s')}` : 'CPU not measured';

function printFleet(fleet: FleetFigures | null, target: TargetLine): void {
  if (fleet) {
    target(`${FLEET_SIZE} workers registered again after a restart`, num(fleet.reregisterS, 2, ' s'), `≤ ${TARGET.reregisterS} s`, fleet.reregistered === undefined ? null : fleet.fleetSize === FLEET_SIZE && fleet.reregisterS != null && fleet.reregisterS <= TARGET.reregisterS);
    const delay = fleet.claimMaxInPass === undefined ? null : fleet.claimMaxInPass - (fleet.claimP50Outside ?? 0);
    target(`claim delay during a health pass over ${FLEET_SIZE}`, num(delay, 1, ' ms'), `≤ ${TARGET.claimDelayMs} ms`, delay === null ? null : delay <= TARGET.claimDelayMs);
    console.log(`    first registration of ${FLEET_SIZE} fake workers (50 at a time): ${num(fleet.registerMs === undefined ? undefined : fleet.registerMs / 1000, 2, ' s')}` +
      `${fleet.fleetSize !== undefined && fleet.fleetSize < FLEET_SIZE ? ` (the figures below are over the ${fleet.fleetSize} registered)` : ''}; ${cpuText(fleet.registerCpu)}`);
    console.log(`    health pass over ${FLEET_SIZE} (p50 of ${fleet.passes ?? 0}, first to last GET /health): ${num(fleet.passMs, 0, ' ms')}; ` +
      `${fleet.claimsInPass ?? 0} claims waiting during a pass, submit→claimed max ${num(fleet.claimMaxInPass, 1, ' ms')} (p50 ${num(fleet.claimP50InPass, 1, ' ms')}); ` +
      `${fleet.claimsOutside ?? 0} outside passes, p50 ${num(fleet.claimP50Outside, 1, ' ms')} (max ${num(fleet.claimMaxOutside, 1, ' ms')})`);
    console.log(`    restart on a fresh database, each worker heartbeating every ${FLEET_HEARTBEAT_MS / 1000} s (404 → register): ${fleet.reregistered ?? 0} of ${fleet.fleetSize ?? FLEET_SIZE} registered again, the last ${num(fleet.reregisterS, 2, ' s')} after the backend was ready; ` +
      `meanwhile ${cpuText(fleet.reregisterCpu)}, ${fleet.reregisterRequests?.sent ?? '—'} requests (${fleet.reregisterRequests?.notFound ?? '—'} answered 404)`);
    console.log(`    restart on the same database (registrations persist): ${fleet.sameDatabaseAnswered ?? 0} of ${fleet.fleetSize ?? FLEET_SIZE} heartbeats answered, the last ` +
      `${num(fleet.sameDatabaseS, 2, ' s')} after the backend was ready; ${fleet.sameDatabaseReregistered ?? '—'} registered again`);
    for (const error of fleet.errors) console.log(`    FAILED: ${error}`);
  } else {
    target(`${FLEET_SIZE} workers registered again after a restart`, '—', `≤ ${TARGET.reregisterS} s`, null);
    target(`claim delay during a health pass over ${FLEET_SIZE}`, '—', `≤ ${TARGET.claimDelayMs} ms`, null);
  }
}

// ---------------------------------------------------------------- report

const num = (value: number | null | undefined, digits = 0, unit = '') => (value === null || value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(digits)}${unit}`);
const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : 'NOT MET');

function printTable(rows: readonly Row[], graphile: Row | undefined): void {
  const throughputTarget = Math.max(TARGET.minPerSecond, graphile?.perSecond ?? 0);
  const lines: string[][] = [
    ['system', 'completed/s', 'idle submit→start p50', 'CPU per job (clients + app)', 'backend CPU per op'],
    ...rows.map((row) => [
      row.system,
      num(row.perSecond),
      num(row.idleP50, 1, ' ms'),
      num(row.cpuPerJob, 2, ' ms'),
      row.backendCpuPerOp === undefined ? '' : num(row.backendCpuPerOp, 2, ' ms'),
    ]),
    ['target for ktrdr', `≥ ${throughputTarget.toFixed(0)}`, `≤ ${TARGET.idleP50Ms} ms`, '', `≤ ${TARGET.backendCpuMs} ms`],
  ];
  const widths = lines[0]!.map((_, column) => Math.max(...lines.map((line) => (line[column] ?? '').length)));
  const format = (line: string[]) => `  | ${line.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  console.log(format(lines[0]!));
  console.log(`  |${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const line of lines.slice(1)) console.log(format(line));
  for (const row of rows) if (row.note) console.log(`  ${row.system}: ${row.note}`);
}

/** `npm run bench -- dispatch-fleet`: the 2,000 fake workers only (PostgreSQL), without the peers and the throughput runs. */
export async function dispatchFleetBench(): Promise<void> {
  if (!(await reachable(PG.host, PG.port))) {
    console.log(`dispatch-fleet: no PostgreSQL at ${PG.host}:${PG.port}; skipped`);
    return;
  }
  const started = Date.now();
  const fleet = await fleetBench();
  console.log(`dispatch-fleet: ${FLEET_SIZE} fake workers on one backend (PostgreSQL)`);
  printFleet(fleet, targetLine);
  for (const database of [...createdDatabases]) await dropDatabase(database);
  console.log(`  (dispatch-fleet bench took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

const targetLine: TargetLine = (label, figure, goal, met) => console.log(`  ${label.padEnd(52)} ${figure.padEnd(16)} ${goal.padEnd(12)} ${verdict(met)}`);

export async function dispatchBench(): Promise<void> {
  console.log(`dispatch: ${JOBS} no-op jobs submitted back to back, 2 consumers of concurrency 1 in processes of their own;`);
  console.log(`  idle p50 over ${IDLE_SAMPLES} jobs one at a time; CPU = this process + consumers (ktrdr: + backend + workers), not the PostgreSQL/Redis servers`);
  const started = Date.now();
  const [redis, postgres] = await Promise.all([reachable(REDIS.host, REDIS.port), reachable(PG.host, PG.port)]);
  if (!redis) console.log(`  (no Redis at ${REDIS.host}:${REDIS.port}: BullMQ is skipped)`);
  if (!postgres) console.log(`  (no PostgreSQL at ${PG.host}:${PG.port}: graphile-worker, pg-boss and ktrdr on PostgreSQL are skipped)`);

  const rows: Row[] = [];
  const measure = async (what: string, run: () => Promise<Row>) => {
    const begin = Date.now();
    let row: Row;
    try {
      row = await run();
    } catch (error) {
      row = skipped(what, `failed: ${errorText(error)}`);
    }
    rows.push(row);
    console.log(`  … ${row.system}: ${row.note ?? `${num(row.perSecond)}/s, idle p50 ${num(row.idleP50, 1, ' ms')}`} (${((Date.now() - begin) / 1000).toFixed(0)} s)`);
    return row;
  };
  const notRun = (system: string) => async () => skipped(system, 'not run (KTRDR_BENCH_DISPATCH_PARTS)');
  const peers = PARTS.has('peers');
  await measure('BullMQ (Redis)', peers ? () => bullmqRow(redis) : notRun('BullMQ (Redis)'));
  const graphile = await measure('graphile-worker (PostgreSQL)', peers ? () => graphileRow(postgres) : notRun('graphile-worker (PostgreSQL)'));
  await measure('pg-boss (PostgreSQL)', peers ? () => pgBossRow(postgres) : notRun('pg-boss (PostgreSQL)'));
  const pglite = await measure('ktrdr, PGlite', PARTS.has('pglite') ? () => ktrdrRow('ktrdr, PGlite', { driver: 'pglite' }) : notRun('ktrdr, PGlite'));
  const pgRow = !PARTS.has('postgres')
    ? await measure('ktrdr, PostgreSQL', notRun('ktrdr, PostgreSQL'))
    : postgres
    ? await measure('ktrdr, PostgreSQL', async () => {
        const database = await freshDatabase('ktrdr');
        try {
          return await ktrdrRow('ktrdr, PostgreSQL', { driver: 'postgres', database });
        } finally {
          await dropDatabase(database);
        }
      })
    : await measure('ktrdr, PostgreSQL', async () => skipped('ktrdr, PostgreSQL', 'no PostgreSQL'));

  let one: Awaited<ReturnType<typeof scaleOut>> | null = null;
  let three: Awaited<ReturnType<typeof scaleOut>> | null = null;
  let fleet: FleetFigures | null = null;
  if (postgres && PARTS.has('scale')) {
    one = await scaleOut(1);
    console.log(`  … 1 backend + 4 workers: ${'error' in one ? one.error : `${num(one.perSecond)}/s`}`);
    three = await scaleOut(3);
    console.log(`  … 3 backends + 4 workers: ${'error' in three ? three.error : `${num(three.perSecond)}/s`}`);
  }
  if (postgres && PARTS.has('fleet')) {
    fleet = await fleetBench();
    console.log(`  … ${FLEET_SIZE} fake workers done`);
  }

  console.log('');
  console.log(`dispatch: ktrdr beside job queues (${JOBS} no-op jobs, 2 consumers of concurrency 1)`);
  printTable(rows, graphile);
  console.log('  peers: submit → handler entered; ktrdr: submit → the worker finished the no-op operation (completed_at)');

  console.log('');
  console.log('dispatch: ktrdr targets');
  const throughputTarget = Math.max(TARGET.minPerSecond, graphile.perSecond ?? 0);
  const target = targetLine;
  for (const row of [pglite, pgRow]) {
    const name = row.system.replace('ktrdr, ', '');
    target(`completed ops/s (${name})`, num(row.perSecond, 0, '/s'), `≥ ${throughputTarget.toFixed(0)}/s`, row.perSecond === null ? null : row.perSecond >= throughputTarget);
    target(`backend CPU per operation (${name})`, num(row.backendCpuPerOp, 2, ' ms'), `≤ ${TARGET.backendCpuMs} ms`, row.backendCpuPerOp == null ? null : row.backendCpuPerOp <= TARGET.backendCpuMs);
    target(`idle submit→start p50 (${name})`, num(row.idleP50, 1, ' ms'), `≤ ${TARGET.idleP50Ms} ms`, row.idleP50 === null ? null : row.idleP50 <= TARGET.idleP50Ms);
  }
  if (one && three) {
    const ratio = 'error' in one || 'error' in three ? null : three.perSecond / one.perSecond;
    target('3 backends vs 1 (4 workers, PostgreSQL)', ratio === null ? '—' : `${ratio.toFixed(2)}×`, `≥ ${TARGET.scaleRatio}×`, ratio === null ? false : ratio >= TARGET.scaleRatio);
    const line = (run: ThroughputRun | { error: string }) =>
      'error' in run
        ? `FAILED: ${run.error}`
        : `${num(run.perSecond)}/s${run.failed ? `, ${run.failed} not completed` : ''}; submitted in ${run.submitS.toFixed(2)} s, done in ${run.lastS.toFixed(2)} s; ` +
          `CPU/op backends ${run.backendCpuPerOp.toFixed(2)} ms, all node ${run.nodeCpuPerOp.toFixed(2)} ms, PostgreSQL ${run.serverCpuPerOp.toFixed(2)} ms; ` +
          `cores: run ${pct(run.runShare)}, machine ${pct(run.machineShare)} of ${CORES}, at most ${ceiling(run).toFixed(0)}/s on them; load ${run.loadAverage.toFixed(2)}`;
    console.log(`    1 backend:  ${line(one)}`);
    console.log(`    3 backends: ${line(three)}`);
  } else target('3 backends vs 1 (4 workers, PostgreSQL)', '—', `≥ ${TARGET.scaleRatio}×`, null);
  printFleet(fleet, target);
  for (const database of [...createdDatabases]) await dropDatabase(database);
  console.log(`  (dispatch bench took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
