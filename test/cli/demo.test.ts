/** `npm run demo` (its compiled entry point) end to end, on free ports so it never meets another stack. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { portIsFree } from '../../src/stack/local-stack.js';
import { REPO_ROOT, cleanEnv, type CliResult } from './helpers/run-cli.js';

const DEMO = join(REPO_ROOT, 'dist/src/demo/main.js');
const BUILT = existsSync(DEMO) && existsSync(join(REPO_ROOT, 'dist/src/backend/main.js')) && existsSync(join(REPO_ROOT, 'dist/src/worker/main.js'));

async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * 40_000);
    const ports = Array.from({ length: count }, (_, index) => first + index);
    if ((await Promise.all(ports.map((port) => portIsFree(port)))).every(Boolean)) return first;
  }
  throw new Error(`no run of ${count} free ports found`);
}

function runDemo(env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!BUILT)('npm run demo', () => {
  let blocker: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = null;
  });

  it('runs a dummy operation to completion with a progress bar, prints the result and the workers, exits 0', { timeout: 120_000 }, async () => {
    const apiPort = await freePortRun(1);
    let workerPort = await freePortRun(2);
    while (Math.abs(workerPort - apiPort) < 2) workerPort = await freePortRun(2);
    const result = await runDemo(cleanEnv({ KTRDR_API_PORT: String(apiPort), KTRDR_WORKER_PORT: String(workerPort) }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\[#{30}\] 100% completed \| step 20\/20/m);
    expect(result.stdout).toMatch(/^result:\s+steps=20 resumed_from_step=-$/m);
    expect(result.stdout).toMatch(new RegExp(`^training-\\S+\\s+training\\s+available\\s+http://127\\.0\\.0\\.1:${workerPort}\\s`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^backtesting-\\S+\\s+backtesting\\s+available\\s+http://127\\.0\\.0\\.1:${workerPort + 1}\\s`, 'm'));
    expect(result.stdout.trim().split('\n').at(-1)).toBe('Demo completed.');
  });

  it('fails with a message naming a taken port and its variable', async () => {
    const apiPort = await freePortRun(1);
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(apiPort, '127.0.0.1', resolve));
    const result = await runDemo(cleanEnv({ KTRDR_API_PORT: String(apiPort), KTRDR_WORKER_PORT: String(await freePortRun(2)) }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`demo failed: port ${apiPort} (backend) is already in use: stop what is using it or set KTRDR_API_PORT to a free port`);
  });
});
