import { afterEach, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/auth/tokens.js';
import { fakeWorkers } from './support/fake-worker.js';
import { startTestBackend, TEST_SECRET, type TestBackend } from './support/harness.js';

let backend: TestBackend;
const worker = fakeWorkers();

afterEach(async () => {
  await backend?.stop();
});

describe('backend HTTP API', () => {
  it('accepts the registration body exactly as the earlier Python workers send it', async () => {
    backend = await startTestBackend();
    const body = {
      worker_id: 'backtest-worker-1',
      worker_type: 'backtesting',
      endpoint_url: 'http://192.168.1.201:5003',
      capabilities: { cores: 4, memory_gb: 8 },
      current_operation_id: null,
      completed_operations: [],
    };
    const response = await backend.as('worker', 'backtest-worker-1').call('POST', '/workers/register', body);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      worker_id: 'backtest-worker-1',
      worker_type: 'backtesting',
      endpoint_url: 'http://192.168.1.201:5003',
      status: 'available',
      current_operation_id: null,
      capabilities: { cores: 4, memory_gb: 8 },
      health_check_failures: 0,
    });
    const listed = await backend.call('GET', '/workers?worker_type=backtesting');
    expect(listed.body.map((w: { worker_id: string }) => w.worker_id)).toEqual(['backtest-worker-1']);
    expect((await backend.call('GET', '/workers?worker_type=training')).body).toEqual([]);
  });

  it('lists, shows and deregisters workers; unknown ids are 404', async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    const b = await worker('back-b', 'backtesting');
    await backend.register(a);
    await backend.register(b);
    expect((await backend.call('GET', '/workers')).body).toHaveLength(2);
    expect((await backend.call('GET', '/workers?status=available')).body).toHaveLength(2);
    expect((await backend.call('GET', '/workers/train-a')).body.worker_type).toBe('training');

    expect((await backend.as('worker', 'train-a').call('DELETE', '/workers/train-a')).body).toEqual({ success: true, worker_id: 'train-a' });
    const gone = await backend.call('GET', '/workers/train-a');
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: "worker 'train-a' not found" } });
    expect((await backend.as('worker', 'train-a').call('DELETE', '/workers/train-a')).status).toBe(404);
    expect((await backend.call('GET', '/operations/op_nope')).status).toBe(404);
    expect((await backend.call('DELETE', '/operations/op_nope')).status).toBe(404);
    expect((await backend.call('POST', '/operations/op_nope/resume')).status).toBe(404);
    expect((await backend.call('GET', '/operations/op_nope/results')).status).toBe(404);
    expect((await backend.call('GET', '/no/such/route')).status).toBe(404);
  });

  it('re-registering the same id is idempotent and a new id on the same endpoint replaces the stale one', async () => {
    backend = await startTestBackend();
    const fake = await worker('train-old');
    expect((await backend.register(fake)).status).toBe(200);
    expect((await backend.register(fake)).status).toBe(200);
    expect((await backend.call('GET', '/workers')).body).toHaveLength(1);

    const registered = await backend.as('worker', 'train-new').call('POST', '/workers/register', { ...fake.registration(), worker_id: 'train-new', endpoint_url: `${fake.url}/` });
    expect(registered.status).toBe(200);
    const ids = (await backend.call('GET', '/workers')).body.map((w: { worker_id: string }) => w.worker_id);
    expect(ids).toEqual(['train-new']);
    expect((await backend.call('GET', '/workers/train-old')).status).toBe(404);
  });

  it('answers 401 with a clear message for a missing, malformed, expired or foreign token', async () => {
    backend = await startTestBackend();
    const missing = await backend.call('GET', '/workers', undefined, { authorization: '' });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(missing.body.error.message).toMatch(/missing bearer token/);

    const malformed = await backend.call('GET', '/workers', undefined, { authorization: 'Token abc' });
    expect(malformed.status).toBe(401);
    expect(malformed.body.error.message).toMatch(/malformed Authorization header/);

    const expired = await backend.backend.tokens.issue('cli', 'cli', 1);
    backend.clock.advance(2 * 60_000);
    const late = await backend.call('GET', '/workers', undefined, { authorization: `Bearer ${expired}` });
    expect(late.status).toBe(401);
    expect(late.body.error.message).toMatch(/token expired at/);

    const foreign = await new TokenService('some-other-secret', 60, backend.clock).issue('cli', 'cli');
    const rejected = await backend.call('POST', '/dummy/start', {}, { authorization: `Bearer ${foreign}` });
    expect(rejected.status).toBe(401);
    expect(rejected.body.error.message).toMatch(/KTRDR_AUTH_JWT_SECRET/);
    expect((await backend.call('GET', '/operations')).body.total_count).toBe(0);

    const own = await new TokenService(TEST_SECRET, 60, backend.clock).issue('cli', 'cli');
    expect((await backend.call('GET', '/workers', undefined, { authorization: `Bearer ${own}` })).status).toBe(200);
  });

  it('serves /health, /metrics and the docs without a token', async () => {
    backend = await startTestBackend();
    const open = { authorization: '' };
    const health = await backend.call('GET', '/health', undefined, open);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', service: 'ktrdr-backend' });

    const docs = await fetch(`${backend.url}/api/v1/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
    const spec = await backend.call('GET', '/api/v1/docs/json', undefined, open);
    expect(spec.status).toBe(200);
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/api/v1/workers/register', '/api/v1/dummy/start', '/api/v1/operations/{id}']));
    expect(spec.body.paths['/api/v1/dummy/start'].post.requestBody.content['application/json'].schema.properties.steps).toBeDefined();

    const metrics = await backend.call('GET', '/metrics', undefined, open);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
  });

  it('exposes workers by status, operations by status and the dispatch latency in /metrics', async () => {
    backend = await startTestBackend();
    const fake = await worker('train-m');
    await backend.register(fake);
    await backend.call('POST', '/dummy/start', { steps: 3 });
    await backend.backend.dispatcher.whenIdle();
    await backend.call('POST', '/dummy/start', { steps: 3 });
    const text: string = (await backend.call('GET', '/metrics')).body;
    expect(text).toContain('ktrdr_workers{status="busy"} 1');
    expect(text).toContain('ktrdr_workers{status="available"} 0');
    expect(text).toContain('ktrdr_operations{status="running"} 1');
    expect(text).toContain('ktrdr_operations{status="pending"} 1');
    expect(text).toContain('ktrdr_dispatch_latency_seconds_count 1');
  });

  it('answers 400 naming the field for malformed bodies and bad query values, and keeps serving', async () => {
    backend = await startTestBackend();
    const badSteps = await backend.call('POST', '/dummy/start', { steps: 0 });
    expect(badSteps.status).toBe(400);
    expect(badSteps.body.success).toBe(false);
    expect(badSteps.body.error.code).toBe('VALIDATION_ERROR');
    expect(badSteps.body.error.message).toMatch(/^body\.steps: .*>=\s?1.*\(got 0\)/);

    const wrongType = await backend.call('POST', '/dummy/start', { steps: 'many', worker_type: 'gpu' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toMatch(/body\.steps: .*\(got "many"\)/);
    expect(wrongType.body.error.message).toMatch(/body\.worker_type: .*\(got "gpu"\)/);

    const malformedJson = await backend.call('POST', '/dummy/start', '{"steps": 3,');
    expect(malformedJson.status).toBe(400);
    expect(malformedJson.body.error.message).toMatch(/^body: /);

    const missingFields = await backend.as('worker', 'x').call('POST', '/workers/register', { worker_id: 'x' });
    expect(missingFields.status).toBe(400);
    expect(missingFields.body.error.message).toMatch(/body\.worker_type: .*\(missing\)/);
    expect(missingFields.body.error.message).toMatch(/body\.endpoint_url: .*\(missing\)/);

    const badUrl = await backend.as('worker', 'x').call('POST', '/workers/register', { worker_id: 'x', worker_type: 'training', endpoint_url: 'ftp://nope' });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.message).toMatch(/body\.endpoint_url/);

    const notAnObject = await backend.as('worker', 'x').call('POST', '/workers/register', '[1,2]');
    expect(notAnObject.status).toBe(400);
    expect(notAnObject.body.error.message).toMatch(/^body: /);

    const badLimit = await backend.call('GET', '/operations?limit=abc');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.message).toMatch(/^querystring\.limit: .*\(got "abc"\)/);
    const zeroLimit = await backend.call('GET', '/operations?limit=0');
    expect(zeroLimit.body.error.message).toMatch(/^querystring\.limit: /);
    const badStatus = await backend.call('GET', '/operations?status=finished');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.message).toMatch(/^querystring\.status: .*\(got "finished"\)/);
    expect((await backend.call('GET', '/workers?status=sleeping')).body.error.message).toMatch(/^querystring\.status/);

    const badOutcome = await backend.as('worker', 'w').call('POST', '/operations/op_x/outcome', { worker_id: 'w', status: 'done' });
    expect(badOutcome.status).toBe(400);
    expect(badOutcome.body.error.message).toMatch(/body\.status/);

    // Nothing was stored by the bad requests, and the server still works.
    const list = await backend.call('GET', '/operations?limit=5');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ success: true, data: [], total_count: 0, active_count: 0 });
  });

  it('refuses registrations with 503 and Retry-After while shutting down', async () => {
    backend = await startTestBackend({ retryAfterSeconds: 7 });
    const fake = await worker('train-late');
    backend.backend.registry.refuseRegistrations();
    const refused = await backend.register(fake);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('7');
    expect(refused.body.error.code).toBe('SHUTTING_DOWN');
    expect((await backend.call('GET', '/workers')).body).toEqual([]);
  });

  it('submits a dummy operation with the documented defaults and lists it', async () => {
    backend = await startTestBackend();
    const started = await backend.call('POST', '/dummy/start', {});
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ success: true, status: 'pending' });
    const shown = await backend.call('GET', `/operations/${started.body.operation_id}`);
    expect(shown.body.data).toMatchObject({
      operation_type: 'dummy',
      status: 'pending',
      worker_id: null,
      progress: { percentage: 0 },
    });
    const stored = await backend.backend.operations.require(started.body.operation_id);
    expect(stored.params).toEqual({ steps: 10, step_delay_ms: 100, fail_at_step: null, worker_type: 'training' });
    const list = await backend.call('GET', '/operations?status=pending&operation_type=dummy');
    expect(list.body).toMatchObject({ success: true, total_count: 1, active_count: 1 });
  });
});
