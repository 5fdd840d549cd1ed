/**
 * The local stack (`ktrdr up`, the demo, end-to-end tests): one backend and N
 * training + M backtesting workers as child processes of this Node binary.
 *
 * Children run in their own process groups, so a Ctrl-C in the terminal reaches
 * only the parent, which then stops them in order: workers first (so a busy one
 * can checkpoint, hand its operation back and deregister while the backend is
 * still there), then the backend.
 *
 * The stack is a supervisor: each child holds an IPC channel to the parent and
 * stops itself when that channel closes (src/common/shutdown.ts), so even a
 * SIGKILL of the parent leaves no backend holding its port; once the stack is
 * ready, a worker that dies is restarted after a back-off (the backend hands
 * its operation on as an orphan), while a dead backend still ends the stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { API_PREFIX, type WorkerType } from '../api/contract.js';
import { BackendApi } from '../client/backend-api.js';
import { createError } from '../common/errors.js';
import { cliEntry } from '../common/package-root.js';
import { sleep } from '../common/sleep.js';
import { describeHolder, findPortHolder } from './port-holder.js';

export class StackError extends createError('StackError') {}

export interface StackProcessInfo {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** Epoch ms of the current process's start. */
  readonly startedAt: number;
  /** How many times this child was restarted. */
  readonly restarts: number;
}

export interface WorkerRestart {
  readonly name: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** 1 for the first restart after a stable run. */
  readonly attempt: number;
  readonly delayMs: number;
}

