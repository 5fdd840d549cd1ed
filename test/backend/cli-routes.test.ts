/**
 * The backend side of the CLI's commands: `ops list` shows the progress the worker reports (not the snapshot of the
 * last `ops show`), a cancel keeps how far the operation got, `ops prune` and `models rm` (refused while an active
 * backtest uses the model).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyProgress } from '../../src/api/contract.js';
import { ModelStore } from '../../src/backend/services/model-store.js';
import { fakeWorkers } from './support/fake-worker.js';
import { startTestBackend, type TestBackend } from './support/harness.js';
import { modelArtifact } from './support/models.js';

let backend: TestBackend;
const worker = fakeWorkers();
const DAY_S = 86_400;

afterEach(async () => {
  await backend?.stop();
});

async function submit(): Promise<string> {
  const response = await backend.call('POST', '/dummy/start', { steps: 10 });
  expect(response.status).toBe(200);
  return response.body.operation_id as string;
}

async function runningOnFakeWorker(id: string) {
  const a = await worker(id);
  await backend.register(a);
  const operationId = await submit();
  await backend.backend.dispatcher.whenIdle();
  expect(a.starts[0]?.operation_id).toBe(operationId);
  return { a, operationId };
}

describe('live progress', () => {
  it('GET /operations (ops list) carries the progress the worker reports, without a GET of the operation first', async () => {
    backend = await startTestBackend();
    const { a, operationId } = await runningOnFakeWorker('train-a');
    a.progress = { ...emptyProgress(), percentage: 30, current_step: 'step 3/10', steps_completed: 3, steps_total: 10 };
    const list = await backend.call('GET', '/operations');
    const listed = list.body.data.find((op: { operation_id: string }) => op.operation_id === operationId);
    expect(listed).toMatchObject({ status: 'running', progress: { percentage: 30, current_step: 'step 3/10' } });
  });

  it('a cancel keeps the progress the operation reached (not 0 %)', async () => {
    backend = await startTestBackend();
    const { a, operationId } = await runningOnFakeWorker('train-a');
    a.progress = { ...emptyProgress(), percentage: 40, current_step: 'step 4/10', steps_completed: 4, steps_total: 10 };
    const cancelled = await backend.call('DELETE', `/operations/${operationId}`);
    expect(cancelled.body.data).toMatchObject({ status: 'cancelled', progress: { percentage: 40, steps_completed: 4 } });
    expect(a.cancels).toEqual([operationId]);
    expect((await backend.call('GET', `/operations/${operationId}`)).body.data.progress.percentage).toBe(40);
  });
});

describe('POST /operations/prune', () => {
  it('deletes ended operations older than asked, of the status asked, never active ones', async () => {
    backend = await startTestBackend();
    const old = await submit();
    const failedOld = await submit();
    await backend.call('DELETE', `/operations/${old}`);
    await backend.store.operations.update(failedOld, { status: 'failed', errorMessage: 'x', completedAt: new Date(backend.clock.now()) }, ['pending']);
    backend.clock.advance(3 * DAY_S * 1000);
    const recent = await submit();
    await backend.call('DELETE', `/operations/${recent}`);
    const active = await submit();

    const onlyFailed = await backend.call('POST', '/operations/prune', { older_than_seconds: 2 * DAY_S, status: 'failed' });
    expect(onlyFailed.body).toEqual({ success: true, deleted: [failedOld] });
    const olderThanTwoDays = await backend.call('POST', '/operations/prune', { older_than_seconds: 2 * DAY_S });
    expect(olderThanTwoDays.body.deleted).toEqual([old]);
    const everything = await backend.call('POST', '/operations/prune', {});
    expect(everything.body.deleted).toEqual([recent]);
    const left = (await backend.call('GET', '/operations')).body.data.map((op: { operation_id: string }) => op.operation_id);
    expect(left).toEqual([active]);
    expect((await backend.call('POST', '/operations/prune', { status: 'running' })).status).toBe(400);
  });
});

describe('DELETE /models/{id}', () => {
  it('refuses while a pending backtest uses the model (409 naming it), deletes it otherwise, then 404', async () => {
    const modelsDir = mkdtempSync(join(tmpdir(), 'ktrdr-rm-models-'));
    backend = await startTestBackend({ modelsDir });
    await new ModelStore(modelsDir).save(modelArtifact('mdl_a'));
    await backend.store.operations.create({
      operationId: 'op_backtesting_1',
      operationType: 'backtesting',
      workerType: 'backtesting',
      params: { model_id: 'mdl_a' },
      metadata: { model_id: 'mdl_a' },
      createdAt: new Date(backend.clock.now()),
    });
    const refused = await backend.call('DELETE', '/models/mdl_a');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('op_backtesting_1');
    await backend.call('DELETE', '/operations/op_backtesting_1');

    const deleted = await backend.call('DELETE', '/models/mdl_a');
    expect(deleted.body).toEqual({ success: true, model_id: 'mdl_a' });
    expect((await backend.call('GET', '/models')).body).toEqual([]);
    expect((await backend.call('GET', '/models/mdl_a')).status).toBe(404);
    expect((await backend.call('DELETE', '/models/mdl_a')).status).toBe(404);
  });
});
