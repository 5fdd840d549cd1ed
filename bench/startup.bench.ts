/**
 * Start-up cost of ktrdr processes beside a bare `node -e 0` (docs/architecture.md §1, "What loads when"), each
 * run of the `ktrdr` bin as shipped (the bundle in dist/cli/):
 * - light CLI invocations (`--version`, `--help`, `config check`), spawned until they exit;
 * - worker cold start: spawn `ktrdr worker <type>` until the backend lists it.
 * Each figure is the median of several runs, the cases interleaved run by run so that a load spike on the shared
 * machine spreads over all of them instead of landing on one. Beside the wall time, the CPU time the process used
 * (Linux: /proc), which a busy machine inflates far less: on the shared 2-core machine it is the steadier figure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerType } from '../src/api/contract.js';
import { TokenService, tokenProvider } from '../src/auth/tokens.js';
import { cliEntry } from '../src/common/package-root.js';
import { BackendApi } from '../src/client/backend-api.js';
import { LocalStack } from '../src/stack/local-stack.js';
import { freePort } from './ports.js';
import { fmt, median } from './stats.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = cliEntry();
/**
 * What every worker loads whatever its type (the conventions' HTTP server, schema library and logger), imported bare
 * from node_modules, file by file: what those libraries cost unbundled, beside the bundled worker that includes them.
 */
const LIBRARIES = "await Promise.all(['zod', 'fastify', 'fastify-type-provider-zod', 'pino', 'pino-pretty'].map((name) => import(name)))";
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

/** What a start cost: wall time, and CPU time (user + system, every thread; NaN where /proc cannot tell). */
export interface StartCost {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux on every architecture Node supports). */
const TICKS_PER_SECOND = 100;

/** Fields after the command name in /proc/<pid>/stat (the name may hold spaces, and ends with the last ')'). */
function procStat(pid: number | 'self'): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * CPU time used so far by a running process, every thread: the sum of the threads' run times in
 * /proc/<pid>/task/<tid>/schedstat (nanoseconds; stat's utime and stime count whole clock ticks of 10 ms).
 */
function cpuOf(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time of this process's children that have ended and been waited for (cutime + cstime, fields 16 and 17): in
 * clock ticks, which the kernel charges to whichever process runs at each tick, so the mean of many runs is right
 * where a single run is only within 10 ms.
 */
function childrenCpu(): number {
  const fields = procStat('self');
  return fields ? ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND : Number.NaN;
}

/**
 * Spawns `ktrdr worker <type>` and measures until the backend lists it; the worker is stopped after.
 *
 * The end of the measurement is the worker's own "registered with the backend" line: the backend commits the
 * registration before it answers, so when the worker has the answer GET /workers already lists it (checked right
 * after, once). Polling GET /workers instead would add its interval to each figure and, on two cores, take CPU from
 * the very start it measures.
 */
export async function workerListed(api: BackendApi, dataDir: string, workerType: WorkerType, id: string): Promise<StartCost> {
  const port = await freePort();
  const env = {
    ...benchEnv(dataDir),
    KTRDR_API_CLIENT_BASE_URL: api.baseUrl,
    KTRDR_WORKER_PORT: String(port),
    KTRDR_WORKER_ID: id,
    KTRDR_LOG_LEVEL: 'INFO', // for the line that says it registered
  };
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, 'worker', workerType], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const registered = new Promise<void>((resolve) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        if (line.includes(`worker ${id} (${workerType}) registered with the backend`)) resolve();
      });
    });
    const ended = await Promise.race([registered.then(() => null), exited.then((code) => ({ code }))]);
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpuMs = child.pid === undefined ? Number.NaN : cpuOf(child.pid);
    if (ended !== null) throw new Error(`ktrdr worker ${workerType} exited with ${ended.code} before it registered`);
    if (!(await api.listWorkers()).some((w) => w.worker_id === id)) throw new Error(`worker ${id} said it registered, but GET /workers does not list it`);
    return { wallMs, cpuMs };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** Milliseconds from spawning `ktrdr worker <type>` until the backend lists it; the worker is stopped after. */
export async function timeWorkerListed(api: BackendApi, dataDir: string, workerType: WorkerType, id: string): Promise<number> {
  return (await workerListed(api, dataDir, workerType, id)).wallMs;
}

/** Wall and CPU time of one `node <args>` run until it exits. */
function timeOnce(args: readonly string[], env: NodeJS.ProcessEnv): StartCost {
  const cpuBefore = childrenCpu();
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: 'ignore', cwd: ROOT });
  if (result.error) throw result.error;
  return { wallMs: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: childrenCpu() - cpuBefore };
}

interface Case {
  readonly label: string;
  readonly run: (i: number) => StartCost | Promise<StartCost>;
}

function mean(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0) / values.length;
}

export async function startupBench(runs = Number(process.env.BENCH_STARTUP_RUNS ?? 10)): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-'));
  const env = benchEnv(dataDir);
  const { stack, api } = await startStack(0, dataDir);
  try {
    const cases: Case[] = [
      { label: 'node -e 0', run: () => timeOnce(['-e', '0'], env) },
      { label: 'zod+fastify+pino, as files', run: () => timeOnce(['--input-type=module', '-e', LIBRARIES], env) },
      { label: 'ktrdr --version', run: () => timeOnce([CLI, '--version'], env) },
      { label: 'ktrdr --help', run: () => timeOnce([CLI, '--help'], env) },
      { label: 'ktrdr config check', run: () => timeOnce([CLI, 'config', 'check', '--role', 'worker'], env) },
      { label: 'ktrdr worker backtesting', run: (i) => workerListed(api, dataDir, 'backtesting', `bench-backtesting-${i}`) },
      { label: 'ktrdr worker training', run: (i) => workerListed(api, dataDir, 'training', `bench-training-${i}`) },
    ];
    const costs = new Map<string, StartCost[]>(cases.map((c) => [c.label, []]));
    for (const c of cases) await c.run(-1); // warm the file cache
    for (let i = 0; i < runs; i++) for (const c of cases) costs.get(c.label)?.push(await c.run(i));
    const of = (label: string, key: keyof StartCost) => (costs.get(label) ?? []).map((cost) => cost[key]);
    const bare = { wall: median(of('node -e 0', 'wallMs')), cpu: mean(of('node -e 0', 'cpuMs')) };
    console.log(
      `startup: process start until exit (CLI) or until the backend lists it (workers), wall time median and CPU time mean of ${runs}; ` +
        `load average ${loadavg().map((load) => load.toFixed(1)).join(' ')} on ${availableParallelism()} cores`,
    );
    for (const c of cases) {
      const wall = of(c.label, 'wallMs');
      const cpu = mean(of(c.label, 'cpuMs'));
      const ratio = (value: number, base: number) => (c.label === 'node -e 0' ? '' : ` ${(value / base).toFixed(1)}x`).padEnd(6);
      const cpuText = Number.isNaN(cpu) ? '' : `  cpu ${fmt(cpu).padStart(9)}${ratio(cpu, bare.cpu)}`;
      console.log(
        `  ${c.label.padEnd(26)} ${fmt(median(wall)).padStart(10)}${ratio(median(wall), bare.wall)}${cpuText}` +
          `  (wall min ${fmt(Math.min(...wall))}, max ${fmt(Math.max(...wall))})`,
      );
    }
    console.log('  (Nx: that many times node -e 0\'s wall or CPU time; the target is a worker listed in ≤ 3x node -e 0)');
  } finally {
    await stack.stop();
  }
}
