/**
 * The backend's memory under the largest bodies it accepts: 1,000 outcome uploads of the maximum size
 * (KTRDR_HTTP_MAX_UPLOAD_MB, default 8 MiB, a realistic equity curve) to an in-process backend, each parsed,
 * bounds-checked and validated in full before the unknown operation is refused. Prints RSS and heap before, at
 * the peak seen between requests, and after, beside the same figures for small bodies.
 */
import { Agent, request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { Backend } from '../src/backend/backend.js';
import { megabytes } from '../src/http/body-limits.js';
import { openMemoryStore } from '../src/store/index.js';

const REQUESTS = 1_000;
const CONCURRENCY = 2;
const UPLOAD_MB = 8;
const HOUR = 3_600_000;

/** Collects garbage when asked (so "after" figures are what stays, not what waits for a collection). */
function collectGarbage(): void {
  setFlagsFromString('--expose_gc');
  (runInNewContext('gc') as () => void)();
}

/** An outcome just under `bytes`: results holding an equity curve of [time, equity] points. */
function outcomeOfSize(bytes: number): Buffer {
  const head = `{"worker_id":"bench","status":"completed","completed_at":"2024-01-01T00:00:00Z","results":{"equity_curve":[`;
  const point = (index: number) => `[${1_700_000_000_000 + index * 3_600_000},${(100_000 + index * 0.37).toFixed(2)}]`;
  const parts: string[] = [];
  let size = head.length + 3;
  for (let index = 0; size + point(index).length + 1 < bytes; index++) {
    const text = point(index);
    parts.push(text);
    size += text.length + 1;
  }
  return Buffer.from(`${head}${parts.join(',')}]}}`);
}

function post(url: URL, agent: Agent, token: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: 'POST', path: '/api/v1/operations/bench-unknown/outcome', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0).padStart(5)} MiB`;
const figures = (label: string, memory: NodeJS.MemoryUsage) => console.log(`  ${label.padEnd(34)} rss ${mib(memory.rss)}   heap used ${mib(memory.heapUsed)}`);

async function run(url: URL, token: string, body: Buffer): Promise<{ peak: NodeJS.MemoryUsage; statuses: Map<number, number>; seconds: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statuses = new Map<number, number>();
  let peak = process.memoryUsage();
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        const status = await post(url, agent, token, body);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const memory = process.memoryUsage();
        if (memory.rss > peak.rss) peak = memory;
      }
    }),
  );
  agent.destroy();
  return { peak, statuses, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export async function inputLimitsBench(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'ktrdr-bench-limits-'));
  const backend = new Backend({
    store: await openMemoryStore(),
    logger: pino({ level: 'silent' }),
    host: '127.0.0.1',
    port: 0,
    jwtSecret: 'bench-secret-bench-secret-bench-secret',
    tokenExpireMinutes: 60,
    checkpointDir: join(directory, 'checkpoints'),
    checkpointMaxAgeDays: 30,
    dataDir: join(directory, 'data'),
    modelsDir: join(directory, 'models'),
    strategiesDir: join(directory, 'strategies'),
    healthCheckIntervalMs: HOUR,
    healthCheckTimeoutMs: 2_000,
    healthCheckFailures: 3,
    workerRemovalThresholdMs: HOUR,
    orphanTimeoutMs: HOUR,
    orphanCheckIntervalMs: HOUR,
    opsCacheTtlMs: 1_000,
    maxOperations: 10_000,
    cleanupIntervalMs: HOUR,
    retentionDays: 7,
    uploadLimitBytes: megabytes(UPLOAD_MB),
  });
  const url = new URL(await backend.start());
  const token = await backend.tokens.issue('bench', 'worker');
  const largest = outcomeOfSize(megabytes(UPLOAD_MB) - 1024);
  const small = outcomeOfSize(4 * 1024);
  try {
    console.log(`input limits: backend memory over ${REQUESTS} outcome uploads (${CONCURRENCY} at a time), in-process`);
    collectGarbage();
    figures('started', process.memoryUsage());
    for (const [label, body] of [[`small bodies (${small.length} B)`, small], [`largest bodies (${(largest.length / 1024 / 1024).toFixed(2)} MiB)`, largest]] as const) {
      const { peak, statuses, seconds } = await run(url, token, body);
      figures(`${label}: peak`, peak);
      collectGarbage();
      figures(`${label}: after, collected`, process.memoryUsage());
      console.log(`  ${''.padEnd(34)} answers ${[...statuses].map(([status, count]) => `${count}×${status}`).join(', ')} in ${seconds.toFixed(1)} s`);
    }
  } finally {
    await backend.stop();
  }
}
