/**
 * A worker reports when an operation finished; the backend keeps that time within
 * [started, now], so a wrong worker clock cannot make retention delete the
 * operation at once (2001) or never (9999).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fakeWorkers } from './support/fake-worker.js';
import { startTestBackend, type TestBackend } from './support/harness.js';

let backend: TestBackend;
const worker = fakeWorkers();
const DAY = 24 * 3_600_000;

afterEach(async () => {
  await backend?.stop();
});

async function finishedWith(completedAt: string, via: 'outcome' | 'registration'): Promise<{ id: string; data: Record<string, string> }> {
  const a = await worker('train-a');
  await backend.register(a);
  const submitted = await backend.call('POST', '/dummy/start', { steps: 10 });
  const id = submitted.body.operation_id as string;
  await backend.backend.dispatcher.whenIdle();
  expect(a.starts[0]?.operation_id).toBe(id);
  backend.clock.advance(60_000);
  a.finish();
  if (via === 'outcome') {
    const posted = await backend.as('worker', 'train-a').call('POST', `/operations/${id}/outcome`, { worker_id: 'train-a', status: 'completed', completed_at: completedAt });
    expect(posted.status).toBe(200);
  } else {
    const registered = await backend.register(a, {
      completed_operations: [{ operation_id: id, status: 'COMPLETED', result: { steps: 10 }, completed_at: completedAt }],
    });
    expect(registered.status).toBe(200);
  }
  const data = (await backend.call('GET', `/operations/${id}`)).body.data as Record<string, string>;
  expect(data.status).toBe('completed');
  return { id, data };
}

// Each test starts a backend with an in-memory PGlite: seconds apiece on a busy 2-core machine.
describe('worker-reported completed_at', { timeout: 120_000 }, () => {
  it.each(['outcome', 'registration'] as const)('a time before the start (2001) becomes the start time, via %s', async (via) => {
    backend = await startTestBackend({ retentionDays: 7 });
    const { id, data } = await finishedWith('2001-01-01T00:00:00.000Z', via);
    expect(data.completed_at).toBe(data.started_at);
    expect((await backend.backend.retention.cleanUp()).operationsDeleted).toBe(0);
    expect((await backend.call('GET', `/operations/${id}`)).status).toBe(200);
  });

  it.each(['outcome', 'registration'] as const)('a time in the future (9999) becomes now, so retention still applies, via %s', async (via) => {
    backend = await startTestBackend({ retentionDays: 7 });
    const { id, data } = await finishedWith('9999-12-31T23:59:59.000Z', via);
    expect(data.completed_at).toBe(new Date(backend.clock.now()).toISOString());
    backend.clock.advance(7 * DAY + 1);
    expect((await backend.backend.retention.cleanUp()).operationsDeleted).toBe(1);
    expect((await backend.call('GET', `/operations/${id}`)).status).toBe(404);
  });

  it('a time between the start and now is kept as the worker gave it', async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    await backend.register(a);
    const id = (await backend.call('POST', '/dummy/start', { steps: 10 })).body.operation_id as string;
    await backend.backend.dispatcher.whenIdle();
    backend.clock.advance(60_000);
    a.finish();
    const reported = new Date(backend.clock.now() - 30_000).toISOString(); // 30 s after the start
    await backend.as('worker', 'train-a').call('POST', `/operations/${id}/outcome`, { worker_id: 'train-a', status: 'completed', completed_at: reported });
    expect((await backend.call('GET', `/operations/${id}`)).body.data.completed_at).toBe(reported);
  });
});
