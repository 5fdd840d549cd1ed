/**
 * `ktrdr worker` as a real child process: its default id is stable (`<type>-<host>-<port>`), KTRDR_WORKER_HOST is
 * the interface it binds, and a backend that refuses its credentials (401) makes it exit 1 with a clear message
 * instead of retrying forever.
 */
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { budget, freePort, STARTUP_MS, STOP_MS } from '../support/processes.js';
import { useWorkerProcesses } from './worker-processes.js';

const { fakeBackend, worker } = useWorkerProcesses();

/** Whether something accepts a TCP connection at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const REGISTERED = /registered with the backend/;

describe('worker identity and binding', () => {
  it('has the same default id on every start: <type>-<host>-<port>', { timeout: budget(STARTUP_MS, STOP_MS, STARTUP_MS, STOP_MS) }, async () => {
    const backend = await fakeBackend();
    const port = await freePort();
    const safeHost = hostname().toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'host';
    for (let start = 0; start < 2; start++) {
      const child = worker({ KTRDR_WORKER_PORT: String(port), KTRDR_API_CLIENT_BASE_URL: backend.baseUrl });
      await child.waitForOutput(REGISTERED);
      expect((await child.stop('SIGTERM')).code).toBe(0);
    }
    const ids = backend.registrations.map((registration) => registration.worker_id);
    expect(ids).toEqual([`training-${safeHost}-${port}`, `training-${safeHost}-${port}`]);
  });

  it('binds KTRDR_WORKER_HOST only', { timeout: budget(STARTUP_MS, STOP_MS) }, async () => {
    const backend = await fakeBackend();
    const port = await freePort();
    // 127.0.0.2 is loopback too on Linux, but another address: a worker bound to it is not at 127.0.0.1.
    const child = worker({
      KTRDR_WORKER_PORT: String(port),
      KTRDR_WORKER_HOST: '127.0.0.2',
      KTRDR_WORKER_ENDPOINT_URL: `http://127.0.0.2:${port}`,
      KTRDR_API_CLIENT_BASE_URL: backend.baseUrl,
    });
    await child.waitForOutput(REGISTERED);
    expect(await accepts('127.0.0.2', port)).toBe(true);
    expect(await accepts('127.0.0.1', port)).toBe(false);
  });

  it('exits 1 with a clear message when the backend refuses its credentials (401), without retrying forever', { timeout: budget(STARTUP_MS, STOP_MS) }, async () => {
    const backend = await fakeBackend();
    const port = await freePort();
    const child = worker({
      KTRDR_WORKER_PORT: String(port),
      KTRDR_AUTH_JWT_SECRET: 'another-secret-the-backend-does-not-know',
      KTRDR_API_CLIENT_BASE_URL: backend.baseUrl,
      // Many retries, long heartbeats: only the refusal can end the process in time.
      KTRDR_API_CLIENT_MAX_RETRIES: '100',
    });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr).toMatch(/error: the backend at \S+ refused to register worker training-\S+ \(401\)/);
    expect(child.stderr).toContain('check that KTRDR_AUTH_JWT_SECRET is the same for the worker and the backend');
    expect(backend.registrations).toEqual([]);
  });
});
