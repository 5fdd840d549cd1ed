/** The backend link's outbox against a fake backend: order within an operation, and no loss when passes overlap. */
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { HttpClient, NO_RETRY } from '../../src/client/http.js';
import { BackendLink } from '../../src/worker/backend-link.js';
import { modelArtifact } from '../cli/helpers/stub-backend.js';
import { FakeBackend } from './fake-backend.js';
import { tokens } from './harness.js';

let backend: FakeBackend;
afterEach(async () => {
  await backend?.stop();
});

async function linkToFakeBackend(): Promise<BackendLink> {
  backend = new FakeBackend(tokens);
  await backend.start();
  return new BackendLink({
    http: new HttpClient({ baseUrl: backend.baseUrl, timeoutMs: 5_000, token: () => tokens.issue('w1', 'worker') }),
    identity: { workerId: 'w1', workerType: 'training' },
    logger: pino({ level: 'silent' }),
    registrationTimeoutMs: 5_000,
    registrationRetry: NO_RETRY,
    requestRetry: NO_RETRY,
  });
}

const completed = { status: 'completed' as const, result_summary: { model_id: 'm1' }, error_message: null, completed_at: new Date().toISOString() };

it('overlapping deliveries of one queue send each item once, in order, and lose nothing', async () => {
  const link = await linkToFakeBackend();
  backend.failNext.model = 2; // when saved, and when the outcome's report tries it again
  expect(await link.deliverModel(modelArtifact({ model_id: 'm1', operation_id: 'op1' }))).toBe('held');
  expect(await link.reportOutcome('op1', completed)).toBe(false);
  expect(backend.arrivals).toEqual([]);
  expect(link.pendingOperations).toEqual(['op1']);

  // A heartbeat's flush and another pass at the same moment.
  const remaining = await Promise.all([link.flushOutbox(), link.flushOutbox(), link.flushOutbox()]);
  expect(remaining).toContain(0);
  expect(backend.arrivals).toEqual(['model:op1', 'outcome:op1']);
  expect(link.pendingOperations).toEqual([]);
});

it('keeps the queues of different operations apart: one stuck operation does not reorder another', async () => {
  const link = await linkToFakeBackend();
  backend.failNext.model = 2;
  await link.deliverModel(modelArtifact({ model_id: 'm1', operation_id: 'op1' }));
  await link.reportOutcome('op1', completed);
  await link.reportOutcome('op2', { ...completed, result_summary: {} });
  expect(backend.arrivals).toEqual(['outcome:op2']); // op2 had nothing ahead of it
  await link.flushOutbox();
  expect(backend.arrivals).toEqual(['outcome:op2', 'model:op1', 'outcome:op1']);
});
