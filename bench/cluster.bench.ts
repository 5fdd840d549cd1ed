/**
 * The distributed machinery under load, through real processes:
 * - worker cold start: spawn `ktrdr worker training` until GET /workers lists it (beside `node -e 0`);
 * - submit-to-running latency (created_at → started_at) over zero-delay dummy operations with 2 workers;
 * - operations completed per second.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenService, tokenProvider } from '../src/auth/tokens.js';
import { BackendApi } from '../src/client/backend-api.js';
import { LocalStack } from '../src/stack/local-stack.js';
import { fmt, median, percentile, timeCommand } from './stats.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SECRET = 'local-dev-secret-do-not-use-in-production';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function benchEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('KTRDR_')) env[name] = value;
  return {
    ...env,
    KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true',
    KTRDR_LOG_LEVEL: 'WARNING',
    KTRDR_DB_DIR: join(dataDir, 'db'),
    KTRDR_CHECKPOINT_DIR: join(dataDir, 'checkpoints'),
    KTRDR_WORKER_HEARTBEAT_INTERVAL: '5',
    KTRDR_OPS_CACHE_TTL: '1',
  };
}

async function startStack(training: number, dataDir: string): Promise<{ stack: LocalStack; api: BackendApi }> {
  const token = tokenProvider(new TokenService(SECRET, 60), 'bench', 'cli');
  const apiPort = await freePort();
  const stack = new LocalStack({
    training,
    backtesting: 0,
    apiHost: '127.0.0.1',
    apiPort,
    firstWorkerPort: await freePort(),
    env: benchEnv(dataDir),
    token,
    output: () => {},
    readyTimeoutMs: 60_000,
  });
  await stack.start();
  return { stack, api: BackendApi.create({ baseUrl: stack.apiBaseUrl, timeoutMs: 30_000, token }) };
}

async function coldStart(runs: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-'));
  const { stack, api } = await startStack(0, dataDir);
  try {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const port = await freePort();
      const id = `bench-cold-${i}`;
      const env = { ...benchEnv(dataDir), KTRDR_API_CLIENT_BASE_URL: stack.apiBaseUrl, KTRDR_WORKER_PORT: String(port), KTRDR_WORKER_ID: id };
      const start = process.hrtime.bigint();
      const child = spawn(process.execPath, [CLI, 'worker', 'training'], { env, stdio: 'ignore' });
      for (;;) {
        if ((await api.listWorkers()).some((w) => w.worker_id === id)) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    const bare = timeCommand(['-e', '0'], runs);
    console.log(`cluster: worker cold start until listed by the backend (median of ${runs})`);
    console.log(`  node -e 0                      ${fmt(median(bare))}`);
    console.log(`  ktrdr worker training          ${fmt(median(times))}  (min ${fmt(Math.min(...times))}, max ${fmt(Math.max(...times))})`);
  } finally {
    await stack.stop();
  }
}

async function throughput(count: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-'));
  const { stack, api } = await startStack(2, dataDir);
  try {
    const ids: string[] = [];
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) ids.push((await api.startDummy({ steps: 1, step_delay_ms: 0 })).operation_id);
    const submitted = Number(process.hrtime.bigint() - start) / 1e6;
    for (;;) {
      const { data } = await api.listOperations({ limit: count });
      if (data.filter((op) => ids.includes(op.operation_id)).every((op) => op.status === 'completed' || op.status === 'failed')) {
        const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
        const latencies = data
          .filter((op) => op.started_at)
          .map((op) => Date.parse(op.started_at as string) - Date.parse(op.created_at));
        const failed = data.filter((op) => op.status === 'failed').length;
        console.log(`cluster: ${count} zero-delay dummy operations, 2 training workers, submitted back to back`);
        console.log(`  submitted in                   ${fmt(submitted)} (${(count / (submitted / 1000)).toFixed(0)} submissions/s)`);
        console.log(`  submit-to-running latency      p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))} (queueing included)`);
        console.log(`  completed                      ${(count / (elapsed / 1000)).toFixed(1)} operations/s (${count - failed} completed, ${failed} failed)`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Idle latency: one operation at a time, so nothing queues.
    const idle: number[] = [];
    for (let i = 0; i < 50; i++) {
      const { operation_id } = await api.startDummy({ steps: 1, step_delay_ms: 0 });
      for (;;) {
        const op = await api.getOperation(operation_id);
        if (op.status === 'completed' || op.status === 'failed') {
          if (op.started_at) idle.push(Date.parse(op.started_at) - Date.parse(op.created_at));
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    console.log(`  submit-to-running, idle fleet  p50 ${fmt(percentile(idle, 50))}, p99 ${fmt(percentile(idle, 99))} (50 sequential operations)`);
  } finally {
    await stack.stop();
  }
}

export async function clusterBench(): Promise<void> {
  await coldStart(10);
  await throughput(1000);
}
