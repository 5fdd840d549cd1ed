/**
 * Who runs an operation, when requests cross: cancels that did not reach the
 * worker, start requests that time out, stale health answers, re-registering
 * workers reporting someone else's operation, outcomes arriving after the
 * orphan detector gave up, and the progress cache of operations that moved.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerRegistry } from '../../src/backend/services/worker-registry.js';
import { fakeWorkers } from './support/fake-worker.js';
import { eventually, startTestBackend, type TestBackend } from './support/harness.js';

let backend: TestBackend;
const worker = fakeWorkers();

afterEach(async () => {
  await backend?.stop();
});

async function submit(): Promise<string> {
  const response = await backend.call('POST', '/dummy/start', { steps: 10 });
  expect(response.status).toBe(200);
  return response.body.operation_id as string;
}

const show = async (id: string) => (await backend.call('GET', `/operations/${id}`)).body.data;
const workerRecord = async (id: string) => (await backend.call('GET', `/workers/${id}`)).body;
const dispatch = () => backend.backend.dispatcher.whenIdle();
const now = () => new Date(backend.clock.now()).toISOString();

describe('operations that are not (or no longer) the worker’s to run', () => {
  it('an operation claimed by a backend that died before sending the start is requeued, started once, and not failed as an orphan', async () => {
    // Reservation timeout: 2 × workerRequestTimeoutMs + healthCheckTimeoutMs = 6 s.
    backend = await startTestBackend({ workerRequestTimeoutMs: 2_000, healthCheckTimeoutMs: 2_000, orphanTimeoutMs: 60_000 });
    const id = await submit();
    await dispatch(); // no worker yet: pending
    // The dead backend: its own registry over the shared store, which claims and never sends the start.
    const dead = new WorkerRegistry(backend.store.workers, backend.clock, { failureThreshold: 3, retryAfterSeconds: 5, isLiveAt: async () => false });
    const a = await worker('train-a');
    await dead.register({ workerId: 'train-a', workerType: 'training', endpointUrl: a.url });
    expect(await dead.claim(['training'], 1)).toHaveLength(1);
    expect(await show(id)).toMatchObject({ status: 'running', worker_id: 'train-a' });

    backend.clock.advance(7_000);
    await backend.backend.healthChecker.task.runOnce();
    // Requeued and, woken through the dispatch channel, started again on the (only) worker.
    await eventually('the operation to start again', async () => a.starts.length === 1);
    await dispatch();
    expect(a.starts.map((start) => start.operation_id)).toEqual([id]);
    expect(await show(id)).toMatchObject({ status: 'running', worker_id: 'train-a' });
    expect((await show(id)).metadata.queued_at).toBe(now());

    backend.clock.advance(61_000);
    await backend.backend.healthChecker.task.runOnce();
    expect(await backend.backend.orphanDetector.check()).toEqual([]);
    backend.clock.advance(61_000);
    expect(await backend.backend.orphanDetector.check()).toEqual([]);
    expect(a.starts).toHaveLength(1);
  });

  it('a health check tells a worker to cancel an operation cancelled while the cancel could not reach it, and takes no claim from it', async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    await backend.register(a);
    const id = await submit();
    await dispatch();
    a.cancelBehaviour = 'error'; // the worker cannot be told now
    expect((await backend.call('DELETE', `/operations/${id}`)).body.data.status).toBe('cancelled');
    expect(a.current).toBe(id);

    a.cancelBehaviour = 'ok';
    await backend.backend.healthChecker.task.runOnce();
    expect(a.cancels).toEqual([id, id]);
    expect(await workerRecord('train-a')).toMatchObject({ status: 'busy', current_operation_id: null });
  });

  it('a health check cancels an operation the worker runs but another worker owns, so the owner’s loss is still noticed', async () => {
    backend = await startTestBackend({ healthCheckFailures: 1, orphanTimeoutMs: 60_000 });
    const b = await worker('train-b');
    await backend.register(b);
    const id = await submit();
    await dispatch();
    expect(await show(id)).toMatchObject({ status: 'running', worker_id: 'train-b' });
    const a = await worker('train-a');
    await backend.register(a);
    a.current = id; // e.g. a start that was requeued after the worker got it late

    b.health = 'error'; // the owner is lost
    await backend.backend.healthChecker.task.runOnce();
    expect(a.cancels).toEqual([id]);
    expect(b.cancels).toEqual([]);
    expect(await workerRecord('train-a')).toMatchObject({ current_operation_id: null });

    expect(await backend.backend.orphanDetector.check()).toEqual([]);
    backend.clock.advance(60_000);
    expect(await backend.backend.orphanDetector.check()).toEqual([id]);
  });

  it('a health check cancels an operation the backend does not know (deleted meanwhile) and takes no claim from it', async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    await backend.register(a);
    a.current = 'op_dummy_deleted';
    await backend.backend.healthChecker.task.runOnce();
    expect(a.cancels).toEqual(['op_dummy_deleted']);
    expect(await workerRecord('train-a')).toMatchObject({ status: 'busy', current_operation_id: null });
  });

  it('cancels the operation on the worker when it was cancelled while the start request was in flight', async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    a.startBehaviour = 'hang';
    await backend.register(a);
    const id = await submit();
    await eventually('the start request to reach the worker', async () => a.held === 1);

    // The cancel arrives before the start: the worker does not know the operation yet.
    expect((await backend.call('DELETE', `/operations/${id}`)).body.data.status).toBe('cancelled');
    expect(a.cancels).toEqual([id]);
    a.releaseHeld();
    await dispatch();
    expect(a.current).toBe(id); // the worker started it after all
    expect(a.cancels).toEqual([id, id]);
    expect((await show(id)).status).toBe('cancelled');
  });

  it('a re-registering worker does not take over an operation running on another worker; it is told to cancel it', async () => {
    backend = await startTestBackend();
    const b = await worker('train-b');
    await backend.register(b);
    const id = await submit();
    await dispatch();
    const a = await worker('train-a');
    a.current = id;

    const registered = await backend.register(a, { current_operation_id: id });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ status: 'busy', current_operation_id: null });
    expect(await show(id)).toMatchObject({ status: 'running', worker_id: 'train-b' });
    expect(await workerRecord('train-b')).toMatchObject({ current_operation_id: id });
    expect(a.cancels).toEqual([id]);
  });

  it('a re-registering worker still adopts a pending operation it reports', async () => {
    backend = await startTestBackend();
    const id = await submit();
    const a = await worker('train-a');
    a.current = id;
    const registered = await backend.register(a, { current_operation_id: id });
    expect(registered.body).toMatchObject({ status: 'busy', current_operation_id: id });
    expect(await show(id)).toMatchObject({ status: 'running', worker_id: 'train-a' });
    expect(a.cancels).toEqual([]);
  });
});

describe('start requests that time out', () => {
  it('keeps the operation with the worker when it runs it although the start request timed out (never runs it twice)', async () => {
    backend = await startTestBackend({ workerRequestTimeoutMs: 150 });
    const a = await worker('train-a');
    a.startBehaviour = 'accept-then-hang';
    await backend.register(a);
    const id = await submit();
    await dispatch();
    expect(a.statusRequests).toBe(1);
    expect(await workerRecord('train-a')).toMatchObject({ status: 'busy', current_operation_id: id, health_check_failures: 0 });

    const b = await worker('train-b');
    await backend.register(b);
    await dispatch();
    expect(b.starts).toEqual([]);
    expect(await show(id)).toMatchObject({ status: 'running', worker_id: 'train-a' });
  });
});

describe('health answers overtaken by a dispatch', () => {
  it('ignores what a health request sent before the dispatch says about the worker’s operation', async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    await backend.register(a);
    a.health = 'hang';
    const pass = backend.backend.healthChecker.checkAll();
    await eventually('the health request to reach the worker', async () => a.held === 1);

    const id = await submit();
    await dispatch();
    expect(a.current).toBe(id);
    a.health = 'ok';
    a.releaseHeld(); // answers "idle", as the worker was when asked
    await pass;
    expect(await workerRecord('train-a')).toMatchObject({ status: 'busy', current_operation_id: id });

    // A later answer is believed again.
    a.finish();
    await backend.backend.healthChecker.task.runOnce();
    expect(await workerRecord('train-a')).toMatchObject({ status: 'available', current_operation_id: null });
  });
});

describe('outcomes after an orphan failure', () => {
  it('takes the real outcome of the worker the operation was lost with, but not from others nor a cancel', async () => {
    backend = await startTestBackend({ healthCheckFailures: 1, orphanTimeoutMs: 60_000 });
    const a = await worker('train-a');
    await backend.register(a);
    const id = await submit();
    await dispatch();
    a.health = 'error';
    await backend.backend.healthChecker.task.runOnce();
    await backend.backend.orphanDetector.check();
    backend.clock.advance(60_000);
    expect(await backend.backend.orphanDetector.check()).toEqual([id]);
    expect(await show(id)).toMatchObject({ status: 'failed', metadata: { orphaned_worker_id: 'train-a' } });

    const outcome = (workerId: string, status: string) => ({
      worker_id: workerId,
      status,
      result_summary: { steps: 10, resumed_from_step: null },
      completed_at: now(),
    });
    expect((await backend.as('worker', 'train-z').call('POST', `/operations/${id}/outcome`, outcome('train-z', 'completed'))).status).toBe(403);
    expect((await backend.as('worker', 'train-a').call('POST', `/operations/${id}/outcome`, outcome('train-a', 'cancelled'))).status).toBe(200);
    expect((await show(id)).status).toBe('failed');

    expect((await backend.as('worker', 'train-a').call('POST', `/operations/${id}/outcome`, outcome('train-a', 'completed'))).status).toBe(200);
    const shown = await show(id);
    expect(shown).toMatchObject({ status: 'completed', error_message: null, worker_id: 'train-a', result_summary: { steps: 10, resumed_from_step: null } });
    expect(shown.metadata).not.toHaveProperty('orphaned_worker_id');
  });
});

describe('progress cache of operations that moved', () => {
  it('asks the new worker for progress after a hand-back, instead of serving the old worker’s cached snapshot', async () => {
    backend = await startTestBackend({ opsCacheTtlMs: 600_000 });
    const a = await worker('train-a');
    await backend.register(a);
    const id = await submit();
    await dispatch();
    await show(id);
    expect(a.statusRequests).toBe(1);

    a.finish();
    expect((await backend.as('worker', 'train-a').call('POST', `/operations/${id}/release`, { worker_id: 'train-a', reason: 'shutdown' })).status).toBe(200);
    const b = await worker('train-b');
    await backend.register(b);
    await dispatch();
    expect(await show(id)).toMatchObject({ status: 'running', worker_id: 'train-b' });
    expect(b.statusRequests).toBe(1);
  });

  it('forgets the snapshot time of an operation read while it was not running (orphan-failed, then resumed)', async () => {
    backend = await startTestBackend({ opsCacheTtlMs: 600_000, healthCheckFailures: 1, orphanTimeoutMs: 60_000 });
    const a = await worker('train-a');
    await backend.register(a);
    const id = await submit();
    await dispatch();
    await show(id);
    a.health = 'error';
    await backend.backend.healthChecker.task.runOnce();
    await backend.backend.orphanDetector.check();
    backend.clock.advance(60_000);
    expect(await backend.backend.orphanDetector.check()).toEqual([id]);
    expect((await show(id)).status).toBe('failed');

    expect((await backend.call('POST', `/operations/${id}/resume`)).status).toBe(200);
    const b = await worker('train-b');
    await backend.register(b);
    await dispatch();
    expect(await show(id)).toMatchObject({ status: 'running', worker_id: 'train-b' });
    expect(b.statusRequests).toBe(1);
  });
});
