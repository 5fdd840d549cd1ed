/**
 * Input the database cannot keep (NUL characters, dates out of its range) is a
 * 400 naming the field, never a 500; what slips through anyway (SQLSTATE class
 * 22) is a 400 too. A malformed entry of a registration's completed_operations
 * is skipped, so that the worker can still register.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeWorkers, type FakeWorker } from './support/fake-worker.js';
import { startTestBackend, type TestBackend } from './support/harness.js';

let backend: TestBackend;
const worker = fakeWorkers();

afterEach(async () => {
  vi.restoreAllMocks();
  await backend?.stop();
});

const now = () => new Date(backend.clock.now()).toISOString();

/** A running operation on a registered worker 'train-a'. */
/** An operation running on the fake worker `train-a`. */
async function runningOperation(): Promise<{ id: string; worker: FakeWorker }> {
  const a = await worker('train-a');
  await backend.register(a);
  const submitted = await backend.call('POST', '/dummy/start', { steps: 3 });
  await backend.backend.dispatcher.whenIdle();
  return { id: submitted.body.operation_id as string, worker: a };
}

function expectValidationError(response: { status: number; body: { error?: { code: string; message: string } } }, field: string): void {
  expect(response.status).toBe(400);
  expect(response.body.error?.code).toBe('VALIDATION_ERROR');
  expect(response.body.error?.message).toContain(field);
}

describe('NUL characters', () => {
  it('refuses a NUL in a path id with 400 naming the parameter', async () => {
    backend = await startTestBackend();
    expectValidationError(await backend.call('GET', '/operations/%00'), 'params.id');
    expectValidationError(await backend.call('GET', '/workers/a%00b'), 'params.id');
  });

  it('refuses a NUL in a registration id, endpoint or JSON object with 400 naming the field', async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    expectValidationError(await backend.register(a, { worker_id: 'x\u0000' }), 'body.worker_id');
    expectValidationError(await backend.register(a, { capabilities: { a: 'b\u0000' } }), 'body.capabilities.a');
    expectValidationError(await backend.register(a, { capabilities: { nested: [{ 'k\u0000': 1 }] } }), 'body.capabilities.nested.0');
    expectValidationError(await backend.register(a, { current_operation_id: 'op\u0000' }), 'body.current_operation_id');
    expectValidationError(await backend.register(a, { endpoint_url: `${a.url}/w\u0000` }), 'body.endpoint_url');
    expect((await backend.register(a)).status).toBe(200);
  });

  it('refuses a NUL in an outcome message, summary or results', async () => {
    backend = await startTestBackend();
    const { id } = await runningOperation();
    const outcome = (extra: Record<string, unknown>) => ({ worker_id: 'train-a', status: 'failed', completed_at: now(), ...extra });
    expectValidationError(await backend.as('worker', 'train-a').call('POST', `/operations/${id}/outcome`, outcome({ error_message: 'bo\u0000om' })), 'body.error_message');
    expectValidationError(await backend.as('worker', 'train-a').call('POST', `/operations/${id}/outcome`, outcome({ result_summary: { s: '\u0000' } })), 'body.result_summary.s');
    expectValidationError(await backend.as('worker', 'train-a').call('POST', `/operations/${id}/outcome`, outcome({ results: { trades: ['\u0000'] } })), 'body.results.trades.0');
    expect((await backend.call('GET', `/operations/${id}`)).body.data.status).toBe('running');
  });
});

describe('dates', () => {
  it('refuses dates that are not ISO date-times or fall outside the years 1 to 9999', async () => {
    backend = await startTestBackend();
    const { id } = await runningOperation();
    for (const completedAt of ['-010000-01-01T00:00:00Z', '+010000-01-01T00:00:00Z', '0000-06-01T00:00:00Z', '9999-12-31T23:00:00-02:00', 'yesterday', '2024-01-01']) {
      const response = await backend.as('worker', 'train-a').call('POST', `/operations/${id}/outcome`, { worker_id: 'train-a', status: 'completed', completed_at: completedAt });
      expectValidationError(response, 'body.completed_at');
    }
    // A reported time is kept when it lies between the start and now (2026-01-01T00:00Z on the test clock, + 1 day).
    backend.clock.advance(24 * 3600 * 1000);
    const accepted = await backend.as('worker', 'train-a').call('POST', `/operations/${id}/outcome`, { worker_id: 'train-a', status: 'completed', completed_at: '2026-01-01T12:00:00+02:00' });
    expect(accepted.status).toBe(200);
    expect((await backend.call('GET', `/operations/${id}`)).body.data).toMatchObject({ status: 'completed', completed_at: '2026-01-01T10:00:00.000Z' });
  });
});

describe('completed_operations of a registration', () => {
  it('skips a malformed report (the registration succeeds, and succeeds again) and applies the valid ones', async () => {
    backend = await startTestBackend();
    const { id, worker: a } = await runningOperation();
    await backend.as('worker', 'train-a').call('DELETE', '/workers/train-a');
    const reports = [
      { operation_id: 'op_dummy_bad', status: 'COMPLETED', completed_at: '-010000-01-01T00:00:00Z' },
      { operation_id: 'op\u0000', status: 'FAILED' },
      'not a report',
      { operation_id: id, status: 'COMPLETED', result: { steps: 3, resumed_from_step: null }, completed_at: now() },
    ];
    for (let attempt = 0; attempt < 2; attempt++) {
      const registered = await backend.register(a, { completed_operations: reports });
      expect(registered.status).toBe(200);
    }
    expect((await backend.call('GET', `/operations/${id}`)).body.data).toMatchObject({ status: 'completed', result_summary: { steps: 3, resumed_from_step: null } });
  });
});

describe('values the database refuses anyway', () => {
  it('answers a SQLSTATE class 22 error with 400 naming the problem, not 500', async () => {
    backend = await startTestBackend();
    const store = backend.store;
    const refused = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    vi.spyOn(store.operations, 'get').mockRejectedValue(refused);
    const response = await backend.call('GET', '/operations/op_x');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_ERROR');
    expect(response.body.error.message).toContain('GET /api/v1/operations/op_x');
    expect(response.body.error.message).toContain('SQLSTATE 22021');
    expect(response.body.error.message).toContain('invalid byte sequence');

    vi.spyOn(store.operations, 'get').mockRejectedValue(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
    expect((await backend.call('GET', '/operations/op_x')).status).toBe(500);
  });
});
