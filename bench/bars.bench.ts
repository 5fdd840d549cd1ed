/**
 * Bars from the backend to a worker (docs/architecture.md §4, "Binary bars"): a
 * 1,000,000-bar CSV served by a real backend (in this process, over a real
 * loopback port) and fetched by the worker's BackendData, timed from the request
 * to the decoded columns in the client:
 * - without the cache (as before: parse the CSV on every request, answer JSON);
 * - the first request of a cached backend (cold: it parses the file), in binary;
 * - warm requests (the parsed copy in memory) in JSON and in binary;
 * beside the peer, the client parsing the same CSV itself, and the target of 0.5 s.
 * Client and server share this process's cores, as on a one-host stack.
 */
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { COLUMNS_MEDIA_TYPE } from '../src/api/columns.js';
import { BarsResponse } from '../src/api/contract.js';
import { Backend } from '../src/backend/backend.js';
import { HttpClient, NO_RETRY } from '../src/client/http.js';
import { loadBars } from '../src/market-data/csv.js';
import { formatCsv, generateBars } from '../src/market-data/generate.js';
import type { BarSeries } from '../src/market-data/types.js';
import { openMemoryStore } from '../src/store/index.js';
import { BackendData } from '../src/worker/backend-data.js';
import { fmt, median } from './stats.js';

const BARS = 1_000_000;
const RUNS = 3;
const TARGET_MS = 500;
const SECRET = 'bench-secret';
const HOUR = 3_600_000;

async function startBackend(dataDir: string, dataCacheBytes?: number): Promise<{ backend: Backend; api: string }> {
  const scratch = mkdtempSync(join(tmpdir(), 'ktrdr-bench-bars-backend-'));
  const backend = new Backend({
    store: await openMemoryStore(),
    logger: pino({ level: 'silent' }),
    host: '127.0.0.1',
    port: 0,
    jwtSecret: SECRET,
    tokenExpireMinutes: 60,
    checkpointDir: join(scratch, 'checkpoints'),
    checkpointMaxAgeDays: 30,
    dataDir,
    ...(dataCacheBytes !== undefined && { dataCacheBytes }),
    modelsDir: join(scratch, 'models'),
    strategiesDir: join(scratch, 'strategies'),
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
    uploadLimitBytes: 8 * 1024 * 1024,
  });
  const url = await backend.start();
  return { backend, api: `${url}/api/v1` };
}

/** The worker's view of the backend, as src/worker/assemble.ts builds it (a worker's token). */
function workerData(backend: Backend, api: string): BackendData {
  const http = new HttpClient({ baseUrl: api, timeoutMs: 600_000, token: () => backend.tokens.issue('bench-worker', 'worker') });
  return new BackendData(http, NO_RETRY, { deliverModel: () => Promise.resolve() });
}

/** A client that asks for JSON only (an older worker): the body parsed and turned into columns, as BackendData did. */
function jsonData(backend: Backend, api: string): () => Promise<BarSeries> {
  const http = new HttpClient({ baseUrl: api, timeoutMs: 600_000, token: () => backend.tokens.issue('bench-worker', 'worker') });
  return async () => {
    const body = await http.request('GET', '/data/EURUSD/1h', BarsResponse);
    const column = (values: number[]) => Float64Array.from(values);
    return { symbol: body.symbol, timeframe: body.timeframe, time: column(body.time), open: column(body.open), high: column(body.high), low: column(body.low), close: column(body.close), volume: column(body.volume) };
  };
}

interface Timing {
  /** Wall time, ms. */
  readonly wall: number;
  /** CPU time of this process (user + system, server and client both, all threads), ms: about the wall time on idle cores. */
  readonly cpu: number;
}

async function timed(fn: () => Promise<BarSeries>): Promise<Timing> {
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const bars = await fn();
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  if (bars.time.length !== BARS) throw new Error(`expected ${BARS} bars, got ${bars.time.length}`);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

async function timedRuns(fn: () => Promise<BarSeries>, runs: number): Promise<Timing> {
  const timings: Timing[] = [];
  for (let run = 0; run < runs; run += 1) timings.push(await timed(fn));
  return { wall: median(timings.map((timing) => timing.wall)), cpu: median(timings.map((timing) => timing.cpu)) };
}

export async function barsBench(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-bars-'));
  const path = join(dataDir, 'EURUSD_1h.csv');
  writeFileSync(path, formatCsv(generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: BARS, seed: 7, start: '1950-01-02T00:00:00Z' })));
  // Dated back so that the cache trusts the copy at once (a file younger than its racy window is re-read).
  const anHourAgo = new Date(Date.now() - HOUR);
  utimesSync(path, anHourAgo, anHourAgo);
  const megabytes = (statSync(path).size / 1024 / 1024).toFixed(0);
  console.log(`bars: ${BARS.toLocaleString('en-US')} one-hour bars (${megabytes} MB of CSV) from a backend on 127.0.0.1 to decoded columns in the client; median of ${RUNS} runs`);

  // On a loaded machine the wall time swings with the neighbours; CPU time and the share of the peer's time do not.
  let peer: Timing = { wall: Number.NaN, cpu: Number.NaN };
  console.log(`  ${''.padEnd(62)}${'wall'.padStart(12)}${'CPU'.padStart(12)}${'CPU ÷ peer'.padStart(12)}`);
  const row = (label: string, timing: Timing) =>
    console.log(`  ${label.padEnd(62)}${fmt(timing.wall).padStart(12)}${fmt(timing.cpu).padStart(12)}${(timing.cpu / peer.cpu).toFixed(3).padStart(12)}`);
  try {
    peer = await timedRuns(() => loadBars(path), RUNS);
    row('peer: the client parses the CSV itself (loadBars)', peer);

    const uncached = await startBackend(dataDir, 0);
    try {
      row('without the cache, JSON (as before: parse + JSON per request)', await timedRuns(jsonData(uncached.backend, uncached.api), 1));
    } finally {
      await uncached.backend.stop();
    }

    const cached = await startBackend(dataDir);
    try {
      const worker = workerData(cached.backend, cached.api);
      const fetchBars = () => worker.bars({ symbol: 'EURUSD', timeframe: '1h' });
      row('cold, binary: the backend parses the CSV', await timed(fetchBars));
      row('warm, JSON', await timedRuns(jsonData(cached.backend, cached.api), RUNS));
      row(`warm, binary (${COLUMNS_MEDIA_TYPE})`, await timedRuns(fetchBars, RUNS));
      console.log(`  ${'target'.padEnd(62)}${fmt(TARGET_MS).padStart(12)}`);
    } finally {
      await cached.backend.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
