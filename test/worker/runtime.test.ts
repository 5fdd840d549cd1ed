/**
 * The worker runtime in-process, against a fake backend on an ephemeral port:
 * registration, heartbeat and re-registration, the outcome outbox, one
 * operation at a time, cancellation, resume, shutdown hand-back and auth.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WorkerHealth, WorkerOperationStatus, type WorkerStartBody } from '../../src/api/contract.js';
import { HttpClient, HttpError } from '../../src/client/http.js';
import { TokenService } from '../../src/auth/tokens.js';
import { declaredRoutes, PUBLIC } from '../../src/http/access-control.js';
import type { Workload } from '../../src/workloads/types.js';
import { modelArtifact } from '../cli/helpers/stub-backend.js';
import { freePort, waitFor } from '../support/processes.js';
import { FakeBackend } from './fake-backend.js';
import { buildTestWorker, tokens, type TestWorker, type TestWorkerOptions } from './harness.js';

const Accepted = z.object({ success: z.literal(true), operation_id: z.string() });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeBackend(port = 0): Promise<FakeBackend> {
  const backend = new FakeBackend(tokens);
  await backend.start(port);
  cleanups.push(() => backend.stop());
  return backend;
}

async function startWorker(options: TestWorkerOptions): Promise<TestWorker> {
  const worker = buildTestWorker(options);
  cleanups.push(() => worker.runtime.stop());
  await worker.runtime.start();
  return worker;
}

/** A worker registered with a fresh fake backend. */
async function registeredWorker(options: Partial<TestWorkerOptions> = {}): Promise<{ backend: FakeBackend; worker: TestWorker }> {
  const backend = await fakeBackend();
  const worker = await startWorker({ backendUrl: backend.baseUrl, ...options });
  expect(await worker.runtime.whenRegistered()).not.toBeNull();
  return { backend, worker };
}

function dummyStart(operationId: string, params: Record<string, unknown>, checkpoint: WorkerStartBody['checkpoint'] = null): WorkerStartBody {
  return { operation_id: operationId, operation_type: 'dummy', params, checkpoint };
}

async function startOperation(worker: TestWorker, body: WorkerStartBody): Promise<string> {
  const accepted = await worker.client().request('POST', '/operations/start', Accepted, { body });
  return accepted.operation_id;
}

async function statusOf(worker: TestWorker, operationId: string) {
  return worker.client().request('GET', `/operations/${operationId}/status`, WorkerOperationStatus);
}

async function httpError(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return error;
}

/**
 * A training stand-in: one unit (checkpointed), then a model saved through the worker's services, like the
 * real training ends; `fail` makes it fail after its unit instead.
 */
const modelMaker: Workload<{ fail: boolean }> = {
  type: 'training',
  workerTypes: ['training'],
  paramsSchema: z.object({ fail: z.boolean().default(false) }),
  async run(context) {
    const resumed = context.resumeFrom?.state as { unit?: unknown } | undefined;
    if (context.resumeFrom && typeof resumed?.unit !== 'number') throw new Error('the checkpoint state does not parse');
    await context.unitDone(1, () => ({ unit: 1 }));
    if (context.params.fail) throw new Error('failed after unit 1');
    const model_id = `model_${context.operationId}`;
    await context.services.saveModel(modelArtifact({ model_id, operation_id: context.operationId }));
    return { resultSummary: { model_id } };
  },
};

const trainingStart = (operationId: string, params: Record<string, unknown> = {}): WorkerStartBody => ({
  operation_id: operationId,
  operation_type: 'training',
  params,
  checkpoint: null,
});

const outcomeOf = (backend: FakeBackend, operationId: string) => backend.outcomes.find((outcome) => outcome.operationId === operationId);

