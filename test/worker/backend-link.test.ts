/** The backend link's outbox against a fake backend: order within an operation, and no loss when passes overlap. */
import { createServer } from 'node:http';
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

it('waits between half and all of each registration back-off, drawn at random, so that a fleet does not retry in step', async () => {
  // A port nothing listens on: every attempt is refused, and retried.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const waits: number[] = [];
  const draws = [0, 0.5, 0.999, 0];
  const link = new BackendLink({
    http: new HttpClient({ baseUrl: `http://127.0.0.1:${port}/api/v1`, timeoutMs: 5_000, token: () => tokens.issue('w1', 'worker') }),
    identity: { workerId: 'w1', workerType: 'training' },
    logger: pino({ level: 'silent' }),
    registrationTimeoutMs: 5_000,
    registrationRetry: { maxRetries: 4, delayMs: 100 },
    requestRetry: NO_RETRY,
    maxRetryDelayMs: 500,
    sleep: async (ms) => void waits.push(ms),
    random: () => draws.shift() ?? 0,
  });
  await expect(link.registerWithRetry(() => ({ endpointUrl: 'http://127.0.0.1:1/w1', currentOperationId: null }), new AbortController().signal)).rejects.toThrow(/cannot reach/);
  // Back-offs 100, 200, 400, 500 (the cap) ms.
  expect(waits).toEqual([50, 150, 400, 250]);
});
