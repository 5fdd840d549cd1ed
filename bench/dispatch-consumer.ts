/**
 * A consumer process of one job queue, for `npm run bench -- dispatch` (forked by dispatch.bench.ts): it runs no-op
 * jobs with concurrency 1 and tells the parent, over IPC, when each one started (handler entered) and completed (the
 * queue recorded it), batching the reports so that IPC costs as little CPU as possible. Its own CPU time goes into
 * the figures, like a ktrdr worker's.
 *
 * Usage (by the parent only): `node dispatch-consumer.js <bullmq|graphile-worker|pg-boss> <peer entry file> <JSON options>`
 */
import { pathToFileURL } from 'node:url';

export interface ConsumerOptions {
  readonly queue: string;
  /** PostgreSQL URL (graphile-worker, pg-boss) or Redis host and port (BullMQ). */
  readonly connectionString?: string;
  readonly redis?: { readonly host: string; readonly port: number };
  /** pg-boss: the wait before fetching again from an empty queue. */
  readonly pollMs?: number;
}

/** What a consumer reports: `ready` once it takes jobs, then batches of jobs (epoch ms, sub-millisecond). */
export type ConsumerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'jobs'; readonly jobs: readonly { readonly key: string; readonly start: number; readonly end: number }[] }
  | { readonly type: 'error'; readonly message: string };

const FLUSH_MS = 10;
const now = (): number => performance.timeOrigin + performance.now();

const pending: { key: string; start: number; end: number }[] = [];
let flushTimer: NodeJS.Timeout | null = null;

function send(message: ConsumerMessage): void {
  process.send?.(message);
}

function record(key: string, start: number, end: number): void {
  pending.push({ key, start, end });
  flushTimer ??= setTimeout(() => {
    flushTimer = null;
    send({ type: 'jobs', jobs: pending.splice(0) });
  }, FLUSH_MS);
}

type Module = Record<string, unknown>;

async function load(entry: string): Promise<Module> {
  const loaded = (await import(pathToFileURL(entry).href)) as Module & { default?: Module };
  return loaded.default ?? loaded;
}

interface BullJob {
  readonly data: { readonly key: string };
}
interface BullWorker {
  waitUntilReady(): Promise<unknown>;
  on(event: 'completed', listener: (job: BullJob) => void): void;
  close(): Promise<void>;
}
type BullWorkerClass = new (queue: string, processor: (job: BullJob) => Promise<void>, options: object) => BullWorker;

async function bullmq(mod: Module, options: ConsumerOptions): Promise<() => Promise<void>> {
  const Worker = mod.Worker as BullWorkerClass;
  const starts = new Map<string, number>();
  const worker = new Worker(
    options.queue,
    async (job) => {
      starts.set(job.data.key, now());
    },
    { connection: options.redis, concurrency: 1 },
  );
  worker.on('completed', (job) => {
    const start = starts.get(job.data.key) ?? now();
    starts.delete(job.data.key);
    record(job.data.key, start, now());
  });
  await worker.waitUntilReady();
  return () => worker.close();
}

interface GraphileJob {
  readonly payload: { readonly key: string };
}
interface GraphileRunner {
  readonly events: { on(event: 'job:success', listener: (event: { job: GraphileJob }) => void): void };
  stop(): Promise<void>;
}
type GraphileRun = (options: object) => Promise<GraphileRunner>;

async function graphileWorker(mod: Module, options: ConsumerOptions): Promise<() => Promise<void>> {
  const run = mod.run as GraphileRun;
  const starts = new Map<string, number>();
  const runner = await run({
    connectionString: options.connectionString,
    concurrency: 1,
    noHandleSignals: true,
    // LISTEN/NOTIFY wakes it; polling only recovers missed notifications.
    pollInterval: 1000,
    logger: new (mod.Logger as new (factory: () => () => void) => unknown)(() => () => {}),
    taskList: {
      noop: async (payload: { key: string }) => {
        starts.set(payload.key, now());
      },
    },
  });
  runner.events.on('job:success', ({ job }) => {
    const start = starts.get(job.payload.key) ?? now();
    starts.delete(job.payload.key);
    record(job.payload.key, start, now());
  });
  return () => runner.stop();
}

interface PgBossJob {
  readonly id: string;
  readonly data: { readonly key: string };
}
interface PgBoss {
  on(event: 'error', listener: (error: Error) => void): void;
  start(): Promise<unknown>;
  stop(options?: object): Promise<void>;
  fetch(queue: string, options: { batchSize: number }): Promise<PgBossJob[]>;
  complete(queue: string, id: string): Promise<unknown>;
}

/** pg-boss 10 has no push: a loop fetches one job, runs it, completes it, and waits `pollMs` when the queue is empty. */
async function pgBoss(mod: Module, options: ConsumerOptions): Promise<() => Promise<void>> {
  const Boss = mod as unknown as new (options: object) => PgBoss;
  const boss = new Boss({ connectionString: options.connectionString, migrate: false, supervise: false, schedule: false, max: 2 });
  boss.on('error', (error) => send({ type: 'error', message: error.message }));
  await boss.start();
  let running = true;
  const pollMs = options.pollMs ?? 5;
  const loop = (async () => {
    while (running) {
      const [job] = await boss.fetch(options.queue, { batchSize: 1 });
      if (!job) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        continue;
      }
      const start = now();
      await boss.complete(options.queue, job.id);
      record(job.data.key, start, now());
    }
  })();
  return async () => {
    running = false;
    await loop;
    await boss.stop({ graceful: false, wait: true });
  };
}

const CONSUMERS: Record<string, (mod: Module, options: ConsumerOptions) => Promise<() => Promise<void>>> = {
  bullmq,
  'graphile-worker': graphileWorker,
  'pg-boss': pgBoss,
};

async function main(): Promise<void> {
  const [peer, entry, json] = process.argv.slice(2);
  const consumer = peer ? CONSUMERS[peer] : undefined;
  if (!consumer || !entry || !json) throw new Error(`usage: dispatch-consumer <${Object.keys(CONSUMERS).join('|')}> <entry file> <JSON options>`);
  const stop = await consumer(await load(entry), JSON.parse(json) as ConsumerOptions);
  // The parent disconnecting (or dying) ends the consumer.
  process.on('disconnect', () => {
    void stop().finally(() => process.exit(0));
  });
  send({ type: 'ready' });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