describe('registration', () => {
  it('registers with its type and endpoint, and logs one line when listening and one when registered', async () => {
    const { backend, worker } = await registeredWorker({ workerId: 'training-test-1' });
    const port = worker.runtime.address?.port;
    expect(backend.registrations).toHaveLength(1);
    expect(backend.registrations[0]).toMatchObject({
      worker_id: 'training-test-1',
      worker_type: 'training',
      endpoint_url: `http://127.0.0.1:${port}`,
      current_operation_id: null,
      completed_operations: [],
    });
    const listening = worker.logs.filter((line) => line.includes('listening on port'));
    expect(listening).toHaveLength(1);
    expect(listening[0]).toContain('training-test-1');
    expect(listening[0]).toContain('(training)');
    expect(listening[0]).toContain(`port ${port}`);
    expect(listening[0]).toContain(`endpoint http://127.0.0.1:${port}`);
    expect(worker.logs.filter((line) => line.includes('registered with the backend'))).toHaveLength(1);
  });

  it('keeps retrying while the backend is unreachable and registers once it comes up, serving meanwhile', async () => {
    const port = await freePort();
    const worker = await startWorker({ backendUrl: `http://127.0.0.1:${port}/api/v1`, maxRetries: 30, retryDelaySeconds: 0.02 });
    await waitFor('a failed registration attempt', () => worker.logs.some((line) => line.includes('registration attempt 2/31 failed')));
    // Serving while it retries:
    const health = await worker.client().request('GET', '/health', WorkerHealth);
    expect(health.worker_status).toBe('idle');

    const backend = await fakeBackend(port);
    const record = await worker.runtime.whenRegistered();
    expect(record?.worker_id).toBe(worker.runtime.workerId);
    expect(backend.registrations).toHaveLength(1);
  });

  it('builds its HTTP application after registering; requests that come sooner wait for it and get their right answers', async () => {
    const backend = await fakeBackend();
    backend.failNext.register = 1_000_000; // no registration answer but 503 until the test says
    const worker = await startWorker({ backendUrl: backend.baseUrl, maxRetries: 1_000, retryDelaySeconds: 0.05 });
    let serving = false;
    void worker.runtime.whenServing().then(() => (serving = true));
    await waitFor('a refused registration attempt', () => worker.logs.some((line) => line.includes('registration attempt 1/')));
    expect(serving).toBe(false); // listening, registering, and no application yet

    // The backend may dispatch as soon as it lists the worker: these come before the application exists.
    const [health, accepted] = await Promise.all([
      worker.client().request('GET', '/health', WorkerHealth),
      startOperation(worker, dummyStart('op-early', { steps: 1 })),
    ]);
    expect(health).toMatchObject({ healthy: true, worker_id: worker.runtime.workerId, worker_type: 'training' });
    expect(accepted).toBe('op-early');
    expect(serving).toBe(true);
    await waitFor('the early operation to complete', async () => (await statusOf(worker, 'op-early')).status === 'completed');
    backend.failNext.register = 0;
    expect(await worker.runtime.whenRegistered()).not.toBeNull();
  });

  it('retries 503 answers with back-off, then registers', async () => {
    const backend = await fakeBackend();
    backend.failNext.register = 2;
    const worker = await startWorker({ backendUrl: backend.baseUrl, maxRetries: 5 });
    expect(await worker.runtime.whenRegistered()).not.toBeNull();
    expect(backend.failNext.register).toBe(0);
    expect(backend.registrations).toHaveLength(1);
    expect(worker.logs.filter((line) => line.includes('registration attempt'))).toHaveLength(2);
  });

  it('gives up after the configured retries and registers on a later heartbeat', async () => {
    const backend = await fakeBackend();
    backend.failNext.register = 3;
    const worker = await startWorker({ backendUrl: backend.baseUrl, maxRetries: 2 });
    expect(await worker.runtime.whenRegistered()).toBeNull();
    expect(backend.registrations).toHaveLength(0);

    await worker.runtime.heartbeat.runOnce(); // 404 → register
    expect(backend.registrations).toHaveLength(1);
  });
});

