/**
 * The dispatch core in one process: a Backend (its services and HTTP server) over PGlite and over PostgreSQL,
 * with fake instant workers (one HTTP server answering for every worker under /w/<id>: start → 202, then the
 * outcome pushed at once). Prints:
 * - completed operations/s (1,000 no-op operations, 2 workers), SQL statements per operation, process CPU per
 *   operation (backend + fake workers + PGlite), idle submit→start p50;
 * - registering 2,000 workers, then registering them all again (a backend restart), and statements per registration;
 * - the longest submit→start of single operations while a health pass over the 2,000 workers runs.
 * Peers (graphile-worker, BullMQ, pg-boss) are measured end to end by another bench; graphile-worker does ~300 ops/s here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { Backend } from '../src/backend/backend.js';
import { openStore, type StoreOptions } from '../src/store/index.js';
import { fmt, percentile } from './stats.js';

const OPERATIONS = Number(process.env.KTRDR_BENCH_DISPATCH_OPERATIONS ?? 1_000);
const REGISTERED = Number(process.env.KTRDR_BENCH_DISPATCH_WORKERS ?? 2_000);
const IDLE_SAMPLES = 50;
const PG_URL = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');

/** Answers for every fake worker; tells the bench when a start arrives and when an outcome was accepted. */
class FakeFleet {
  readonly current = new Map<string, string>();
  onStart: (operationId: string) => void = () => {};
  onOutcome: (operationId: string) => void = () => {};
  private server: Server | null = null;
  url = '';

  constructor(private readonly outcome: (workerId: string, operationId: string) => Promise<void>) {}

  async start(): Promise<void> {
    const server = (this.server = createServer((request, response) => void this.handle(request, response)));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    this.url = `http://127.0.0.1:${address.port}`;
  }

