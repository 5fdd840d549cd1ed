import { afterEach, describe, expect, it } from 'vitest';
import { fakeWorkers } from './support/fake-worker.js';
import { startTestBackend, type TestBackend } from './support/harness.js';
import { seedPgliteDir } from '../support/db-template.js';

let backend: TestBackend;
const worker = fakeWorkers();

afterEach(async () => {
  await backend?.stop();
});

describe('worker health checks', () => {
  it('takes a failing worker to temporarily_unavailable after N failures, then removes it after the threshold', async () => {
    backend = await startTestBackend({ healthCheckFailures: 2, workerRemovalThresholdMs: 60_000 });
    const fake = await worker('train-flaky');
    await backend.register(fake);
    const checker = backend.backend.healthChecker.task;

    await checker.runOnce();
    let record = (await backend.call('GET', '/workers/train-flaky')).body;
    expect(record).toMatchObject({ status: 'available', health_check_failures: 0 });
    expect(record.last_health_check).toBe(new Date(backend.clock.now()).toISOString());
    expect(fake.authorizations.at(-1)).toMatch(/^Bearer /);

    fake.health = 'error';
    backend.clock.advance(10_000);
    await checker.runOnce();
    record = (await backend.call('GET', '/workers/train-flaky')).body;
    expect(record).toMatchObject({ status: 'available', health_check_failures: 1 });

    backend.clock.advance(10_000);
    await checker.runOnce();
    record = (await backend.call('GET', '/workers/train-flaky')).body;
    expect(record).toMatchObject({ status: 'temporarily_unavailable', health_check_failures: 2 });

    await fake.stop(); // now unreachable, not just erroring
    backend.clock.advance(30_000);
    await checker.runOnce();
    expect((await backend.call('GET', '/workers/train-flaky')).body.status).toBe('temporarily_unavailable');

    backend.clock.advance(20_000); // 60 s since it was last healthy
    await checker.runOnce();
    expect((await backend.call('GET', '/workers/train-flaky')).status).toBe(404);
  });

  it('brings a temporarily unavailable worker back when it answers again', async () => {
    backend = await startTestBackend({ healthCheckFailures: 1 });
    const fake = await worker('train-back');
    await backend.register(fake);
    fake.health = 'error';
    await backend.backend.healthChecker.task.runOnce();
    expect((await backend.call('GET', '/workers/train-back')).body.status).toBe('temporarily_unavailable');
    fake.health = 'ok';
    await backend.backend.healthChecker.task.runOnce();
    expect((await backend.call('GET', '/workers/train-back')).body).toMatchObject({ status: 'available', health_check_failures: 0 });
  });

  it('counts a health check that does not answer within the timeout as a failure', async () => {
    backend = await startTestBackend({ healthCheckFailures: 1, healthCheckTimeoutMs: 100 });
    const fake = await worker('train-slow');
    await backend.register(fake);
    fake.health = 'hang';
    await backend.backend.healthChecker.task.runOnce();
    expect((await backend.call('GET', '/workers/train-slow')).body).toMatchObject({ status: 'temporarily_unavailable', health_check_failures: 1 });
  });

  it('updates the operation a worker claims from its health answer', async () => {
    backend = await startTestBackend();
    const fake = await worker('train-claim');
    await backend.register(fake);
    const id = (await backend.call('POST', '/dummy/start', { steps: 5 })).body.operation_id as string;
    await backend.backend.dispatcher.whenIdle();
    await backend.backend.registry.releaseOperation('train-claim', id); // the registry lost track of what the worker runs
    expect((await backend.call('GET', '/workers/train-claim')).body).toMatchObject({ status: 'available', current_operation_id: null });
    await backend.backend.healthChecker.task.runOnce();
    expect((await backend.call('GET', '/workers/train-claim')).body).toMatchObject({ status: 'busy', current_operation_id: id });
    fake.finish();
    await backend.backend.healthChecker.task.runOnce();
    expect((await backend.call('GET', '/workers/train-claim')).body).toMatchObject({ status: 'available', current_operation_id: null });
  });

  it("keeps workers' last known state in the store across a backend restart", async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openStore } = await import('../../src/store/index.js');
    const dir = join(mkdtempSync(join(tmpdir(), 'ktrdr-backend-db-')), 'db');
    await seedPgliteDir(dir);
    const open = () => openStore({ driver: 'pglite', dir, host: '', port: 5432, name: '', user: '', password: '', echo: false });
    const fake = await worker('train-persist');
    backend = await startTestBackend({ store: await open() });
    await backend.register(fake);
    const submitted = await backend.call('POST', '/dummy/start', { steps: 5 });
    await backend.backend.dispatcher.whenIdle();
    expect(fake.starts.map((start) => start.operation_id)).toEqual([submitted.body.operation_id]);
    await backend.stop();

    backend = await startTestBackend({ store: await open() });
    expect((await backend.call('GET', '/workers/train-persist')).body).toMatchObject({
      worker_id: 'train-persist',
      endpoint_url: fake.url,
      status: 'busy',
      current_operation_id: submitted.body.operation_id,
    });
    expect((await backend.call('GET', `/operations/${submitted.body.operation_id}`)).body.data).toMatchObject({ status: 'running', worker_id: 'train-persist' });
  });
});