describe('failover to another backend (KTRDR_API_CLIENT_FALLBACK_URLS)', () => {
  it('moves on when its backend refuses connections and registers again with the one that answered, which already knew it', async () => {
    const first = await fakeBackend();
    const second = await fakeBackend();
    const worker = await startWorker({ backendUrl: first.baseUrl, fallbackUrls: [second.baseUrl] });
    expect(await worker.runtime.whenRegistered()).not.toBeNull();
    // Both share one database: the second knows the worker from the shared table.
    const record = first.known.get(worker.runtime.workerId);
    if (!record) throw new Error('the first backend does not know the worker it registered');
    second.known.set(worker.runtime.workerId, record);

    await first.stop();
    await worker.runtime.heartbeat.runOnce();
    expect(second.heartbeats).toEqual([worker.runtime.workerId]);
    expect(second.registrations.map((r) => r.worker_id)).toEqual([worker.runtime.workerId]);
    expect(worker.logs.some((line) => line.includes(`failed over from the backend at ${first.baseUrl} to ${second.baseUrl}; re-registering there`))).toBe(true);

    // Settled there: the next heartbeat registers nothing more.
    await worker.runtime.heartbeat.runOnce();
    expect(second.registrations).toHaveLength(1);
    expect(second.heartbeats).toHaveLength(2);
  });
});

describe('heartbeat', () => {
  it('checks GET /workers/{id} and does not re-register while the backend knows the worker', async () => {
    const { backend, worker } = await registeredWorker();
    await worker.runtime.heartbeat.runOnce();
    expect(backend.heartbeats).toEqual([worker.runtime.workerId]);
    expect(backend.registrations).toHaveLength(1);
  });

  it('re-registers on 404 reporting the current operation', async () => {
    const { backend, worker } = await registeredWorker();
    const operationId = await startOperation(worker, dummyStart('op-current', { steps: 3, step_delay_ms: 60_000 }));
    backend.forgetWorkers();
    await worker.runtime.heartbeat.runOnce();
    expect(backend.registrations).toHaveLength(2);
    expect(backend.registrations[1]).toMatchObject({ current_operation_id: operationId, completed_operations: [] });
  });

  it('re-registers on 404 with the outcomes the backend missed, then delivers them', async () => {
    const { backend, worker } = await registeredWorker();
    backend.failNext.outcome = 100; // the backend cannot take outcomes
    const operationId = await startOperation(worker, dummyStart('op-missed', { steps: 2, step_delay_ms: 0 }));
    await waitFor('the operation to complete', async () => (await statusOf(worker, operationId)).status === 'completed');
    await waitFor('the outcome to wait in the outbox', () => worker.logs.some((line) => line.includes('kept for a later retry')));
    expect(backend.outcomes).toHaveLength(0);

    backend.failNext.outcome = 0;
    backend.forgetWorkers(); // as after a backend restart on a fresh store
    await worker.runtime.heartbeat.runOnce();

    expect(backend.registrations).toHaveLength(2);
    expect(backend.registrations[1]?.current_operation_id).toBeNull();
    expect(backend.registrations[1]?.completed_operations).toEqual([
      expect.objectContaining({ operation_id: operationId, status: 'COMPLETED', result: { steps: 2, resumed_from_step: null } }),
    ]);
    expect(outcomeOf(backend, operationId)?.body).toMatchObject({ status: 'completed', result_summary: { steps: 2, resumed_from_step: null } });

    await worker.runtime.heartbeat.runOnce();
    expect(backend.outcomes).toHaveLength(1); // acknowledged once, not resent
  });
});

describe('outbox', () => {
  it('keeps an outcome while the backend is down and pushes it on the first heartbeat after it is back', async () => {
    const { backend, worker } = await registeredWorker();
    const operationId = await startOperation(worker, dummyStart('op-outage', { steps: 3, step_delay_ms: 50 }));
    await backend.stop(); // the backend goes away mid-operation
    await waitFor('the outcome to wait in the outbox', () => worker.logs.some((line) => line.includes(`outcome of operation ${operationId} kept`)));

    await worker.runtime.heartbeat.runOnce(); // still down: nothing to deliver to
    expect(backend.outcomes).toHaveLength(0);

    await backend.start(); // same port, same records: it still knows the worker
    await worker.runtime.heartbeat.runOnce();
    expect(backend.registrations).toHaveLength(1);
    expect(backend.outcomes.map((outcome) => outcome.operationId)).toEqual([operationId]);
    expect(backend.outcomes[0]?.body.result_summary).toEqual({ steps: 3, resumed_from_step: null });
  });
});

