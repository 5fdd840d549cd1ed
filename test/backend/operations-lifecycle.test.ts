import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeWorkers } from './support/fake-worker.js';
import { startTestBackend, type TestBackend } from './support/harness.js';

let backend: TestBackend;
const worker = fakeWorkers();
const DAY = 24 * 3_600_000;

afterEach(async () => {
  await backend?.stop();
});

async function submit(body: Record<string, unknown> = {}): Promise<string> {
  const response = await backend.call('POST', '/dummy/start', { steps: 10, ...body });
  expect(response.status).toBe(200);
  return response.body.operation_id as string;
}

const show = async (id: string) => (await backend.call('GET', `/operations/${id}`)).body.data;
const idle = () => backend.backend.dispatcher.whenIdle();
const now = () => new Date(backend.clock.now()).toISOString();

function outcome(workerId: string, status: 'completed' | 'failed' | 'cancelled', extra: Record<string, unknown> = {}) {
  return { worker_id: workerId, status, completed_at: now(), ...extra };
}

describe('operations lifecycle', () => {
  it('hands a released operation to the next worker with its latest checkpoint, and removes checkpoints on completion', async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    await backend.register(a);
    const id = await submit();
    await idle();
    expect(a.starts[0]?.operation_id).toBe(id);

    for (const units of [2, 4]) {
      const saved = await backend.as('worker', 'train-a').call('POST', `/operations/${id}/checkpoints`, { worker_id: 'train-a', units, state: { step: units }, reason: 'interval' });
      expect(saved.status).toBe(200);
      expect(saved.body.checkpoint_id).toMatch(/^ckpt_/);
    }
    const files = readdirSync(join(backend.checkpointDir, id));
    expect(files.filter((name) => name.endsWith('.json'))).toHaveLength(2);
    expect(files.some((name) => name.includes('.tmp'))).toBe(false);

    // Worker A stops: it hands the operation back and gets nothing more.
    a.finish();
    const released = await backend.as('worker', 'train-a').call('POST', `/operations/${id}/release`, { worker_id: 'train-a', reason: 'shutdown' });
    expect(released.body).toEqual({ success: true });
    await idle();
    expect(await show(id)).toMatchObject({ status: 'pending', worker_id: null });
    expect(a.starts).toHaveLength(1);

    const b = await worker('train-b');
    await backend.register(b);
    await idle();
    expect(b.starts).toHaveLength(1);
    expect(b.starts[0]).toMatchObject({ operation_id: id, checkpoint: { units: 4, state: { step: 4 } } });

    b.finish();
    const done = await backend.as('worker', 'train-b').call('POST', `/operations/${id}/outcome`, outcome('train-b', 'completed', {
      result_summary: { steps: 10, resumed_from_step: 4 },
      results: { trace: [1, 2, 3] },
    }));
    expect(done.body).toEqual({ success: true });
    expect(await show(id)).toMatchObject({ status: 'completed', worker_id: 'train-b', result_summary: { steps: 10, resumed_from_step: 4 } });
    expect(existsSync(join(backend.checkpointDir, id))).toBe(false);
    const results = await backend.call('GET', `/operations/${id}/results`);
    expect(results.body.data).toEqual({ operation_id: id, status: 'completed', result_summary: { steps: 10, resumed_from_step: 4 }, results: { trace: [1, 2, 3] } });
    expect((await backend.call('GET', '/workers/train-b')).body).toMatchObject({ status: 'available', current_operation_id: null });

    // Idempotent: a repeated (or late) outcome changes nothing.
    const again = await backend.as('worker', 'train-b').call('POST', `/operations/${id}/outcome`, outcome('train-b', 'failed', { error_message: 'late' }));
    expect(again.status).toBe(200);
    expect((await show(id)).status).toBe('completed');
    expect((await backend.as('worker', 'train-b').call('POST', `/operations/${id}/checkpoints`, { worker_id: 'train-b', units: 9, state: {}, reason: 'interval' })).status).toBe(409);
  });

  it('cancels pending operations directly and running ones through their worker; resumes from the latest checkpoint', async () => {
    backend = await startTestBackend();
    const queued = await submit();
    const cancelledPending = await backend.call('DELETE', `/operations/${queued}`);
    expect(cancelledPending.body.data).toMatchObject({ status: 'cancelled' });
    expect((await backend.call('DELETE', `/operations/${queued}`)).status).toBe(409);

    const a = await worker('train-a');
    await backend.register(a);
    const running = await submit();
    await idle();
    await backend.as('worker', 'train-a').call('POST', `/operations/${running}/checkpoints`, { worker_id: 'train-a', units: 3, state: { step: 3 }, reason: 'interval' });
    const cancelled = await backend.call('DELETE', `/operations/${running}`);
    expect(cancelled.body.data.status).toBe('cancelled');
    expect(a.cancels).toEqual([running]);
    // The worker stays busy until it confirms: no new operation is pushed onto a worker still stopping.
    expect((await backend.call('GET', '/workers/train-a')).body.status).toBe('busy');
    a.finish();
    await backend.as('worker', 'train-a').call('POST', `/operations/${running}/outcome`, outcome('train-a', 'cancelled'));
    expect((await show(running)).status).toBe('cancelled');

    const resumed = await backend.call('POST', `/operations/${running}/resume`);
    expect(resumed.body.data).toMatchObject({ status: 'pending', error_message: null, completed_at: null });
    await idle();
    expect(a.starts.map((start) => start.operation_id)).toEqual([running, running]);
    expect(a.starts[1]?.checkpoint).toMatchObject({ units: 3, state: { step: 3 } });
    expect((await backend.call('POST', `/operations/${running}/resume`)).status).toBe(409);

    // A failed operation resumes too.
    a.finish();
    await backend.as('worker', 'train-a').call('POST', `/operations/${running}/outcome`, outcome('train-a', 'failed', { error_message: 'step 5 failed' }));
    expect(await show(running)).toMatchObject({ status: 'failed', error_message: 'step 5 failed' });
    expect((await backend.call('POST', `/operations/${running}/resume`)).body.data.status).toBe('pending');
  });

  it('fails a running operation no healthy worker claims after the orphan timeout, naming the lost worker', async () => {
    backend = await startTestBackend({ orphanTimeoutMs: 60_000, healthCheckFailures: 1 });
    const lost = await worker('training-x');
    const steady = await worker('training-y');
    await backend.register(lost);
    const orphan = await submit();
    await idle();
    await backend.register(steady);
    const kept = await submit();
    await idle();
    expect(await show(kept)).toMatchObject({ status: 'running', worker_id: 'training-y' });

    await lost.stop(); // kill -9
    await backend.backend.healthChecker.task.runOnce();
    expect((await backend.call('GET', '/workers/training-x')).body.status).toBe('temporarily_unavailable');

    const detector = backend.backend.orphanDetector;
    expect(await detector.check()).toEqual([]);
    backend.clock.advance(59_000);
    expect(await detector.check()).toEqual([]);
    expect((await show(orphan)).status).toBe('running');
    backend.clock.advance(1_000);
    expect(await detector.check()).toEqual([orphan]);
    const failed = await show(orphan);
    expect(failed.status).toBe('failed');
    expect(failed.error_message).toBe('worker training-x lost: no healthy registered worker claims this operation for 60s');
    expect((await show(kept)).status).toBe('running');

    // Resume on another worker continues from the latest checkpoint.
    steady.finish();
    await backend.as('worker', 'training-y').call('POST', `/operations/${kept}/outcome`, outcome('training-y', 'completed'));
    await backend.call('POST', `/operations/${orphan}/resume`);
    await idle();
    expect(steady.starts.at(-1)?.operation_id).toBe(orphan);
  });

  it('does not fail an operation whose worker claims it again before the timeout', async () => {
    backend = await startTestBackend({ orphanTimeoutMs: 60_000, healthCheckFailures: 1 });
    const a = await worker('train-a');
    await backend.register(a);
    const id = await submit();
    await idle();
    a.health = 'error';
    await backend.backend.healthChecker.task.runOnce();
    await backend.backend.orphanDetector.check();
    backend.clock.advance(30_000);
    a.health = 'ok';
    await backend.backend.healthChecker.task.runOnce();
    await backend.backend.orphanDetector.check();
    backend.clock.advance(60_000);
    expect(await backend.backend.orphanDetector.check()).toEqual([]);
    expect((await show(id)).status).toBe('running');
  });

  it("reconciles what a re-registering worker reports: missed outcomes and its current operation", async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    await backend.register(a);
    const finishedWhileAway = await submit();
    await idle();
    const runningNow = await submit();
    expect((await show(runningNow)).status).toBe('pending');

    // The backend forgot the worker (e.g. it was removed); the worker comes back and tells what happened.
    await backend.as('worker', 'train-a').call('DELETE', '/workers/train-a');
    a.current = runningNow;
    const registered = await backend.register(a, {
      current_operation_id: runningNow,
      completed_operations: [{ operation_id: finishedWhileAway, status: 'COMPLETED', result: { steps: 10, resumed_from_step: null }, completed_at: now() }],
    });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ status: 'busy', current_operation_id: runningNow });
    expect(await show(finishedWhileAway)).toMatchObject({ status: 'completed', result_summary: { steps: 10, resumed_from_step: null } });
    expect(await show(runningNow)).toMatchObject({ status: 'running', worker_id: 'train-a' });

    // A worker still running an operation the backend cancelled is told to stop.
    await backend.call('DELETE', `/operations/${runningNow}`);
    await backend.register(a, { current_operation_id: runningNow });
    expect(a.cancels.filter((id) => id === runningNow).length).toBeGreaterThanOrEqual(2);
  });

  it('deletes terminal operations older than the retention period and checkpoints older than their maximum age', async () => {
    backend = await startTestBackend({ retentionDays: 7, checkpointMaxAgeDays: 3 });
    const a = await worker('train-a');
    await backend.register(a);
    const old = await submit();
    await idle();
    a.finish();
    await backend.as('worker', 'train-a').call('POST', `/operations/${old}/outcome`, outcome('train-a', 'completed'));
    const failedOld = await submit();
    await idle();
    await backend.as('worker', 'train-a').call('POST', `/operations/${failedOld}/checkpoints`, { worker_id: 'train-a', units: 1, state: {}, reason: 'interval' });
    a.finish();
    await backend.as('worker', 'train-a').call('POST', `/operations/${failedOld}/outcome`, outcome('train-a', 'failed', { error_message: 'boom' }));
    const stillPending = await backend.call('POST', '/dummy/start', { worker_type: 'backtesting' });

    backend.clock.advance(4 * DAY);
    const recent = await submit();
    await idle();
    await backend.as('worker', 'train-a').call('POST', `/operations/${recent}/checkpoints`, { worker_id: 'train-a', units: 1, state: {}, reason: 'interval' });
    let report = await backend.backend.retention.cleanUp();
    expect(report).toEqual({ operationsDeleted: 0, checkpointsDeleted: 1 }); // failedOld's checkpoint is 4 days old
    expect(existsSync(join(backend.checkpointDir, failedOld))).toBe(true); // the directory, not the file
    expect(readdirSync(join(backend.checkpointDir, failedOld))).toEqual([]);

    backend.clock.advance(3 * DAY + 1);
    report = await backend.backend.retention.cleanUp();
    expect(report.operationsDeleted).toBe(2);
    expect((await backend.call('GET', `/operations/${old}`)).status).toBe(404);
    expect((await backend.call('GET', `/operations/${failedOld}`)).status).toBe(404);
    expect((await show(stillPending.body.operation_id)).status).toBe('pending');
    expect((await show(recent)).status).toBe('running');
  });

  it('keeps at most KTRDR_OPS_MAX_OPERATIONS: the oldest terminal go first, 429 when all are active', async () => {
    backend = await startTestBackend({ maxOperations: 2 });
    const first = await submit();
    backend.clock.advance(1_000);
    const second = await submit();
    const refused = await backend.call('POST', '/dummy/start', {});
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'TOO_MANY_OPERATIONS' });
    expect(refused.body.error.message).toMatch(/all 2 kept operations are active \(KTRDR_OPS_MAX_OPERATIONS=2\)/);
    expect((await backend.call('GET', '/operations')).body.total_count).toBe(2);

    await backend.call('DELETE', `/operations/${first}`);
    const third = await backend.call('POST', '/dummy/start', {});
    expect(third.status).toBe(200);
    expect((await backend.call('GET', `/operations/${first}`)).status).toBe(404);
    const ids = (await backend.call('GET', '/operations')).body.data.map((op: { operation_id: string }) => op.operation_id);
    expect(ids.sort()).toEqual([second, third.body.operation_id].sort());
  });
});
