/**
 * `ktrdr worker training` as a real child process (the compiled CLI in dist/;
 * `npm test` builds it first) against a fake backend on an ephemeral port.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WorkerHealth, WorkerOperationStatus } from '../../src/api/contract.js';
import { HttpClient } from '../../src/client/http.js';
import { budget, freePort, OPERATION_MS, STARTUP_MS, STOP_MS, waitFor } from '../support/processes.js';
import { tokens } from './harness.js';
import { useWorkerProcesses } from './worker-processes.js';

const { fakeBackend, worker } = useWorkerProcesses();

const LISTENING = /listening on port (\d+), endpoint (\S+)/;
const REGISTERED = /registered with the backend/;

describe('ktrdr worker training (child process)', () => {
  it('exits 1 before binding any port when KTRDR_WORKER_PORT is not an integer, naming the variable and the value', { timeout: budget(STARTUP_MS) }, async () => {
    const child = worker({ KTRDR_WORKER_PORT: 'abc', KTRDR_API_CLIENT_BASE_URL: 'http://127.0.0.1:9/api/v1' });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr).toContain('CONFIGURATION ERROR');
    expect(child.stderr).toMatch(/KTRDR_WORKER_PORT: 'abc' is not a valid integer/);
    expect(child.output).not.toMatch(LISTENING);
  });

  it('uses the deprecated WORKER_PORT with a warning, logs one listening and one registered line, and deregisters on SIGTERM (exit 0)', { timeout: budget(STARTUP_MS, STOP_MS) }, async () => {
    const backend = await fakeBackend();
    const port = await freePort();
    const child = worker({ WORKER_PORT: String(port), KTRDR_WORKER_ID: 'training-cli-1', KTRDR_API_CLIENT_BASE_URL: backend.baseUrl });

    await child.waitForOutput(REGISTERED);
    expect(child.stderr).toContain('WORKER_PORT is deprecated, use KTRDR_WORKER_PORT');
    const listening = child.output.split('\n').filter((line) => LISTENING.test(line));
    expect(listening).toHaveLength(1);
    expect(listening[0]).toContain('training-cli-1');
    expect(listening[0]).toContain('(training)');
    expect(listening[0]).toContain(`listening on port ${port}, endpoint http://127.0.0.1:${port}`);
    expect(child.output.split('\n').filter((line) => REGISTERED.test(line))).toHaveLength(1);
    expect(backend.registrations).toEqual([
      expect.objectContaining({ worker_id: 'training-cli-1', worker_type: 'training', endpoint_url: `http://127.0.0.1:${port}` }),
    ]);

    const health = await new HttpClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5000 }).request('GET', '/health', WorkerHealth);
    expect(health).toMatchObject({ worker_id: 'training-cli-1', worker_status: 'idle' });

    const { code } = await child.stop('SIGTERM');
    expect(code).toBe(0);
    expect(backend.deregistrations).toEqual(['training-cli-1']);
  });

  it('on SIGTERM while busy: checkpoints (shutdown), hands the operation back, deregisters, exits 0', {
    timeout: budget(STARTUP_MS, OPERATION_MS, STOP_MS),
  }, async () => {
    const backend = await fakeBackend();
    const port = await freePort();
    const child = worker({ KTRDR_WORKER_PORT: String(port), KTRDR_API_CLIENT_BASE_URL: backend.baseUrl });
    await child.waitForOutput(REGISTERED);

    const client = new HttpClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5000, token: () => tokens.issue('test-backend', 'backend') });
    await client.request('POST', '/operations/start', z.object({ success: z.literal(true) }), {
      body: { operation_id: 'op-sigterm', operation_type: 'dummy', params: { steps: 100_000, step_delay_ms: 5 }, checkpoint: null },
    });
    await waitFor('a few steps', async () => {
      const status = await client.request('GET', '/operations/op-sigterm/status', WorkerOperationStatus);
      return status.progress.steps_completed >= 3;
    }, { timeoutMs: OPERATION_MS, whileAlive: [child] });

    const { code } = await child.stop('SIGTERM');
    expect(code).toBe(0);
    const shutdown = backend.checkpoints.filter((checkpoint) => checkpoint.body.reason === 'shutdown');
    expect(shutdown.map((checkpoint) => checkpoint.operationId)).toEqual(['op-sigterm']);
    expect(shutdown[0]?.body.units).toBeGreaterThanOrEqual(3);
    expect(backend.releases.map((release) => [release.operationId, release.body.reason])).toEqual([['op-sigterm', 'shutdown']]);
    expect(backend.outcomes).toEqual([]);
    expect(backend.deregistrations).toHaveLength(1);
  });
});
