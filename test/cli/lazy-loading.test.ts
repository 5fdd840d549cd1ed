/**
 * What a process loads, without timing it (docs/architecture.md §1, "What loads when"): each child runs with a
 * preload that records every module it loads (test/support/module-trace.ts), and the test checks the list.
 * The children run the `ktrdr` bin as shipped, the bundle in dist/cli/: a chunk it loads counts as every module
 * rolldown put in it (dist/cli/modules.json), so a heavy import that lands in a chunk the process loads fails here
 * as it would unbundled. The speed these rules buy is measured by `npm run bench -- startup`.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerType } from '../../src/api/contract.js';
import { assertBuilt, budget, CLI, cleanEnv, freePort, KtrdrProcess, REPO_ROOT, STARTUP_MS, STOP_MS, stopAll, waitFor } from '../support/processes.js';
import { packagesOf, readTrace, traceEnv } from '../support/module-trace.js';
import { FakeBackend } from '../worker/fake-backend.js';
import { SECRET, tokens } from '../worker/harness.js';
import { CLI_MS, runCli } from './helpers/run-cli.js';

/** Packages only the backend (or a token check) needs: no CLI start and no worker start may load them. */
const SERVER_ONLY = ['@electric-sql/pglite', 'pg', '@fastify/swagger', '@fastify/swagger-ui', '@fastify/static', 'jose', '@tensorflow/tfjs'];
/** Fastify's default schema compilers: the zod ones replace them (src/http/create-server.ts). */
const UNUSED_COMPILERS = ['ajv', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler'];

/** Fastify and what it brings: a worker loads them after registering, not before. */
const FASTIFY_APP = ['fastify', 'fastify-type-provider-zod', 'avvio', 'find-my-way', 'light-my-request', 'semver'];

const processes: KtrdrProcess[] = [];
const backends: FakeBackend[] = [];

beforeAll(() => assertBuilt());

afterEach(async () => {
  await stopAll(processes.splice(0));
  await Promise.all(backends.splice(0).map((backend) => backend.stop()));
});

function traceFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'ktrdr-trace-')), 'modules.txt');
}

/** The bin, relative to the repository: the trace must show that the child ran it. */
const BIN = relative(REPO_ROOT, CLI);

describe('the bundle the bin runs', () => {
  it('is mapped chunk by chunk, so that a traced chunk stands for its modules', () => {
    expect(BIN).toBe('dist/cli/ktrdr.js');
    const map = JSON.parse(readFileSync(join(REPO_ROOT, 'dist/cli/modules.json'), 'utf8')) as Record<string, string[]>;
    const chunks = readdirSync(join(REPO_ROOT, 'dist/cli')).filter((file) => file.endsWith('.js'));
    expect(chunks.length).toBeGreaterThan(1); // split: the commands and the workloads load on demand
    expect(Object.keys(map).sort()).toEqual(chunks.sort());
    expect(map['ktrdr.js']).toContain('dist/src/cli/main.js');
  });

  it('is executable, as `npx ktrdr` runs the file itself', () => {
    expect(statSync(CLI).mode & 0o111).toBe(0o111);
  });
});

