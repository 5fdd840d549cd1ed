/**
 * Start-up cost of ktrdr processes beside a bare `node -e 0` (docs/architecture.md §1, "What loads when"):
 * - light CLI invocations (`--version`, `--help`, `config check`), spawned until they exit;
 * - worker cold start: spawn `ktrdr worker <type>` until the backend's GET /workers lists it.
 * Each figure is the median of several runs, the cases interleaved run by run so that a load spike on the shared
 * machine spreads over all of them instead of landing on one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerType } from '../src/api/contract.js';
import { TokenService, tokenProvider } from '../src/auth/tokens.js';
import { BackendApi } from '../src/client/backend-api.js';
import { LocalStack } from '../src/stack/local-stack.js';
import { freePort } from './ports.js';
import { fmt, median } from './stats.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * What every worker loads whatever its type, imported bare: a floor for `ktrdr worker` (the conventions' HTTP server,
 * schema library and logger), to tell our own start-up cost from theirs.
 */
const FLOOR = "await Promise.all(['zod', 'fastify', 'fastify-type-provider-zod', 'pino', 'pino-pretty'].map((name) => import(name)))";
const SECRET = 'local-dev-secret-do-not-use-in-production';

export function benchEnv(dataDir: string): NodeJS.ProcessEnv {
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

/** A backend with `training` training workers, and a client for it. */
export async function startStack(training: number, dataDir: string): Promise<{ stack: LocalStack; api: BackendApi }> {
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

/** Milliseconds from spawning `ktrdr worker <type>` until the backend lists it; the worker is stopped after. */
export async function timeWorkerListed(api: BackendApi, dataDir: string, workerType: WorkerType, id: string): Promise<number> {
  const port = await freePort();
  const env = { ...benchEnv(dataDir), KTRDR_API_CLIENT_BASE_URL: api.baseUrl, KTRDR_WORKER_PORT: String(port), KTRDR_WORKER_ID: id };
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, 'worker', workerType], { env, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if ((await api.listWorkers()).some((w) => w.worker_id === id)) break;
      if (child.exitCode !== null) throw new Error(`ktrdr worker ${workerType} exited with ${child.exitCode} before it was listed`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return Number(process.hrtime.bigint() - start) / 1e6;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** Wall time of one `node <args>` run until it exits, in milliseconds. */
function timeOnce(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: 'ignore', cwd: ROOT });
  if (result.error) throw result.error;
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface Case {
  readonly label: string;
  readonly run: (i: number) => number | Promise<number>;
}

export async function startupBench(runs = Number(process.env.BENCH_STARTUP_RUNS ?? 10)): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-'));
  const env = benchEnv(dataDir);
  const { stack, api } = await startStack(0, dataDir);
  try {
    const cases: Case[] = [
      { label: 'node -e 0', run: () => timeOnce(['-e', '0'], env) },
      { label: 'floor: zod+fastify+pino', run: () => timeOnce(['--input-type=module', '-e', FLOOR], env) },
      { label: 'ktrdr --version', run: () => timeOnce([CLI, '--version'], env) },
      { label: 'ktrdr --help', run: () => timeOnce([CLI, '--help'], env) },
      { label: 'ktrdr config check', run: () => timeOnce([CLI, 'config', 'check', '--role', 'worker'], env) },
      { label: 'ktrdr worker backtesting', run: (i) => timeWorkerListed(api, dataDir, 'backtesting', `bench-backtesting-${i}`) },
      { label: 'ktrdr worker training', run: (i) => timeWorkerListed(api, dataDir, 'training', `bench-training-${i}`) },
    ];
    const times = new Map<string, number[]>(cases.map((c) => [c.label, []]));
    for (const c of cases) await c.run(-1); // warm the file cache
    for (let i = 0; i < runs; i++) for (const c of cases) times.get(c.label)?.push(await c.run(i));
    const bare = median(times.get('node -e 0') ?? []);
    console.log(`startup: process start until exit (CLI) or until GET /workers lists it (workers), median of ${runs}`);
    for (const c of cases) {
      const t = times.get(c.label) ?? [];
      const m = median(t);
      const ratio = c.label === 'node -e 0' ? '' : `  ${(m / bare).toFixed(1)}x node -e 0`;
      console.log(`  ${c.label.padEnd(26)} ${fmt(m).padStart(10)}${ratio}  (min ${fmt(Math.min(...t))}, max ${fmt(Math.max(...t))})`);
    }
  } finally {
    await stack.stop();
  }
}
