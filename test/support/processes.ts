/**
 * Real ktrdr processes for end-to-end tests: free ports, a clean environment,
 * captured output, bounded waits (never fixed sleeps).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { knownVariableNames } from '../../src/config/inspect.js';
import { portIsFree } from '../../src/stack/local-stack.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Bounds for waits on real processes. They are ceilings, not delays: a wait returns as soon as its condition holds and
 * fails at once when the process it is tied to exits, so generous values cost nothing when things work. Measured on the
 * 2-core machine with eight people building and testing on it: a backend took 38 s to listen (1–2 s when idle).
 */
/** A ktrdr process starting until it answers: Node, its imports, the embedded database. */
export const STARTUP_MS = 120_000;
/** An operation reaching a state the test drives it to (a dummy operation runs for a few seconds when idle). */
export const OPERATION_MS = 90_000;
/** A process stopping after SIGTERM before KtrdrProcess.stop kills it. */
export const STOP_MS = 15_000;

/**
 * A test timeout longer than all the waits inside the test together (plus a margin for the steps between them),
 * so that when something does not happen the wait's own message, not vitest's timeout, says what.
 */
export function budget(...waitsMs: number[]): number {
  return waitsMs.reduce((total, ms) => total + ms, 30_000);
}
/** The `ktrdr` bin as shipped (package.json's `bin`: the bundle of tsc's output, docs/architecture.md §1.1). */
export const CLI = join(REPO_ROOT, (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: { ktrdr: string } }).bin.ktrdr);

/** Fails (never skips) when a compiled entry point is missing; `files` are relative to the repository. */
export function assertBuilt(...files: string[]): void {
  for (const path of [CLI, ...files.map((file) => join(REPO_ROOT, file))]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm test does)`);
  }
}

/**
 * Ports for test processes come from outside the kernel's ephemeral range (the local ports it gives outgoing
 * connections, and `listen(0)`): a port picked there and bound a moment later by a child can meanwhile become the
 * local end of some connection (a backend's health check, another engineer's benchmark), and the child fails with
 * EADDRINUSE. Below the range nothing takes a port unless it binds it on purpose.
 */
const EPHEMERAL_RANGE = readEphemeralRange();
const TEST_PORTS = pickTestPortRange(EPHEMERAL_RANGE);

function readEphemeralRange(): readonly [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low as number, high as number];
  } catch {
    // not Linux: assume its default range
  }
  return [32_768, 60_999];
}

/** [first, last] of the ports tests pick from: 10000 up to the ephemeral range, or above it when too little is below. */
export function pickTestPortRange([low, high]: readonly [number, number]): readonly [number, number] {
  if (low - 10_000 >= 5_000) return [10_000, low - 1];
  if (65_535 - high >= 2_000) return [high + 1, 65_535];
  return [10_000, 65_535]; // an unusual kernel setting: fall back to every unprivileged port
}

/**
 * A free port with `count - 1` free ports after it (for stacks that number their ports), outside the ephemeral range.
 * Random, so that test files running at once (and other people's tests on the machine) rarely try the same one, and
 * checked by binding it.
 */
export async function freePortRun(count: number): Promise<number> {
  const [first, last] = TEST_PORTS;
  for (let attempt = 0; attempt < 100; attempt++) {
    const start = first + Math.floor(Math.random() * (last - first + 2 - count));
    const ports = Array.from({ length: count }, (_, index) => start + index);
    if ((await Promise.all(ports.map((port) => portIsFree(port)))).every(Boolean)) return start;
  }
  throw new Error(`no run of ${count} free ports found in ${first}–${last} after 100 tries`);
}

/** A port that was free a moment ago, outside the ephemeral range (see TEST_PORTS). */
export function freePort(): Promise<number> {
  return freePortRun(1);
}

/** The parent's environment without any ktrdr setting (current or deprecated), plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const known = new Set(knownVariableNames());
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('KTRDR_') && !known.has(name)) env[name] = value;
  }
  return { ...env, KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true', ...extra };
}

export function tempDir(prefix = 'ktrdr-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** How a child process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A child process a wait can be tied to: its exit ends the wait at once instead of at the timeout. */
export interface WatchedProcess {
  readonly name: string;
  readonly exited: Promise<ProcessExit>;
  readonly output: string;
}

/** The last lines of a process's output, enough to see why it stopped without burying the failure. */
export function lastLines(output: string, count = 40): string {
  const lines = output.trimEnd().split('\n');
  return (lines.length > count ? [`… (${lines.length - count} earlier lines)`, ...lines.slice(-count)] : lines).join('\n');
}

/** A wait ended because a process it depended on exited. */
export class ProcessExitedError extends Error {
  constructor(
    readonly processName: string,
    readonly exit: ProcessExit,
    what: string,
    output: string,
  ) {
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    super(`${processName} exited (${how}) while waiting for ${what}; its last output:\n${lastLines(output)}`);
    this.name = 'ProcessExitedError';
  }
}

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Processes the awaited condition depends on: if one exits, the wait rejects at once with its exit and output. */
  readonly whileAlive?: readonly (WatchedProcess | null | undefined)[];
}

/**
 * Polls `probe` until it returns a truthy value. A probe that throws is retried (the thing probed may not be up yet),
 * except for a ProcessExitedError, which ends the wait like the exit of a process in `whileAlive`.
 */
export function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 20_000, intervalMs = 50, whileAlive = [] }: WaitOptions = {},
): Promise<T> {
  const watched = whileAlive.filter((process): process is WatchedProcess => process != null);
  let settled = false;

  const attempt = async (): Promise<{ value: T } | { error: unknown }> => {
    try {
      const value = await probe();
      return value ? { value } : { error: null };
    } catch (error) {
      return { error };
    }
  };

  const polling = (async (): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown = null;
    while (!settled) {
      const outcome = await attempt();
      if ('value' in outcome) return outcome.value;
      if (outcome.error instanceof ProcessExitedError) throw outcome.error;
      lastError = outcome.error ?? lastError;
      if (Date.now() > deadline) {
        const outputs = watched.map((process) => `\n--- last output of ${process.name} ---\n${lastLines(process.output)}`).join('');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}${outputs}`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    throw new Error(`wait for ${what} abandoned`);
  })();

  // The condition may have been met just before the exit (a line printed, then exit 0): probe once more before failing.
  const exits = watched.map((process) =>
    process.exited.then(async (exit): Promise<T> => {
      if (settled) return new Promise<T>(() => {});
      const last = await attempt();
      if ('value' in last) return last.value;
      throw new ProcessExitedError(process.name, exit, what, process.output);
    }),
  );

  return Promise.race([polling, ...exits]).finally(() => {
    settled = true;
  });
}

/** A running `ktrdr …` child with its output captured. */
export class KtrdrProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Resolves on 'close': the process has ended and all its output has been read. */
  readonly exited: Promise<ProcessExit>;

  constructor(
    readonly name: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    cwd: string = REPO_ROOT,
  ) {
    assertBuilt();
    this.child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  waitForOutput(pattern: RegExp, timeoutMs = STARTUP_MS): Promise<RegExpMatchArray> {
    return waitFor(`${this.name} to print ${pattern}`, () => this.output.match(pattern), { timeoutMs, whileAlive: [this] });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = STOP_MS): Promise<ProcessExit> {
    if (this.alive) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Stops every process still alive (for afterEach/afterAll). */
export async function stopAll(processes: Iterable<KtrdrProcess>): Promise<void> {
  await Promise.all([...processes].map((p) => p.stop('SIGKILL', 5_000)));
}