describe('the CLI loads only what the command runs', () => {
  it('ktrdr --version loads commander and nothing of any command', { timeout: budget(CLI_MS) }, async () => {
    const file = traceFile();
    const result = await runCli(['--version'], cleanEnv(traceEnv(file)));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const modules = readTrace(file, REPO_ROOT);
    expect(modules).toEqual(expect.arrayContaining([BIN, 'dist/src/cli/main.js'])); // the bin ran, and the trace maps its chunks
    expect(packagesOf(modules)).toEqual(['commander']);
    expect(modules.filter((module) => module.startsWith('dist/src/cli/commands/'))).toEqual([]);
  });

  it('ktrdr --help lists every command without loading a server, a store, the token library or a workload', { timeout: budget(CLI_MS) }, async () => {
    const file = traceFile();
    const result = await runCli(['--help'], cleanEnv(traceEnv(file)));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('worker');
    const modules = readTrace(file, REPO_ROOT);
    expect(packagesOf(modules)).not.toContain('fastify');
    for (const name of [...SERVER_ONLY, ...UNUSED_COMPILERS]) expect(packagesOf(modules)).not.toContain(name);
    expect(modules.filter((module) => /^dist\/src\/(workloads|worker|backend|store)\//.test(module))).toEqual([]);
  });
});

describe('a worker loads only what its type runs', () => {
  /** What a worker must not load before it registers: only what registering needs comes first (docs/architecture.md §1.1). */
  function expectLoadedBeforeRegistering(modules: readonly string[]): void {
    // The worker's part of the contract only (src/api/worker-contract.ts): the whole one is loaded when an operation needs it.
    expect(modules).toContain('dist/src/api/worker-contract.js');
    expect(modules).not.toContain('dist/src/api/contract.js');
    // `ktrdr worker <type>` runs without building the command-line program (src/cli/worker-run.ts).
    expect(packagesOf(modules)).not.toContain('commander');
    expect(modules).not.toContain('dist/src/cli/program.js');
    expect(modules.filter((module) => module.startsWith('dist/src/cli/commands/'))).toEqual([]);
    expect(modules.filter((module) => /^dist\/src\/workloads\/(dummy|training|backtesting)\//.test(module))).toEqual([]);
    // Nor the HTTP application: the worker listens on a plain node:http server, and Fastify and its routes load once
    // the registration has its answer (src/http/early-server.ts).
    for (const name of FASTIFY_APP) expect(packagesOf(modules)).not.toContain(name);
    expect(modules.filter((module) => /^dist\/src\/(worker\/server|http\/create-server|http\/access-control)\.js$/.test(module))).toEqual([]);
  }

  /**
   * A `ktrdr worker <type>` with a module trace, against a fake backend; `refuseRegistration`: the backend answers
   * 503 to every registration until the test sets `backend.failNext.register` to 0.
   */
  async function startTracedWorker(workerType: WorkerType, logLevel: string, options: { refuseRegistration?: boolean } = {}) {
    const backend = new FakeBackend(tokens);
    if (options.refuseRegistration) backend.failNext.register = 1_000_000; // answered 503 (Retry-After: 1)
    await backend.start();
    backends.push(backend);
    const file = traceFile();
    const env = cleanEnv({
      KTRDR_AUTH_JWT_SECRET: SECRET,
      KTRDR_API_CLIENT_BASE_URL: backend.baseUrl,
      KTRDR_WORKER_PORT: String(await freePort()),
      KTRDR_LOG_LEVEL: logLevel,
      ...traceEnv(file),
    });
    const child = new KtrdrProcess(`worker-${workerType}`, ['worker', workerType], env);
    processes.push(child);
    return { backend, file, child };
  }

  it('before it registers, a worker loads neither the whole contract, nor commander, nor a workload', { timeout: budget(STARTUP_MS, STOP_MS) }, async () => {
    const { backend, file, child } = await startTracedWorker('training', 'INFO', { refuseRegistration: true });
    await waitFor('a registration attempt', () => (backend.failNext.register ?? 0) < 1_000_000, { timeoutMs: STARTUP_MS, whileAlive: [child] });
    expectLoadedBeforeRegistering(readTrace(file, REPO_ROOT));
    backend.failNext.register = 0;
    await child.waitForOutput(/registered with the backend/);
    expect((await child.stop('SIGTERM')).code).toBe(0);
  });

  async function tracedWorker(workerType: WorkerType): Promise<string[]> {
    const { file, child } = await startTracedWorker(workerType, 'DEBUG');
    await child.waitForOutput(/workloads loaded: /);
    expect((await child.stop('SIGTERM')).code).toBe(0);
    // The workloads load after the worker registered (docs/architecture.md §1).
    expect(child.output.indexOf('registered with the backend')).toBeGreaterThan(-1);
    expect(child.output.indexOf('registered with the backend')).toBeLessThan(child.output.indexOf('workloads loaded: '));
    const modules = readTrace(file, REPO_ROOT);
    expect(modules).toEqual(expect.arrayContaining([BIN, 'dist/src/worker/main.js', 'dist/src/worker/server.js']));
    for (const name of [...SERVER_ONLY, ...UNUSED_COMPILERS]) expect(packagesOf(modules)).not.toContain(name);
    return modules;
  }

  it('a backtesting worker loads the dummy and backtesting workloads, not the training code', { timeout: budget(STARTUP_MS, STOP_MS) }, async () => {
    const modules = await tracedWorker('backtesting');
    expect(modules).toEqual(expect.arrayContaining(['dist/src/workloads/dummy/dummy.js', 'dist/src/workloads/backtesting/backtesting.js']));
    expect(modules.filter((module) => module.startsWith('dist/src/workloads/training/'))).toEqual([]);
  });

  it('a training worker loads the dummy and training workloads, not the backtesting workload', { timeout: budget(STARTUP_MS, STOP_MS) }, async () => {
    const modules = await tracedWorker('training');
    expect(modules).toEqual(expect.arrayContaining(['dist/src/workloads/dummy/dummy.js', 'dist/src/workloads/training/training.js']));
    expect(modules.filter((module) => module.startsWith('dist/src/workloads/backtesting/'))).toEqual([]);
  });
});
