/**
 * Real ktrdr processes for end-to-end tests: free ports, a clean environment,
 * captured output, bounded waits (never fixed sleeps).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { knownVariableNames } from '../../src/config/inspect.js';
import { portIsFree } from '../../src/stack/local-stack.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');

/** Fails (never skips) when a compiled entry point is missing; `files` are relative to the repository. */
export function assertBuilt(...files: string[]): void {
  for (const path of [CLI, ...files.map((file) => join(REPO_ROOT, file))]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm test does)`);
  }
}

/** A free port with `count - 1` free ports after it (for stacks that number their ports). */
export async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * 40_000);
    const ports = Array.from({ length: count }, (_, index) => first + index);
    if ((await Promise.all(ports.map((port) => portIsFree(port)))).every(Boolean)) return first;
  }
  throw new Error(`no run of ${count} free ports found`);
}

/** A port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
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

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 20_000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A running `ktrdr …` child with its output captured. */
export class KtrdrProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

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
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return waitFor(`${this.name} to print ${pattern}\n--- output so far ---\n${this.output}`, () => {
      const match = this.output.match(pattern);
      if (!match && !this.alive) throw new Error(`${this.name} exited before printing ${pattern}:\n${this.output}`);
      return match;
    }, { timeoutMs });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
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
