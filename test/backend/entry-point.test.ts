import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { seedPgliteDir } from '../support/db-template.js';
import { budget, cleanEnv, freePort, KtrdrProcess, STARTUP_MS, STOP_MS, stopAll, tempDir, waitFor } from '../support/processes.js';

const started: KtrdrProcess[] = [];
afterEach(() => stopAll(started.splice(0)));

/** A backend on a copy of the migrated template database (initdb would be most of its start). */
async function backendProcess(env: Record<string, string>): Promise<KtrdrProcess> {
  const dir = tempDir('ktrdr-backend-entry-');
  await seedPgliteDir(`${dir}/db`);
  const child = new KtrdrProcess('backend', ['backend'], cleanEnv({ KTRDR_DB_DIR: `${dir}/db`, KTRDR_CHECKPOINT_DIR: `${dir}/ckpt`, ...env }), dir);
  started.push(child);
  return child;
}

describe('ktrdr backend', () => {
  it('exits 1 with the CONFIGURATION ERROR block before binding any port', { timeout: budget(STARTUP_MS) }, async () => {
    const port = await freePort();
    const child = await backendProcess({ KTRDR_API_PORT: String(port), KTRDR_OPS_CACHE_TTL: '-1' });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr).toContain('CONFIGURATION ERROR');
    expect(child.stderr).toMatch(/KTRDR_OPS_CACHE_TTL: .*'-1'/);
    // The port was never bound: we can bind it ourselves.
    await new Promise<void>((resolve, reject) => {
      const server = createServer().once('error', reject);
      server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
    });
  });

  it('listens on KTRDR_API_HOST:KTRDR_API_PORT, logs its URL once, and exits 0 on SIGTERM', { timeout: budget(STARTUP_MS, STARTUP_MS, STOP_MS) }, async () => {
    const port = await freePort();
    const child = await backendProcess({ KTRDR_API_HOST: '127.0.0.1', KTRDR_API_PORT: String(port), KTRDR_LOG_FORMAT: 'json' });
    await child.waitForOutput(/backend listening on/);
    const health = await waitFor('GET /health', async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      return response.ok ? ((await response.json()) as { status: string }) : null;
    }, { timeoutMs: STARTUP_MS, whileAlive: [child] });
    expect(health.status).toBe('ok');
    const urlLines = child.stdout.split('\n').filter((line) => line.includes(`http://127.0.0.1:${port}`));
    expect(urlLines).toHaveLength(1);
    expect(JSON.parse(urlLines[0] as string)).toMatchObject({ name: 'backend' });
    const { code } = await child.stop('SIGTERM');
    expect(code).toBe(0);
    expect(child.stdout).toContain('backend stopped');
  });
});
