/** Runs the compiled `ktrdr` as a real child process (asynchronously, so an in-process stub server keeps answering). */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { knownVariableNames } from '../../../src/config/inspect.js';
import { assertBuilt, CLI } from '../../support/processes.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The `ktrdr` bin as shipped (test/support/processes.ts reads it from package.json). */
export const BIN = CLI;

/** An empty working directory, so no .env.local leaks in. */
let emptyDir: string | null = null;
function emptyWorkingDir(): string {
  emptyDir ??= mkdtempSync(join(tmpdir(), 'ktrdr-cli-test-'));
  return emptyDir;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The caller's environment without any KTRDR_* variable or deprecated name that could leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const known = new Set(knownVariableNames());
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('KTRDR_') && !known.has(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/** A CLI command's ceiling: most take a second, but a busy 2-core machine can make Node's start alone take many. */
export const CLI_MS = 60_000;

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: options.cwd ?? emptyWorkingDir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timeoutMs = options.timeoutMs ?? CLI_MS;
    const timer = setTimeout(() => {
      stderr += `\n[runCli: ktrdr ${args.join(' ')} killed after ${timeoutMs} ms]\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A running `ktrdr` to interact with (signals): its output so far, a wait on it, and its end. */
export interface CliProcess {
  readonly output: () => CliResult;
  /** Resolves once stdout contains `text`; rejects at once if the process exits first, or after `timeoutMs`. */
  readonly waitForStdout: (text: string, timeoutMs?: number) => Promise<void>;
  readonly signal: (signal: NodeJS.Signals) => void;
  readonly exited: Promise<CliResult>;
}

export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): CliProcess {
  assertBuilt();
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd: emptyWorkingDir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let code: number | null | undefined;
  const watchers = new Set<() => void>();
  const notify = () => watchers.forEach((watcher) => watcher());
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), notify()));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), notify()));
  const timer = setTimeout(() => child.kill('SIGKILL'), CLI_MS);
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      code = exitCode;
      notify();
      resolve({ code: exitCode, stdout, stderr });
    });
  });
  return {
    output: () => ({ code: code ?? null, stdout, stderr }),
    waitForStdout: (text, timeoutMs = CLI_MS) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (stdout.includes(text)) done(null);
          else if (code !== undefined) done(new Error(`ktrdr ${args.join(' ')} exited (${code}) before printing '${text}'; stdout: ${stdout}; stderr: ${stderr}`));
        };
        const limit = setTimeout(() => done(new Error(`ktrdr ${args.join(' ')} did not print '${text}' within ${timeoutMs} ms; stdout: ${stdout}`)), timeoutMs);
        const done = (error: Error | null) => {
          clearTimeout(limit);
          watchers.delete(check);
          if (error) reject(error);
          else resolve();
        };
        watchers.add(check);
        check();
      }),
    signal: (signal) => child.kill(signal),
    exited,
  };
}
