/**
 * Bounded input on the backend: per-route body limits answered with a 413 naming the limit (and the setting that
 * raises it), JSON depth and entry bounds checked before parsing, ids that fit every URL they travel in, model ids
 * that cannot name a summary or a parent directory, and no server directory in any answer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeWorkers } from './support/fake-worker.js';
import { startTestBackend, type TestBackend } from './support/harness.js';
import { modelArtifact } from './support/models.js';

// One backend for the file: starting one is the slow part, and no test here depends on another's leftovers.
let backend: TestBackend;
const worker = fakeWorkers();
const UPLOAD_LIMIT = 4 * 1024 * 1024;
const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-limits-data-'));
const modelsDir = mkdtempSync(join(tmpdir(), 'ktrdr-limits-models-'));
const strategiesDir = mkdtempSync(join(tmpdir(), 'ktrdr-limits-strategies-'));

beforeAll(async () => {
  backend = await startTestBackend({ uploadLimitBytes: UPLOAD_LIMIT, dataDir, modelsDir, strategiesDir });
}, 120_000);

afterAll(async () => {
  await backend?.stop();
}, 120_000);

const now = () => new Date(backend.clock.now()).toISOString();
const outcome = (extra: Record<string, unknown> = {}) => ({ worker_id: 'train-a', status: 'completed', completed_at: now(), ...extra });
/** Worker routes take the token of the worker they act for. */
const asWorker = (workerId: string) => backend.as('worker', workerId);
const TRAINING = 'op_training_limits';
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('body limits', () => {
  it('refuses an upload over KTRDR_HTTP_MAX_UPLOAD_MB with 413 naming the limit and the setting', async () => {
    const response = await asWorker('train-a').call('POST', '/operations/x/outcome', outcome({ results: 'x'.repeat(UPLOAD_LIMIT) }));
    expect(response.status).toBe(413);
    expect(response.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(response.body.error.message).toContain(`${UPLOAD_LIMIT} bytes POST /api/v1/operations/:id/outcome`);
    expect(response.body.error.message).toContain('KTRDR_HTTP_MAX_UPLOAD_MB');
    const under = await asWorker('train-a').call('POST', '/operations/x/outcome', outcome({ results: 'x'.repeat(UPLOAD_LIMIT - 1024) }));
    expect(under.status).toBe(404); // parsed and validated: the operation does not exist
  });

  it('gives routes that take no upload a limit of kilobytes, with no setting to raise it', async () => {
    const a = await worker('train-big');
    const response = await backend.register(a, { capabilities: { blob: 'x'.repeat(300 * 1024) } });
    expect(response.status).toBe(413);
    expect(response.body.error.message).toContain('262144 bytes POST /api/v1/workers/register');
    expect(response.body.error.message).not.toContain('KTRDR_HTTP_MAX_UPLOAD_MB');
    expect((await backend.call('POST', '/dummy/start', { steps: 1, padding: 'x'.repeat(65 * 1024) })).status).toBe(413);
  });

  it('refuses an array of 1,000,001 zeros as too many elements, before building it', async () => {
    const body = `{"worker_id":"train-a","status":"completed","completed_at":"${now()}","results":[${new Array(1_000_001).fill(0).join(',')}]}`;
    const response = await asWorker('train-a').call('POST', '/operations/x/outcome', body);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe('body.results: has more than 1000000 elements (the limit of every array and object in a request body)');
  });
});

describe('nesting', () => {
  it('answers a 100,000-level body with 400 naming the limit, and stays up', async () => {
    const text = `{"worker_id":"train-a","status":"completed","completed_at":"${now()}","results":${nested(100_000)}}`;
    const response = await asWorker('train-a').call('POST', '/operations/x/outcome', text);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/^body\.results\.a\.a.*: nested deeper than 64 levels/);
    expect((await backend.call('GET', '/health')).status).toBe(200);
  });

  it('answers depth 5,000 in a registration with 400, not a 500 from the store', async () => {
    const a = await worker('train-deep');
    const text = JSON.stringify(a.registration()).replace('"capabilities":{"cores":4,"memory_gb":8}', `"capabilities":${nested(5_000)}`);
    const response = await asWorker('train-deep').call('POST', '/workers/register', text);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('body.capabilities.a');
    expect((await backend.call('GET', '/workers/train-deep')).status).toBe(404);
  });

  it('keeps what real payloads need: 64 levels pass', async () => {
    const a = await worker('train-63');
    const text = JSON.stringify(a.registration()).replace('"capabilities":{"cores":4,"memory_gb":8}', `"capabilities":${nested(63)}`);
    expect((await asWorker('train-63').call('POST', '/workers/register', text)).status).toBe(200);
  });
});