describe('outbox: nothing finished is lost', () => {
  it('keeps a model the backend cannot take, completes the run, and delivers the model before its outcome once the backend is back', async () => {
    const { backend, worker } = await registeredWorker({ workloads: [modelMaker as Workload] });
    backend.failNext.model = 1_000; // the backend is in trouble when the model is saved
    backend.failNext.outcome = 1_000;
    const operationId = await startOperation(worker, trainingStart('op-model'));
    await waitFor('the run to complete', async () => (await statusOf(worker, operationId)).status === 'completed');
    // Kept when it is saved, then again when the outcome's report finds it still at the head of the queue.
    const keptModel = () => worker.logs.filter((line) => line.includes(`model model_${operationId} of operation ${operationId} kept for a later retry`));
    await waitFor('the outcome to wait behind the model', () => keptModel().length >= 2);
    expect(backend.models).toHaveLength(0);
    expect(backend.outcomes).toHaveLength(0);

    // The backend comes back having forgotten the worker: the re-registration must not report the
    // operation completed while its model is not stored yet.
    backend.failNext.model = 0;
    backend.failNext.outcome = 0;
    backend.forgetWorkers();
    await worker.runtime.heartbeat.runOnce();
    expect(backend.registrations.at(-1)?.completed_operations).toEqual([]);
    expect(backend.arrivals.filter((arrival) => arrival !== `checkpoint:${operationId}`)).toEqual([`model:${operationId}`, `outcome:${operationId}`]);
    expect(backend.models[0]?.model_id).toBe(`model_${operationId}`);
    expect(outcomeOf(backend, operationId)?.body).toMatchObject({ status: 'completed', result_summary: { model_id: `model_${operationId}` } });

    await worker.runtime.heartbeat.runOnce();
    expect(backend.outcomes).toHaveLength(1); // delivered once
    expect(backend.models).toHaveLength(1);
  });

  it('keeps the final checkpoint of a failed run ahead of its outcome while the backend is away', async () => {
    const { backend, worker } = await registeredWorker({ workloads: [modelMaker as Workload] });
    backend.failNext.checkpoint = 1_000;
    backend.failNext.outcome = 1_000;
    const operationId = await startOperation(worker, trainingStart('op-final', { fail: true }));
    await waitFor('the run to fail', async () => (await statusOf(worker, operationId)).status === 'failed');
    // Kept when it is taken, then again when the outcome's report finds it still at the head of the queue.
    const keptCheckpoint = () => worker.logs.filter((line) => line.includes(`final checkpoint of operation ${operationId}`) && line.includes('kept for a later retry'));
    await waitFor('the outcome to wait behind the final checkpoint', () => keptCheckpoint().length >= 2);
    expect(backend.outcomes).toHaveLength(0);

    backend.failNext.checkpoint = 0;
    backend.failNext.outcome = 0;
    await worker.runtime.heartbeat.runOnce();
    expect(backend.arrivals).toEqual([`checkpoint:${operationId}`, `outcome:${operationId}`]);
    expect(backend.checkpoints[0]?.body).toMatchObject({ units: 1, reason: 'failure', state: { unit: 1 } });
    expect(outcomeOf(backend, operationId)?.body).toMatchObject({ status: 'failed', error_message: 'failed after unit 1' });
  });

  it('fails the run, naming the reason, when the backend refuses the model', async () => {
    const { backend, worker } = await registeredWorker({ workloads: [modelMaker as Workload] });
    backend.refuseModels = true;
    const operationId = await startOperation(worker, trainingStart('op-refused'));
    await waitFor('the outcome', () => outcomeOf(backend, operationId));
    expect(outcomeOf(backend, operationId)?.body).toMatchObject({ status: 'failed', error_message: expect.stringContaining('model refused (test)') });
    expect(backend.models).toHaveLength(0);
  });

  it('names the checkpoint a resumed run could not use, and how to delete it', async () => {
    const { backend, worker } = await registeredWorker({ workloads: [modelMaker as Workload] });
    const checkpoint = { checkpoint_id: 'ckpt_bad', units: 1, state: { garbage: true }, created_at: new Date().toISOString() };
    const operationId = await startOperation(worker, { ...trainingStart('op-bad-state'), checkpoint });
    await waitFor('the outcome', () => outcomeOf(backend, operationId));
    expect(outcomeOf(backend, operationId)?.body.error_message).toBe(
      'the checkpoint state does not parse (resumed from checkpoint ckpt_bad at 1 units; if that checkpoint is unusable, ' +
        'delete it with `ktrdr ops checkpoints op-bad-state --delete ckpt_bad` and resume again)',
    );
  });

  it('does not deregister on stop while a model is undelivered, and says so', async () => {
    const { backend, worker } = await registeredWorker({ workloads: [modelMaker as Workload] });
    backend.failNext.model = 1_000;
    const operationId = await startOperation(worker, trainingStart('op-stop'));
    await waitFor('the run to complete', async () => (await statusOf(worker, operationId)).status === 'completed');
    await worker.runtime.stop();
    expect(backend.deregistrations).toEqual([]);
    expect(worker.logs.some((line) => line.includes(`not delivered (${operationId})`))).toBe(true);
  });
});