  endpoint(workerId: string): string {
    return `${this.url}/w/${workerId}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const [, , workerId = '', ...rest] = (request.url ?? '').split('/');
    const path = `/${rest.join('/')}`;
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (path === '/health') {
      const current = this.current.get(workerId) ?? null;
      const workerType = workerId.startsWith('idle-') ? 'backtesting' : 'training';
      return json(200, { healthy: true, worker_id: workerId, worker_type: workerType, worker_status: current ? 'busy' : 'idle', current_operation: current });
    }
    if (path === '/operations/start') {
      const { operation_id: operationId } = JSON.parse(Buffer.concat(chunks).toString()) as { operation_id: string };
      if (this.current.has(workerId)) return json(409, { success: false, error: { code: 'CONFLICT', message: 'busy' } });
      this.current.set(workerId, operationId);
      json(202, { success: true, operation_id: operationId });
      this.onStart(operationId);
      setImmediate(() => {
        this.current.delete(workerId);
        this.outcome(workerId, operationId).then(
          () => this.onOutcome(operationId),
          (error: unknown) => console.error('outcome failed', error),
        );
      });
      return;
    }
    json(404, { success: false, error: { code: 'NOT_FOUND', message: path } });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

async function withDatabase(driver: 'pglite' | 'postgres', fn: (options: StoreOptions) => Promise<void>): Promise<void> {
  const base: StoreOptions = {
    driver,
    dir: mkdtempSync(join(tmpdir(), 'ktrdr-bench-dispatch-')),
    host: PG_URL.hostname,
    port: Number(PG_URL.port || 5432),
    name: `ktrdr_bench_dispatch_${process.pid}`,
    user: decodeURIComponent(PG_URL.username || 'postgres'),
    password: decodeURIComponent(PG_URL.password),
    echo: false,
  };
  if (driver === 'pglite') return fn(base);
  const admin = new pg.Client({ host: base.host, port: base.port, user: base.user, password: base.password, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${base.name}`);
    await fn(base);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${base.name} WITH (FORCE)`);
    await admin.end();
  }
}

async function run(driver: 'pglite' | 'postgres'): Promise<void> {
  await withDatabase(driver, async (options) => {
    let statements = 0;
    const store = await openStore({ ...options, echo: true, log: () => void statements++ });
    // When each operation's claim statement returned (the claim delay is measured to here, before any HTTP).
    const claimedAt = new Map<string, bigint>();
    const claim = store.workers.claim.bind(store.workers);
    store.workers.claim = async (...args) => {
      const result = await claim(...args);
      const now = process.hrtime.bigint();
      for (const found of result.claims) claimedAt.set(found.operation.operationId, now);
      return result;
    };
    const HOUR = 3_600_000;
    const backend = new Backend({
      store,
      logger: pino({ level: 'silent' }),
      host: '127.0.0.1',
      port: 0,
      jwtSecret: 'bench-secret-dispatch-core',
      tokenExpireMinutes: 600,
      checkpointDir: mkdtempSync(join(tmpdir(), 'ktrdr-bench-ckpt-')),
      checkpointMaxAgeDays: 30,
      dataDir: mkdtempSync(join(tmpdir(), 'ktrdr-bench-data-')),
      modelsDir: mkdtempSync(join(tmpdir(), 'ktrdr-bench-models-')),
      strategiesDir: mkdtempSync(join(tmpdir(), 'ktrdr-bench-strategies-')),
      healthCheckIntervalMs: HOUR,
      healthCheckTimeoutMs: 10_000,
      healthCheckFailures: 3,
      workerRemovalThresholdMs: 300_000,
      orphanTimeoutMs: 600_000,
      orphanCheckIntervalMs: HOUR,
      opsCacheTtlMs: 1_000,
      maxOperations: 100_000,
      cleanupIntervalMs: HOUR,
      retentionDays: 7,
      dispatchIntervalMs: 5_000,
      workerRequestTimeoutMs: 10_000,
      uploadLimitBytes: 8 * 1024 * 1024,
    });
    const url = await backend.start();
    const tokens = new Map<string, string>();
    const fleet = new FakeFleet(async (workerId, operationId) => {
      let token = tokens.get(workerId);
      if (!token) tokens.set(workerId, (token = await backend.tokens.issue(workerId, 'worker')));
      const response = await fetch(`${url}/api/v1/operations/${operationId}/outcome`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ worker_id: workerId, status: 'completed', result_summary: null, completed_at: new Date().toISOString() }),
      });
      await response.text();
      if (!response.ok) throw new Error(`outcome ${response.status}`);
    });
    await fleet.start();
    const submit = () => backend.operations.submit({ operationType: 'dummy', workerType: 'training', params: { steps: 1, step_delay_ms: 0 } });
    try {
      for (const id of ['fast-1', 'fast-2']) {
        await backend.registry.register({ workerId: id, workerType: 'training', endpointUrl: fleet.endpoint(id) });
      }
      await backend.dispatcher.whenIdle();

      // Throughput: every operation submitted back to back, timed until the last outcome is accepted.
      let done = 0;
      const allDone = new Promise<void>((resolve) => {
        fleet.onOutcome = () => {
          if (++done === OPERATIONS) resolve();
        };
      });
      statements = 0;
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      for (let i = 0; i < OPERATIONS; i++) await submit();
      await allDone;
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      await backend.dispatcher.whenIdle();
      const used = process.cpuUsage(cpu);
      const perOperation = statements / OPERATIONS;
      console.log(`dispatch-core (${driver}): ${OPERATIONS} no-op operations, 2 fake instant workers, submitted back to back`);
      console.log(`  completed                      ${(OPERATIONS / (elapsedMs / 1000)).toFixed(0)} operations/s   (graphile-worker ~300/s on this machine)`);
      console.log(`  SQL statements per operation   ${perOperation.toFixed(1)} (submit, claim, start, outcome, release)`);
      console.log(`  process CPU per operation      ${fmt((used.user + used.system) / 1000 / OPERATIONS)} (backend + fake workers + ${driver === 'pglite' ? 'PGlite' : 'pg client'})`);

      // Idle latency: one operation at a time.
      const idle: number[] = [];
      for (let i = 0; i < IDLE_SAMPLES; i++) idle.push(await singleOperation(fleet, submit));
      console.log(`  submit→start, idle             p50 ${fmt(percentile(idle, 50))}, p99 ${fmt(percentile(idle, 99))} (${IDLE_SAMPLES} sequential operations)`);

      // Registration: 2,000 workers (idle backtesting workers, so the training dispatch above is not theirs), then again.
      const register = async () => {
        const start = process.hrtime.bigint();
        const ids = Array.from({ length: REGISTERED }, (_, i) => `idle-${i}`);
        for (let i = 0; i < ids.length; i += 50) {
          await Promise.all(ids.slice(i, i + 50).map((id) => backend.registry.register({ workerId: id, workerType: 'backtesting', endpointUrl: fleet.endpoint(id) })));
        }
        await backend.dispatcher.whenIdle();
        return Number(process.hrtime.bigint() - start) / 1e6;
      };
      const first = await register();
      statements = 0;
      const registerCpu = process.cpuUsage();
      const again = await register();
      const registerUsed = process.cpuUsage(registerCpu);
      const perRegistration = statements / REGISTERED;
      statements = 0;
      await backend.registry.register({ workerId: 'idle-0', workerType: 'backtesting', endpointUrl: fleet.endpoint('idle-0') });
      const lastOne = statements;
      console.log(`  register ${REGISTERED} workers           ${fmt(first)} (50 at a time)`);
      console.log(`  re-register ${REGISTERED} (restart)      ${fmt(again)} (process CPU ${fmt((registerUsed.user + registerUsed.system) / 1000)}); ${perRegistration.toFixed(1)} statements per registration incl. dispatch wake-ups; ${lastOne} for the last one alone`);

      // A health pass over the 2,002 workers while single operations are submitted one after another: how long
      // each waited for its claim (submit → claim statement returned), and for the worker's start (which shares
      // this process's event loop with the 2,002 health requests and their fake answers).
      const idleClaims: number[] = [];
      for (let i = 0; i < 20; i++) idleClaims.push(await timedClaim(fleet, submit, claimedAt).then((t) => t.claim));
      const during: { claim: number; start: number }[] = [];
      let passing = true;
      const passStatements = statements;
      const passCpu = process.cpuUsage();
      const passStart = process.hrtime.bigint();
      const pass = backend.healthChecker.checkAll().finally(() => (passing = false));
      while (passing || during.length === 0) during.push(await timedClaim(fleet, submit, claimedAt));
      await pass;
      const passMs = Number(process.hrtime.bigint() - passStart) / 1e6;
      const passUsed = process.cpuUsage(passCpu);
      const claims = during.map((t) => t.claim);
      console.log(
        `  health pass over ${REGISTERED + 2} workers   ${fmt(passMs)} (process CPU ${fmt((passUsed.user + passUsed.system) / 1000)}, fake answers included; ` +
          `${statements - passStatements} statements, the ${during.length} operations' included)`,
      );
      console.log(
        `    ${during.length} operations meanwhile: submit→claimed max ${fmt(Math.max(...claims))}, p50 ${fmt(percentile(claims, 50))} (idle: p50 ${fmt(percentile(idleClaims, 50))}); submit→start max ${fmt(Math.max(...during.map((t) => t.start)))}`,
      );
    } finally {
      await fleet.stop();
      await backend.stop();
    }
  });
}