export interface UnexpectedExit {
  readonly name: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LocalStackOptions {
  readonly training: number;
  readonly backtesting: number;
  /** Where the backend listens (KTRDR_API_HOST / KTRDR_API_PORT). */
  readonly apiHost: string;
  readonly apiPort: number;
  /** The first worker's port (KTRDR_WORKER_PORT); the others take the next ones. */
  readonly firstWorkerPort: number;
  /** The environment every child starts from. */
  readonly env: NodeJS.ProcessEnv;
  /** Mints the bearer token used to list the workers. */
  readonly token: () => Promise<string>;
  /** Each line a child prints, with its name. */
  readonly output: (name: string, line: string) => void;
  /** Called once when a child exits while the stack is not stopping (and is not restarted). */
  readonly onUnexpectedExit?: (exit: UnexpectedExit) => void;
  /** Called when a dead worker is to be restarted, and (with `pid`) when it was. */
  readonly onWorkerRestart?: (restart: WorkerRestart, pid?: number) => void;
  /** The wait before restart number `attempt` (1, 2, …) of a worker; the default doubles from 1 s up to 30 s. */
  readonly restartDelayMs?: (attempt: number) => number;
  /** A worker that ran this long before dying starts its back-off again from the first delay. */
  readonly stableRunMs?: number;
  /** The `ktrdr` script the children run; defaults to the bin's, the bundle in dist/cli/ (docs/architecture.md §1.1). */
  readonly cliEntry?: string;
  readonly readyTimeoutMs?: number;
  /** How long a child may take to stop after SIGTERM before it is killed. */
  readonly stopTimeoutMs?: number;
  readonly pollIntervalMs?: number;
}

interface StackChild {
  readonly name: string;
  readonly port: number;
  readonly args: readonly string[];
  readonly overrides: Readonly<Record<string, string>>;
  process: ChildProcess;
  exited: Promise<void>;
  startedAt: number;
  restarts: number;
  /** Consecutive restarts without a stable run in between (the back-off exponent). */
  attempts: number;
  restartTimer: NodeJS.Timeout | null;
  readonly recent: string[];
}

const defaultRestartDelay = (attempt: number): number => Math.min(30_000, 1000 * 2 ** (attempt - 1));

const RECENT_LINES = 30;
/** Inherited variables that would give every worker the same identity or endpoint. */
const PER_WORKER_VARIABLES = [
  'KTRDR_WORKER_PORT', 'WORKER_PORT',
  'KTRDR_WORKER_ID', 'WORKER_ID',
  'KTRDR_WORKER_ENDPOINT_URL', 'WORKER_ENDPOINT_URL',
  'KTRDR_WORKER_PUBLIC_BASE_URL', 'WORKER_PUBLIC_BASE_URL',
  'KTRDR_API_CLIENT_BASE_URL', 'KTRDR_API_URL',
];

/** A wildcard listen address is not something to connect to. */
function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export class LocalStack {
  private readonly children: StackChild[] = [];
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private failure: UnexpectedExit | null = null;
  private ready = false;
  private readonly cliEntry: string;

  constructor(private readonly options: LocalStackOptions) {
    this.cliEntry = options.cliEntry ?? cliEntry();
  }

  get rootUrl(): string {
    return `http://${connectHost(this.options.apiHost)}:${this.options.apiPort}`;
  }

  /** What workers and clients use: KTRDR_API_CLIENT_BASE_URL. */
  get apiBaseUrl(): string {
    return `${this.rootUrl}${API_PREFIX}`;
  }

  get processes(): StackProcessInfo[] {
    return this.children.map((child) => ({
      name: child.name,
      pid: child.process.pid ?? -1,
      port: child.port,
      startedAt: child.startedAt,
      restarts: child.restarts,
    }));
  }

  /** The last lines a child printed (for error messages). */
  recentOutput(name: string): readonly string[] {
    return this.children.find((child) => child.name === name)?.recent ?? [];
  }

  /** The workers in start order, with their ports. */
  workerPlan(): { name: string; type: WorkerType; port: number }[] {
    const plan: { name: string; type: WorkerType; port: number }[] = [];
    let port = this.options.firstWorkerPort;
    for (const [type, count] of [['training', this.options.training], ['backtesting', this.options.backtesting]] as const) {
      for (let index = 1; index <= count; index++) plan.push({ name: `${type}-${index}`, type, port: port++ });
    }
    return plan;
  }

  /** Starts the backend, waits for its /health, starts the workers and waits until GET /workers lists them all. */
  async start(): Promise<void> {
    const plan = this.workerPlan();
    await this.checkPortsFree(plan);
    this.spawnChild('backend', this.options.apiPort, ['backend'], {
      KTRDR_API_HOST: this.options.apiHost,
      KTRDR_API_PORT: String(this.options.apiPort),
    });
    await this.waitFor('the backend to answer GET /health', () => this.backendHealthy());
    if (this.stopping) throw new StackError('stopped while waiting for the backend');
    for (const worker of plan) {
      this.spawnChild(worker.name, worker.port, ['worker', worker.type], {
        KTRDR_WORKER_PORT: String(worker.port),
        KTRDR_API_CLIENT_BASE_URL: this.apiBaseUrl,
      });
    }
    const api = BackendApi.create({ baseUrl: this.apiBaseUrl, timeoutMs: 5000, token: this.options.token });
    const ports = new Set(plan.map((worker) => worker.port));
    await this.waitFor(`GET /workers to list all ${plan.length} workers`, async () => {
      const workers = await api.listWorkers().catch(() => []);
      const listed = new Set(workers.map((worker) => Number(new URL(worker.endpoint_url).port)));
      return [...ports].every((port) => listed.has(port));
    });
    this.ready = true;
  }

  /** SIGTERM to the workers, wait; then to the backend, wait. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping = true;
    for (const child of this.children) if (child.restartTimer) clearTimeout(child.restartTimer);
    this.stopped ??= (async () => {
      await Promise.all(this.children.filter((child) => child.name !== 'backend').map((child) => this.stopChild(child)));
      await Promise.all(this.children.filter((child) => child.name === 'backend').map((child) => this.stopChild(child)));
    })();
    return this.stopped;
  }

  /** SIGKILL to every child still running (a second Ctrl-C). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const child of this.children) if (this.isRunning(child)) child.process.kill(signal);
  }

  private async checkPortsFree(plan: readonly { name: string; port: number }[]): Promise<void> {
    const inUse = async (port: number) => `is already in use ${describeHolder(await findPortHolder(port))}`;
    if (!(await portIsFree(this.options.apiPort))) {
      throw new StackError(`port ${this.options.apiPort} (backend) ${await inUse(this.options.apiPort)}: stop it or set KTRDR_API_PORT to a free port`);
    }
    for (const worker of plan) {
      if (!(await portIsFree(worker.port))) {
        throw new StackError(
          `port ${worker.port} (${worker.name}) ${await inUse(worker.port)}: stop it or set KTRDR_WORKER_PORT to the first of ${plan.length} free consecutive ports`,
        );
      }
    }
  }

  private spawnChild(name: string, port: number, args: string[], overrides: Record<string, string>): void {
    const child: StackChild = {
      name, port, args, overrides,
      process: undefined as unknown as ChildProcess,
      exited: Promise.resolve(),
      startedAt: 0,
      restarts: 0,
      attempts: 0,
      restartTimer: null,
      recent: [],
    };
    this.children.push(child);
    this.launch(child);
  }

  /** Starts (or restarts) `child`'s process. */
  private launch(child: StackChild): void {
    const { name } = child;
    const env: NodeJS.ProcessEnv = { ...this.options.env };
    if (name !== 'backend') for (const variable of PER_WORKER_VARIABLES) delete env[variable];
    Object.assign(env, child.overrides);
    // The 'ipc' channel is how the child notices that this process died, however it died.
    const spawned = spawn(process.execPath, [this.cliEntry, ...child.args], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    const onLine = (line: string) => {
      child.recent.push(line);
      if (child.recent.length > RECENT_LINES) child.recent.shift();
      this.options.output(name, line);
    };
    for (const stream of [spawned.stdout, spawned.stderr]) if (stream) createInterface({ input: stream }).on('line', onLine);
    // The channel carries no messages; it must not keep this process alive.
    spawned.channel?.unref();
    spawned.on('error', () => undefined);
    child.process = spawned;
    child.startedAt = Date.now();
    child.exited = new Promise<void>((resolve) => {
      spawned.once('exit', (code, signal) => {
        if (!this.stopping && !this.failure) this.onChildExit(child, code, signal);
        resolve();
      });
      spawned.once('error', (error) => {
        onLine(`could not start: ${error.message}`);
        resolve();
      });
    });
  }

  /** A worker of a ready stack is restarted after a back-off; anything else ends the stack. */
  private onChildExit(child: StackChild, code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.ready || child.name === 'backend') {
      this.failure = { name: child.name, code, signal };
      this.options.onUnexpectedExit?.(this.failure);
      return;
    }
    const ranMs = Date.now() - child.startedAt;
    child.attempts = ranMs >= (this.options.stableRunMs ?? 60_000) ? 1 : child.attempts + 1;
    const delayMs = (this.options.restartDelayMs ?? defaultRestartDelay)(child.attempts);
    const restart: WorkerRestart = { name: child.name, code, signal, attempt: child.attempts, delayMs };
    this.options.onWorkerRestart?.(restart);
    child.restartTimer = setTimeout(() => {
      child.restartTimer = null;
      if (this.stopping) return;
      child.restarts += 1;
      this.launch(child);
      this.options.onWorkerRestart?.(restart, child.process.pid);
    }, delayMs);
  }

  private isRunning(child: StackChild): boolean {
    return child.process.exitCode === null && child.process.signalCode === null && child.process.pid !== undefined;
  }

  private async stopChild(child: StackChild): Promise<void> {
    if (!this.isRunning(child)) return;
    child.process.kill('SIGTERM');
    const timeoutMs = this.options.stopTimeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const late = await Promise.race([child.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.options.output(child.name, `did not stop within ${timeoutMs} ms of SIGTERM; killing it`);
      child.process.kill('SIGKILL');
      await child.exited;
    }
  }

  private async backendHealthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.rootUrl}/health`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false;
    }
  }

  /** Polls `condition` until it holds; fails early when a child died or the stack is being stopped. */
  private async waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (this.failure) {
        const { name, code, signal } = this.failure;
        const tail = this.recentOutput(name).slice(-5).map((line) => `\n  ${name} | ${line}`).join('');
        throw new StackError(`${name} exited (${signal ?? `code ${code}`}) while waiting for ${what}${tail}`);
      }
      if (this.stopping) throw new StackError(`stopped while waiting for ${what}`);
      if (await condition()) return;
      if (Date.now() > deadline) throw new StackError(`timed out after ${this.options.readyTimeoutMs ?? 60_000} ms waiting for ${what}`);
      await sleep(this.options.pollIntervalMs ?? 100);
    }
  }
}

/** True when nothing listens on `port` (on any address). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
