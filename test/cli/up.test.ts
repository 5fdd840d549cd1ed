/**
 * `ktrdr up` as a real child process: the backend and two workers on free
 * ports with temporary data directories, a dummy operation through the CLI,
 * then SIGTERM (exit 0, every child gone) or a child killed (exit 1, the rest
 * stopped). Bounded waits on output, never fixed sleeps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkerRecord } from '../../src/api/contract.js';
import { assertBuilt, budget, freePortRun, KtrdrProcess, OPERATION_MS, STARTUP_MS, waitFor } from '../support/processes.js';
import { seedPgliteDir } from '../support/db-template.js';
import { cleanEnv, runCli } from './helpers/run-cli.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stackEnv(): Promise<NodeJS.ProcessEnv> {
  const apiPort = await freePortRun(1);
  let workerPort = await freePortRun(2);
  while (Math.abs(workerPort - apiPort) < 2) workerPort = await freePortRun(2);
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-up-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  await seedPgliteDir(join(dir, 'db')); // a migrated copy: the backend skips initdb (see test/support/db-template.ts)
  return cleanEnv({
    KTRDR_API_PORT: String(apiPort),
    KTRDR_WORKER_PORT: String(workerPort),
    KTRDR_API_CLIENT_BASE_URL: `http://127.0.0.1:${apiPort}/api/v1`,
    KTRDR_DB_DIR: join(dir, 'db'),
    KTRDR_CHECKPOINT_DIR: join(dir, 'checkpoints'),
    KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true',
  });
}

function startUp(env: NodeJS.ProcessEnv): KtrdrProcess {
  const up = new KtrdrProcess('ktrdr up', ['up'], env, tmpdir());
  cleanups.push(async () => void (await up.stop('SIGKILL', 5_000)));
  return up;
}

/** The pids `up` reports in its ready line, by child name. */
async function readyChildren(up: KtrdrProcess): Promise<Map<string, number>> {
  const line = await waitFor('the ready line of `ktrdr up`', () => up.output.split('\n').find((text) => /^up\s+\| ready:/.test(text)), {
    timeoutMs: STARTUP_MS,
    whileAlive: [up],
  });
  return new Map([...line.matchAll(/([\w-]+) :\d+ \(pid (\d+)\)/g)].map((match) => [match[1] as string, Number(match[2])]));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `up` stopping its children (each given KtrdrProcess's stop bound) and exiting. */
const EXIT_MS = 30_000;

async function withTimeout<T>(what: string, promise: Promise<T>, timeoutMs = EXIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('ktrdr up (real backend and workers)', () => {
  beforeAll(() => assertBuilt('dist/src/backend/main.js', 'dist/src/worker/main.js'));
  it('lists two workers, runs a dummy operation, and stops everything on SIGTERM (exit 0)', {
    timeout: budget(STARTUP_MS, STARTUP_MS, OPERATION_MS, EXIT_MS),
  }, async () => {
    const env = await stackEnv();
    const up = startUp(env);
    const pids = await readyChildren(up);
    expect([...pids.keys()]).toEqual(['backend', 'training-1', 'backtesting-1']);

    const workers = await waitFor('two workers listed by GET /workers', async () => {
      const result = await runCli(['workers', '--json'], env);
      if (result.code !== 0) return null;
      const listed = WorkerRecord.array().parse((JSON.parse(result.stdout) as { items: unknown }).items);
      return listed.length === 2 ? listed : null;
    }, { timeoutMs: STARTUP_MS, whileAlive: [up] });
    expect(workers.map((worker) => worker.worker_type).sort()).toEqual(['backtesting', 'training']);
    expect(workers.map((worker) => new URL(worker.endpoint_url).port).sort()).toEqual([env.KTRDR_WORKER_PORT, String(Number(env.KTRDR_WORKER_PORT) + 1)].sort());

    const dummy = await runCli(['dummy', 'start', '--steps', '3', '--step-delay-ms', '10', '--watch', '--interval-ms', '50'], env, { timeoutMs: OPERATION_MS });
    expect(dummy.stderr).toBe('');
    expect(dummy.code).toBe(0);
    expect(dummy.stdout.trim().split('\n').at(-1)).toMatch(/^operation \S+ completed: steps=3 /);

    up.child.kill('SIGTERM');
    expect((await withTimeout('ktrdr up to exit after SIGTERM', up.exited)).code).toBe(0);
    for (const [name, pid] of pids) expect(isAlive(pid), `${name} (pid ${pid}) still running`).toBe(false);

    // Workers are stopped before the backend: the backend hears of SIGTERM only after the workers' last words.
    const lines = up.output.split('\n');
    const lastWorkerLine = Math.max(...['training-1', 'backtesting-1'].map((name) => lines.findLastIndex((line) => line.startsWith(name))));
    const backendSignalLine = lines.findIndex((line) => line.startsWith('backend') && line.includes('SIGTERM'));
    expect(backendSignalLine).toBeGreaterThan(lastWorkerLine);
  });

  it('stops the rest and exits 1 when a child dies unexpectedly', { timeout: budget(STARTUP_MS, EXIT_MS) }, async () => {
    const up = startUp(await stackEnv());
    const pids = await readyChildren(up);
    process.kill(pids.get('training-1') as number, 'SIGKILL');
    expect((await withTimeout('ktrdr up to exit after a child died', up.exited)).code).toBe(1);
    expect(up.output).toMatch(/training-1 exited unexpectedly \(SIGKILL\); stopping the rest/);
    for (const [name, pid] of pids) expect(isAlive(pid), `${name} (pid ${pid}) still running`).toBe(false);
  });
});

describe('ktrdr up: ports', () => {
  let blocker: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = null;
  });

  it('fails with a message naming a taken port and the variable to change, before starting anything', async () => {
    const env = await stackEnv();
    const taken = Number(env.KTRDR_API_PORT);
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(taken, '127.0.0.1', resolve));
    const result = await runCli(['up'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`port ${taken} (backend) is already in use: stop what is using it or set KTRDR_API_PORT to a free port`);
    expect(result.stdout).not.toMatch(/^backend/m);
  });

  it('names KTRDR_WORKER_PORT when a worker port is taken', async () => {
    const env = await stackEnv();
    const taken = Number(env.KTRDR_WORKER_PORT) + 1;
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(taken, '127.0.0.1', resolve));
    const result = await runCli(['up'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`port ${taken} (backtesting-1) is already in use: stop what is using it or set KTRDR_WORKER_PORT to the first of 2 free consecutive ports`);
  });

  it('prints the configuration block and exits 1 when KTRDR_API_PORT is invalid', async () => {
    const result = await runCli(['up'], cleanEnv({ KTRDR_API_PORT: 'abc' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('KTRDR_API_PORT');
    expect(result.stderr).toContain('CONFIGURATION ERROR');
  });
});