describe('operations', () => {
  it('runs one operation at a time: a second one gets 409 naming the busy operation; the same one is accepted again', async () => {
    const { worker } = await registeredWorker();
    await startOperation(worker, dummyStart('op-first', { steps: 2, step_delay_ms: 60_000 }));
    const error = await httpError(startOperation(worker, dummyStart('op-second', { steps: 2, step_delay_ms: 0 })));
    expect(error.status).toBe(409);
    expect(error.message).toContain('op-first');
    expect(await startOperation(worker, dummyStart('op-first', { steps: 2, step_delay_ms: 60_000 }))).toBe('op-first');

    const health = await worker.client().request('GET', '/health', WorkerHealth);
    expect(health).toMatchObject({ healthy: true, worker_status: 'busy', current_operation: 'op-first', worker_type: 'training' });
  });

  it('reports progress and the result of a completed dummy operation, and remembers its status', async () => {
    const { backend, worker } = await registeredWorker();
    const operationId = await startOperation(worker, dummyStart('op-done', { steps: 4, step_delay_ms: 0 }));
    const outcome = await waitFor('the outcome', () => outcomeOf(backend, operationId));
    expect(outcome.body).toMatchObject({
      worker_id: worker.runtime.workerId,
      status: 'completed',
      result_summary: { steps: 4, resumed_from_step: null },
      progress: { percentage: 100, steps_completed: 4, steps_total: 4 },
    });
    const status = await statusOf(worker, operationId);
    expect(status).toMatchObject({ status: 'completed', progress: { steps_completed: 4 } });
    const health = await worker.client().request('GET', '/health', WorkerHealth);
    expect(health.worker_status).toBe('idle');
  });

  it('fails at fail_at_step with a message naming the step', async () => {
    const { backend, worker } = await registeredWorker();
    const operationId = await startOperation(worker, dummyStart('op-fail', { steps: 5, step_delay_ms: 0, fail_at_step: 3 }));
    const outcome = await waitFor('the outcome', () => outcomeOf(backend, operationId));
    expect(outcome.body.status).toBe('failed');
    expect(outcome.body.error_message).toContain('step 3');
    expect(outcome.body.progress?.steps_completed).toBe(2);
    // The failure checkpoint lets a resume continue after the last good step.
    expect(backend.checkpoints.at(-1)?.body).toMatchObject({ units: 2, reason: 'failure', state: { step: 2 } });
  });

  it('honours a cancel within one step (a step of 60 s is interrupted)', async () => {
    const { backend, worker } = await registeredWorker();
    const operationId = await startOperation(worker, dummyStart('op-cancel', { steps: 3, step_delay_ms: 60_000 }));
    await worker.client().request('POST', `/operations/${operationId}/cancel`, z.object({ success: z.literal(true) }));
    const outcome = await waitFor('the cancelled outcome', () => outcomeOf(backend, operationId), { timeoutMs: 5_000 });
    expect(outcome.body.status).toBe('cancelled');
    expect((await statusOf(worker, operationId)).status).toBe('cancelled');

    const again = await httpError(worker.client().request('POST', `/operations/${operationId}/cancel`, z.unknown()));
    expect(again.status).toBe(404);
  });

  it('checkpoints every N units and resumes from a checkpoint (resumed_from_step)', async () => {
    const { backend, worker } = await registeredWorker({ checkpointUnitInterval: 2 });
    const operationId = await startOperation(
      worker,
      dummyStart('op-resume', { steps: 7, step_delay_ms: 0 }, { checkpoint_id: 'cp-x', units: 4, state: { step: 4 }, created_at: new Date().toISOString() }),
    );
    const outcome = await waitFor('the outcome', () => outcomeOf(backend, operationId));
    expect(outcome.body.result_summary).toEqual({ steps: 7, resumed_from_step: 4 });
    expect(outcome.body.progress?.steps_completed).toBe(7);
    // Counting from the resumed step: 4 → 6; step 7 completes the operation (no checkpoint needed).
    expect(backend.checkpoints.map((checkpoint) => [checkpoint.body.units, checkpoint.body.reason])).toEqual([[6, 'interval']]);
  });

  it('rejects bad start bodies with 400 naming the field', async () => {
    const { worker } = await registeredWorker();
    const badParams = await httpError(startOperation(worker, dummyStart('op-bad', { steps: 0 })));
    expect(badParams.status).toBe(400);
    expect(badParams.message).toContain('body.params.steps');

    const missingId = await httpError(worker.client().request('POST', '/operations/start', z.unknown(), { body: { operation_type: 'dummy', params: {} } }));
    expect(missingId.status).toBe(400);
    expect(missingId.message).toContain('body.operation_id');

    const wrongType = await httpError(startOperation(worker, { operation_id: 'op-bt', operation_type: 'backtesting', params: {}, checkpoint: null }));
    expect(wrongType.status).toBe(400);
    expect(wrongType.message).toContain('body.operation_type');

    const unknown = await httpError(statusOf(worker, 'no-such-operation'));
    expect(unknown.status).toBe(404);
  });
});

