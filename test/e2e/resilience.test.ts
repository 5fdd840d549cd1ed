/**
 * What must never lose work, through real processes: a worker killed with
 * kill -9, a worker stopped with SIGTERM mid-operation, a backend restarted
 * while a worker finishes, and a worker that stops answering health checks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { budget, freePort, OPERATION_MS, STARTUP_MS, STOP_MS, waitFor } from '../support/processes.js';
import { Cluster } from './cluster.js';

let cluster: Cluster;

afterEach(async () => {
  await cluster.stop();
});

const running = (op: { status: string; progress: { steps_completed: number } }, atLeast: number) =>
  op.status === 'running' && op.progress.steps_completed >= atLeast;

describe('kill -9 of a busy worker', () => {
  it('fails the operation as an orphan naming the worker, and resume continues from the latest checkpoint elsewhere', {
    timeout: budget(STARTUP_MS, STARTUP_MS, OPERATION_MS, OPERATION_MS, STARTUP_MS, OPERATION_MS),
  }, async () => {
    cluster = new Cluster({ KTRDR_CHECKPOINT_EPOCH_INTERVAL: '2' });
    await cluster.startBackend();
    const first = await cluster.startWorker('training');
    const opId = await cluster.startDummy({ steps: 40, step_delay_ms: 100 });
    await cluster.waitForOperation(opId, (op) => running(op, 5), 'to pass step 5');

    first.process.child.kill('SIGKILL');
    // How soon is test/backend/operations-lifecycle.test.ts's concern (injected clock); here only that it happens.
    const failed = await cluster.waitForOperation(opId, (op) => op.status === 'failed', 'to fail as an orphan');
    expect(failed.error_message).toContain(first.id);

    const second = await cluster.startWorker('training');
    await cluster.send('POST', `/operations/${opId}/resume`);
    const done = await cluster.waitForOperation(opId, (op) => op.status === 'completed', 'to complete after resume');
    expect(done.worker_id).toBe(second.id);
    expect(done.result_summary?.steps).toBe(40);
    expect(done.result_summary?.resumed_from_step).toBeGreaterThan(0);
    expect(done.result_summary?.resumed_from_step).toBeLessThan(40);
  });
});

describe('SIGTERM of a busy worker', () => {
  it('checkpoints, hands the operation back, and another worker resumes it (nothing re-run from step 0)', {
    timeout: budget(STARTUP_MS, STARTUP_MS, OPERATION_MS, STOP_MS, STARTUP_MS, OPERATION_MS),
  }, async () => {
    cluster = new Cluster({ KTRDR_CHECKPOINT_EPOCH_INTERVAL: '1000' });
    await cluster.startBackend();
    const first = await cluster.startWorker('training');
    const opId = await cluster.startDummy({ steps: 30, step_delay_ms: 100 });
    await cluster.waitForOperation(opId, (op) => running(op, 4), 'to pass step 4');

    // The interval is too long to have checkpointed: only the shutdown checkpoint can carry progress over.
    expect(await first.process.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const handedBack = await cluster.operation(opId);
    expect(handedBack.status).toBe('pending');
    expect((await cluster.workers()).map((w) => w.worker_id)).not.toContain(first.id);

    const second = await cluster.startWorker('training');
    const done = await cluster.waitForOperation(opId, (op) => op.status === 'completed', 'to complete on the second worker');
    expect(done.worker_id).toBe(second.id);
    expect(done.result_summary?.resumed_from_step).toBeGreaterThanOrEqual(4);
  });
});

describe('backend restart', () => {
  it('an operation that finishes while the backend is down ends completed with its result', {
    timeout: budget(STARTUP_MS, STARTUP_MS, OPERATION_MS, STOP_MS, OPERATION_MS, STARTUP_MS, OPERATION_MS, STARTUP_MS),
  }, async () => {
    cluster = new Cluster();
    await cluster.startBackend();
    const worker = await cluster.startWorker('training');
    const opId = await cluster.startDummy({ steps: 25, step_delay_ms: 100 });
    await cluster.waitForOperation(opId, (op) => running(op, 1), 'to start');

    expect(await cluster.backend?.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    // The operation finishes while nobody listens: the worker says so on its own open /health.
    await waitFor('the worker to finish the operation with the backend down', async () => {
      const health = (await (await fetch(`http://127.0.0.1:${worker.port}/health`)).json()) as { worker_status: string };
      return health.worker_status === 'idle';
    }, { timeoutMs: OPERATION_MS, whileAlive: [worker.process] });
    await cluster.startBackend();

    const done = await cluster.waitForOperation(opId, (op) => op.status === 'completed', 'to be completed after the restart');
    expect(done.result_summary).toEqual({ steps: 25, resumed_from_step: null });
    expect(done.worker_id).toBe(worker.id);
    await cluster.waitForWorker(worker.id, (w) => w.status === 'available');
  });
});

describe('health checks', () => {
  it('take an unresponsive worker to temporarily_unavailable, then remove it', {
    timeout: budget(STARTUP_MS, STARTUP_MS, STARTUP_MS, OPERATION_MS),
  }, async () => {
    // A short timeout to notice the stopped worker soon, and a removal threshold long enough that a poll of a busy
    // backend sees the temporarily_unavailable state before the removal.
    cluster = new Cluster({ KTRDR_WORKER_HEALTH_CHECK_TIMEOUT: '1', KTRDR_WORKER_REMOVAL_THRESHOLD: '12' });
    await cluster.startBackend();
    const worker = await cluster.startWorker('backtesting');
    worker.process.child.kill('SIGSTOP');
    try {
      await cluster.waitForWorker(worker.id, (w) => w.status === 'temporarily_unavailable');
      const record = (await cluster.workers()).find((w) => w.worker_id === worker.id);
      expect(record?.health_check_failures).toBeGreaterThanOrEqual(2);
      await waitFor('removal', async () => !(await cluster.workers()).some((w) => w.worker_id === worker.id), {
        timeoutMs: OPERATION_MS,
        whileAlive: [cluster.backend],
      });
    } finally {
      worker.process.child.kill('SIGCONT');
    }
  });
});

describe('compatibility', () => {
  it('accepts a registration body exactly as the earlier Python workers send it', async () => {
    cluster = new Cluster();
    await cluster.startBackend();
    // docs/architecture.md §4's example, but for the host: tests only ever send traffic to loopback.
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const record = (await cluster.sendAsWorker('backtest-worker-1', 'POST', '/workers/register', {
      worker_id: 'backtest-worker-1',
      worker_type: 'backtesting',
      endpoint_url: endpoint,
      capabilities: { cores: 4, memory_gb: 8 },
      current_operation_id: null,
      completed_operations: [],
    })) as Record<string, unknown>;
    expect(record).toMatchObject({
      worker_id: 'backtest-worker-1',
      worker_type: 'backtesting',
      endpoint_url: endpoint,
      capabilities: { cores: 4, memory_gb: 8 },
      current_operation_id: null,
    });
  });
});
