/** Runs the compiled `ktrdr` as a real child process (asynchronously, so an in-process stub server keeps answering). */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { knownVariableNames } from '../../../src/config/inspect.js';
import { assertBuilt } from '../../support/processes.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

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