describe('stop', () => {
  it('while busy: stops at the next step, uploads a shutdown checkpoint, releases the operation and deregisters', async () => {
    const { backend, worker } = await registeredWorker();
    const operationId = await startOperation(worker, dummyStart('op-shutdown', { steps: 100_000, step_delay_ms: 5 }));
    await waitFor('a few steps', async () => (await statusOf(worker, operationId)).progress.steps_completed >= 3);

    await worker.runtime.stop();

    const shutdown = backend.checkpoints.filter((checkpoint) => checkpoint.body.reason === 'shutdown');
    expect(shutdown).toHaveLength(1);
    expect(shutdown[0]?.operationId).toBe(operationId);
    const units = shutdown[0]?.body.units ?? 0;
    expect(units).toBeGreaterThanOrEqual(3);
    expect(shutdown[0]?.body.state).toEqual({ step: units });
    expect(backend.releases).toEqual([
      { operationId, body: expect.objectContaining({ worker_id: worker.runtime.workerId, reason: 'shutdown' }) },
    ]);
    expect(backend.releases[0]?.body.progress?.steps_completed).toBe(units);
    expect(backend.outcomes).toHaveLength(0); // handed back, not finished
    expect(backend.deregistrations).toEqual([worker.runtime.workerId]);
    await expect(worker.client().send('GET', '/health')).rejects.toThrow(/cannot reach/);
  });

  it('delivers an outcome still waiting in the outbox before deregistering', async () => {
    const { backend, worker } = await registeredWorker();
    backend.failNext.outcome = 3; // the first push and its two retries
    const operationId = await startOperation(worker, dummyStart('op-late', { steps: 2, step_delay_ms: 0 }));
    await waitFor('the outcome to wait in the outbox', () => worker.logs.some((line) => line.includes(`outcome of operation ${operationId} kept`)));
    expect(backend.outcomes).toHaveLength(0);

    await worker.runtime.stop();
    expect(backend.outcomes.map((outcome) => outcome.operationId)).toEqual([operationId]);
    expect(backend.deregistrations).toEqual([worker.runtime.workerId]);
  });

  it('does not deregister while an outcome is undelivered, and says so in an error', async () => {
    const { backend, worker } = await registeredWorker();
    backend.failNext.outcome = 100;
    const operationId = await startOperation(worker, dummyStart('op-stuck', { steps: 2, step_delay_ms: 0 }));
    await waitFor('the outcome to wait in the outbox', () => worker.logs.some((line) => line.includes(`outcome of operation ${operationId} kept`)));

    await worker.runtime.stop();
    expect(backend.outcomes).toHaveLength(0);
    expect(backend.deregistrations).toEqual([]);
    const error = worker.logs.map((line) => JSON.parse(line) as { level: number | string; msg: string }).find((line) => line.msg.includes('without deregistering'));
    expect(error?.msg).toContain(operationId);
    expect(error?.level === 50 || error?.level === 'error').toBe(true);
    await expect(worker.client().send('GET', '/health')).rejects.toThrow(/cannot reach/);
  });

  it('does not deregister when the running operation could not be handed back', async () => {
    const { backend, worker } = await registeredWorker();
    backend.failNext.release = 100;
    const operationId = await startOperation(worker, dummyStart('op-kept', { steps: 100_000, step_delay_ms: 5 }));
    await waitFor('a step', async () => (await statusOf(worker, operationId)).progress.steps_completed >= 1);

    await worker.runtime.stop();
    expect(backend.releases).toHaveLength(0);
    expect(backend.deregistrations).toEqual([]);
    expect(worker.logs.some((line) => line.includes('without deregistering') && line.includes(`operation ${operationId} not handed back`))).toBe(true);
  });

  it('while idle: deregisters and closes the server', async () => {
    const { backend, worker } = await registeredWorker();
    await worker.runtime.stop();
    expect(backend.releases).toHaveLength(0);
    expect(backend.deregistrations).toEqual([worker.runtime.workerId]);
  });
});

