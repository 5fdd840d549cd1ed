import { afterEach, describe, expect, it } from 'vitest';
import { fakeWorkers } from './support/fake-worker.js';
import { eventually, startTestBackend, type TestBackend } from './support/harness.js';

let backend: TestBackend;
const worker = fakeWorkers();

afterEach(async () => {
  await backend?.stop();
});

async function submit(body: Record<string, unknown> = {}): Promise<string> {
  const response = await backend.call('POST', '/dummy/start', { steps: 5, ...body });
  expect(response.status).toBe(200);
  return response.body.operation_id as string;
}

const status = async (id: string) => (await backend.call('GET', `/operations/${id}`)).body.data;
const dispatch = () => backend.backend.dispatcher.whenIdle();

describe('dispatcher', () => {
  it('queues operations FIFO per worker type and never gives a worker two operations', async () => {
    backend = await startTestBackend();
    const first = await submit();
    const second = await submit();
    const third = await submit();
    const backtest = await submit({ worker_type: 'backtesting' });
    expect((await status(first)).status).toBe('pending');

    const a = await worker('train-a');
    await backend.register(a);
    await dispatch();
    expect(a.starts.map((start) => start.operation_id)).toEqual([first]);
    expect(a.starts[0]).toMatchObject({ operation_type: 'dummy', params: { steps: 5 }, checkpoint: null });
    expect(await status(first)).toMatchObject({ status: 'running', worker_id: 'train-a' });

    const b = await worker('train-b');
    await backend.register(b);
    await dispatch();
    expect(b.starts.map((start) => start.operation_id)).toEqual([second]);
    expect((await status(third)).status).toBe('pending');
    expect((await status(backtest)).status).toBe('pending');

    // A finishes: it gets the next one in line, nobody gets a second one at once.
    a.finish();
    await backend.as('worker', 'train-a').call('POST', `/operations/${first}/outcome`, {
      worker_id: 'train-a',
      status: 'completed',
      result_summary: { steps: 5, resumed_from_step: null },
      completed_at: new Date(backend.clock.now()).toISOString(),
    });
    await dispatch();
    expect(a.starts.map((start) => start.operation_id)).toEqual([first, third]);
    expect(b.starts).toHaveLength(1);

    const c = await worker('back-c', 'backtesting');
    await backend.register(c);
    await dispatch();
    expect(c.starts.map((start) => start.operation_id)).toEqual([backtest]);
  });

  it('starts operations on other workers while one worker has not answered its start request yet', async () => {
    backend = await startTestBackend({ workerRequestTimeoutMs: 20_000 });
    const slow = await worker('train-slow');
    slow.startBehaviour = 'accept-then-hang';
    await backend.register(slow);
    const first = await submit();
    await eventually('the slow worker to receive its start request', async () => slow.held === 1);

    // The pass that sent it is still waiting for the answer; the next operation goes to another worker meanwhile.
    const fast = await worker('train-fast');
    await backend.register(fast);
    const second = await submit();
    await eventually('the fast worker to be started', async () => fast.starts.length === 1);
    expect(fast.starts.map((start) => start.operation_id)).toEqual([second]);
    expect(await status(second)).toMatchObject({ status: 'running', worker_id: 'train-fast' });
    expect(slow.held).toBe(1);

    slow.releaseHeld();
    await dispatch();
    expect(await status(first)).toMatchObject({ status: 'running', worker_id: 'train-slow' });
    expect(slow.starts.map((start) => start.operation_id)).toEqual([first]);
  });

  it('puts the operation back to pending when the worker does not answer, and counts a health failure', async () => {
    backend = await startTestBackend({ workerRequestTimeoutMs: 150 });
    const silent = await worker('train-silent');
    silent.startBehaviour = 'hang';
    await backend.register(silent);
    const id = await submit();
    await dispatch();
    expect(await status(id)).toMatchObject({ status: 'pending', worker_id: null, started_at: null });
    expect((await backend.call('GET', '/workers/train-silent')).body).toMatchObject({ status: 'available', health_check_failures: 1, current_operation_id: null });

    const gone = await worker('train-gone');
    await gone.stop(); // registered, but its port refuses connections
    await backend.register(gone);
    await dispatch();
    expect((await status(id)).status).toBe('pending');
    expect((await backend.call('GET', '/workers/train-gone')).body.health_check_failures).toBe(1);

    const good = await worker('train-good');
    await backend.register(good);
    await dispatch();
    expect(await status(id)).toMatchObject({ status: 'running', worker_id: 'train-good' });
    expect(good.starts.map((start) => start.operation_id)).toEqual([id]);
  });

  it('leaves the operation pending when the worker says it is busy, and fails it when the worker rejects it', async () => {
    backend = await startTestBackend();
    const busy = await worker('train-busy');
    busy.startBehaviour = 'busy';
    await backend.register(busy);
    const id = await submit();
    await dispatch();
    expect((await status(id)).status).toBe('pending');
    expect((await backend.call('GET', '/workers/train-busy')).body).toMatchObject({ status: 'busy', health_check_failures: 0 });

    await backend.as('worker', 'train-busy').call('DELETE', '/workers/train-busy');
    const picky = await worker('train-picky');
    picky.startBehaviour = 'reject';
    await backend.register(picky);
    await dispatch();
    const failed = await status(id);
    expect(failed.status).toBe('failed');
    expect(failed.error_message).toMatch(/worker train-picky rejected the operation: .*params\.steps/);
    expect((await backend.call('GET', '/workers/train-picky')).body.status).toBe('available');
  });

  it('serves progress from a snapshot refreshed from the worker when older than the cache TTL', async () => {
    backend = await startTestBackend({ opsCacheTtlMs: 1_000 });
    const a = await worker('train-progress');
    await backend.register(a);
    const id = await submit();
    await dispatch();

    a.progress = { ...a.progress, percentage: 30, steps_completed: 3 };
    expect((await status(id)).progress).toMatchObject({ percentage: 30, steps_completed: 3 });
    expect(a.statusRequests).toBe(1);

    a.progress = { ...a.progress, percentage: 60, steps_completed: 6 };
    expect((await status(id)).progress.percentage).toBe(30);
    expect(a.statusRequests).toBe(1);

    backend.clock.advance(1_000);
    expect((await status(id)).progress).toMatchObject({ percentage: 60, steps_completed: 6 });
    expect(a.statusRequests).toBe(2);

    // An unreachable worker: the last snapshot is served, not an error.
    await a.stop();
    backend.clock.advance(1_000);
    const stale = await backend.call('GET', `/operations/${id}`);
    expect(stale.status).toBe(200);
    expect(stale.body.data.progress.percentage).toBe(60);
  });

  it('refreshes progress on every read when the cache TTL is 0', async () => {
    backend = await startTestBackend({ opsCacheTtlMs: 0 });
    const a = await worker('train-nocache');
    await backend.register(a);
    const id = await submit();
    await dispatch();
    for (const percentage of [10, 20, 30]) {
      a.progress = { ...a.progress, percentage };
      expect((await status(id)).progress.percentage).toBe(percentage);
    }
    expect(a.statusRequests).toBe(3);
  });
});