/** singleOperation, also giving submit→claimed in ms. */
async function timedClaim(fleet: FakeFleet, submit: () => Promise<{ operationId: string }>, claimedAt: Map<string, bigint>): Promise<{ claim: number; start: number }> {
  const begin = process.hrtime.bigint();
  let id = '';
  const start = await singleOperation(fleet, async () => {
    const row = await submit();
    id = row.operationId;
    return row;
  });
  return { claim: Number((claimedAt.get(id) ?? begin) - begin) / 1e6, start };
}

/** Submits one operation; resolves with submit→start in ms once its outcome is accepted. */
async function singleOperation(fleet: FakeFleet, submit: () => Promise<{ operationId: string }>): Promise<number> {
  let startedAt = 0n;
  const begin = process.hrtime.bigint();
  let id = '';
  const seen = new Set<string>();
  const finished = new Promise<void>((resolve) => {
    fleet.onStart = (operationId) => {
      if (operationId === id || !id) startedAt = process.hrtime.bigint();
      seen.add(operationId);
    };
    fleet.onOutcome = (operationId) => {
      if (operationId === id) resolve();
      seen.add(`done:${operationId}`);
    };
  });
  id = (await submit()).operationId;
  if (seen.has(`done:${id}`)) return Number(startedAt - begin) / 1e6;
  await finished;
  return Number(startedAt - begin) / 1e6;
}

export async function dispatchCoreBench(): Promise<void> {
  const drivers = (process.env.KTRDR_BENCH_DRIVERS ?? 'pglite,postgres').split(',') as ('pglite' | 'postgres')[];
  for (const driver of drivers) await run(driver);
}