describe('auth', () => {
  it('answers 401 without a token or with a foreign one, and leaves /health open', async () => {
    const { worker } = await registeredWorker();
    const port = worker.runtime.address?.port;
    const anonymous = new HttpClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5000 });
    const missing = await httpError(anonymous.send('GET', '/operations/x/status'));
    expect(missing.status).toBe(401);
    expect(missing.message).toContain('missing bearer token');

    const foreign = new HttpClient({
      baseUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 5000,
      token: () => new TokenService('another-deployment', 60).issue('intruder', 'backend'),
    });
    const start = await httpError(foreign.send('POST', '/operations/start', { body: dummyStart('op-x', {}) }));
    expect(start.status).toBe(401);

    const health = await anonymous.request('GET', '/health', WorkerHealth);
    expect(health).toMatchObject({ healthy: true, worker_id: worker.runtime.workerId, worker_status: 'idle', current_operation: null });
  });

  it('answers 403 to cli and worker tokens: only the backend gives a worker work', async () => {
    const { worker } = await registeredWorker();
    const port = worker.runtime.address?.port;
    for (const role of ['cli', 'worker'] as const) {
      const client = new HttpClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5000, token: () => tokens.issue(worker.runtime.workerId, role) });
      const start = await httpError(client.send('POST', '/operations/start', { body: dummyStart('op-x', {}) }));
      expect(start.status, role).toBe(403);
      expect(start.message).toContain(`a ${role} token may not call POST /operations/start; it admits: backend`);
      expect((await httpError(client.send('POST', '/operations/op-x/cancel', { body: {} }))).status, role).toBe(403);
      expect((await httpError(client.send('GET', '/operations/op-x/status'))).status, role).toBe(403);
    }
    expect(await httpError(worker.client().send('GET', '/operations/op-x/status'))).toMatchObject({ status: 404 });
  });

  it('declares the roles of every route of its API', async () => {
    const { worker } = await registeredWorker();
    const declared = Object.fromEntries(declaredRoutes(await worker.runtime.app()).map((route) => [`${route.method} ${route.url}`, route.roles]));
    expect(declared).toEqual({
      'GET /health': PUBLIC,
      'HEAD /health': PUBLIC,
      'POST /operations/start': ['backend'],
      'POST /operations/:id/cancel': ['backend'],
      'GET /operations/:id/status': ['backend'],
      'HEAD /operations/:id/status': ['backend'],
    });
  });

  it('sends its own worker token to the backend: role worker, subject its worker id', async () => {
    const { backend, worker } = await registeredWorker({ workerId: 'training-own-token' });
    expect(backend.unauthorized).toEqual([]);
    expect(backend.claims.length).toBeGreaterThan(0);
    for (const claims of backend.claims) expect(claims).toMatchObject({ role: 'worker', subject: worker.runtime.workerId });
  });
});
