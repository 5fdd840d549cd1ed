/**
 * The seed's four end-to-end scenarios, through real processes:
 * 1. a training worker starts and is listed with worker_type "training";
 * 2. KTRDR_WORKER_PORT=abc exits 1 naming the variable;
 * 3. with no port set the worker listens on 5003 and registers an endpoint on 5003;
 * 4. WORKER_PORT=<port> is used and the deprecation warning is printed.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budget, freePort, KtrdrProcess, OPERATION_MS, STARTUP_MS, STOP_MS, waitFor } from '../support/processes.js';
import { Cluster } from './cluster.js';

const cluster = new Cluster();

beforeAll(async () => {
  await cluster.startBackend();
});

afterAll(async () => {
  await cluster.stop();
});

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

describe('seed scenarios', () => {
  it('1. a training worker starts and registers with the backend', { timeout: budget(STARTUP_MS, STOP_MS, OPERATION_MS) }, async () => {
    const { id, port, process } = await cluster.startWorker('training');
    const record = await cluster.waitForWorker(id);
    expect(record.worker_type).toBe('training');
    expect(record.endpoint_url).toBe(`http://127.0.0.1:${port}`);
    expect(record.status).toBe('available');
    // One line when listening (id, type, port, endpoint), one when registered.
    await process.waitForOutput(new RegExp(`${id}.*training.*${port}.*http://127\\.0\\.0\\.1:${port}`));
    await process.waitForOutput(/registered/i);
    expect(await process.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    // A stopping worker deregisters.
    await waitFor('deregistration', async () => !(await cluster.workers()).some((w) => w.worker_id === id), {
      timeoutMs: OPERATION_MS,
      whileAlive: [cluster.backend],
    });
  });

  it('2. an invalid port fails fast, naming the variable and the value, before binding anything', async () => {
    const worker = new KtrdrProcess('bad-port', ['worker', 'training'], cluster.env({ KTRDR_WORKER_PORT: 'abc' }));
    const exit = await worker.exited;
    expect(exit.code).toBe(1);
    expect(worker.stderr).toContain('CONFIGURATION ERROR');
    expect(worker.stderr).toContain("KTRDR_WORKER_PORT: 'abc' is not a valid integer");
  });

  it('3. with no port set, the worker listens on 5003 and registers an endpoint on 5003', { timeout: budget(STARTUP_MS, STOP_MS) }, async () => {
    if (!(await portIsFree(5003))) throw new Error('port 5003 is taken on this machine: free it to run the default-port scenario');
    const worker = new KtrdrProcess('default-port', ['worker', 'training'], cluster.env({ KTRDR_WORKER_ID: 'default-port-worker' }));
    cluster.processes.push(worker);
    const record = await cluster.waitForWorker('default-port-worker', () => true, STARTUP_MS, worker);
    expect(record.endpoint_url).toBe('http://127.0.0.1:5003');
    expect((await fetch('http://127.0.0.1:5003/health')).ok).toBe(true);
    expect(await worker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('4. the deprecated WORKER_PORT is used, with a deprecation warning', { timeout: budget(STARTUP_MS, STOP_MS) }, async () => {
    const port = await freePort();
    const worker = new KtrdrProcess('deprecated-port', ['worker', 'backtesting'], cluster.env({ WORKER_PORT: String(port), KTRDR_WORKER_ID: 'deprecated-port-worker' }));
    cluster.processes.push(worker);
    const record = await cluster.waitForWorker('deprecated-port-worker', () => true, STARTUP_MS, worker);
    expect(record.worker_type).toBe('backtesting');
    expect(record.endpoint_url).toBe(`http://127.0.0.1:${port}`);
    expect(worker.stderr).toContain('WORKER_PORT is deprecated, use KTRDR_WORKER_PORT');
    expect(worker.stderr.match(/WORKER_PORT is deprecated/g)).toHaveLength(1);
    expect(await worker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