describe('ids', () => {
  it('lets a worker id of 150 characters register and be looked up (its heartbeat), and refuses 201', async () => {
    const id = `w-${'x'.repeat(148)}`;
    const a = await worker(id);
    expect((await backend.register(a)).status).toBe(200);
    expect((await backend.call('GET', `/workers/${id}`)).status).toBe(200);
    const tooLong = await backend.register(a, { worker_id: 'y'.repeat(201) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toContain('body.worker_id');
    const lookUp = await backend.call('GET', `/workers/${'y'.repeat(201)}`);
    expect(lookUp.status).toBe(400);
    expect(lookUp.body.error.message).toContain('params.id');
  });

  it('refuses model ids ".", "..", hidden names and summary names at upload, and answers 4xx when asked for them', async () => {
    for (const id of ['.', '..', '.hidden', 'm.summary']) {
      const response = await asWorker('train-a').call('POST', '/models', modelArtifact(id, undefined, TRAINING));
      expect(response.status, id).toBe(400);
      expect(response.body.error.message).toContain('body.model_id');
    }
    await backend.store.operations.create({ operationId: TRAINING, operationType: 'training', workerType: 'training', params: {}, metadata: {}, createdAt: new Date(backend.clock.now()) });
    await backend.store.operations.update(TRAINING, { status: 'running', workerId: 'train-a', startedAt: new Date(backend.clock.now()) }, ['pending']);
    expect((await asWorker('train-a').call('POST', '/models', modelArtifact('m', undefined, TRAINING))).status).toBe(200);
    for (const path of ['/models/m.summary', '/models/%2e%2e', '/models/%2E', `/models/${'m'.repeat(100_000)}`]) {
      const response = await backend.call('GET', path);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
    }
    expect((await backend.call('GET', '/models/m')).status).toBe(200);
  });

  it('answers 404 for a model whose file is corrupt', async () => {
    writeFileSync(join(modelsDir, 'broken.json'), '{"model_id": "broken", "trunc');
    writeFileSync(join(modelsDir, 'foreign.json'), '{"something": "else"}');
    for (const id of ['broken', 'foreign']) {
      const response = await backend.call('GET', `/models/${id}`);
      expect(response.status).toBe(404);
      expect(response.body.error.message).toContain(`model '${id}' cannot be used`);
      const backtest = await backend.call('POST', '/backtests/start', { model: id });
      expect(backtest.status).toBe(404);
    }
  });

  it('answers 400 for a strategy name of 100,000 characters and a model id of 60,000 (under the route limit)', async () => {
    const strategy = await backend.call('POST', '/trainings/start', { strategy: 's'.repeat(100_000) });
    expect(strategy.status).toBe(400);
    expect(strategy.body.error.message).toContain('body.strategy');
    expect(strategy.body.error.message.length).toBeLessThan(500);
    const model = await backend.call('POST', '/backtests/start', { model: 'm'.repeat(60_000) });
    expect(model.status).toBe(400);
    expect(model.body.error.message).toContain('body.model');
  });
});

describe('server directories', () => {
  it('never appear in an answer: a missing strategy or data file is named relative to its setting', async () => {
    const strategy = await backend.call('POST', '/trainings/start', { strategy: 'absent' });
    expect(strategy.status).toBe(404);
    expect(strategy.body.error.message).toContain('KTRDR_DATA_STRATEGIES_DIR');
    const data = await backend.call('GET', '/data/EURUSD/1h');
    expect(data.status).toBe(404);
    expect(data.body.error.message).toContain('$KTRDR_DATA_DIR/EURUSD_1h.csv');
    for (const answer of [strategy, data]) {
      const text = JSON.stringify(answer.body);
      for (const directory of [dataDir, strategiesDir, tmpdir(), process.cwd()]) expect(text).not.toContain(directory);
    }
  });
});
