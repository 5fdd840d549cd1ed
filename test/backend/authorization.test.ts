/**
 * Who may call what on the backend: the roles every route declares (checked against a hand-written table of the
 * important ones, and for every route × every role it does not admit), tokens that are too long-lived or lack
 * claims, workers acting for other workers or on operations that are not theirs, registrations that would move a
 * live worker id, and refused releases that must not drain the worker.
 */
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN_ISSUER, type TokenRole } from '../../src/auth/tokens.js';
import { declaredRoutes, PUBLIC, type RouteRoles } from '../../src/http/access-control.js';
import { fakeWorkers } from './support/fake-worker.js';
import { startTestBackend, TEST_SECRET, type TestBackend } from './support/harness.js';

let backend: TestBackend;
const worker = fakeWorkers();

afterEach(async () => {
  await backend?.stop();
});

const ROLES: readonly TokenRole[] = ['cli', 'worker', 'backend'];

/** Written by hand, so that a route whose declaration changes by mistake fails here. */
const EXPECTED: Record<string, RouteRoles> = {
  'GET /health': PUBLIC,
  'GET /metrics': PUBLIC,
  'POST /api/v1/workers/register': ['worker'],
  'GET /api/v1/workers': ['cli'],
  'GET /api/v1/workers/:id': ['cli', 'worker'],
  'DELETE /api/v1/workers/:id': ['worker'],
  'GET /api/v1/operations': ['cli'],
  'POST /api/v1/operations/prune': ['cli'],
  'GET /api/v1/operations/:id': ['cli'],
  'DELETE /api/v1/operations/:id': ['cli'],
  'POST /api/v1/operations/:id/resume': ['cli'],
  'GET /api/v1/operations/:id/checkpoints': ['cli'],
  'GET /api/v1/operations/:id/results': ['cli'],
  'POST /api/v1/operations/:id/checkpoints': ['worker'],
  'POST /api/v1/operations/:id/outcome': ['worker'],
  'POST /api/v1/operations/:id/release': ['worker'],
  'POST /api/v1/dummy/start': ['cli'],
  'POST /api/v1/trainings/start': ['cli'],
  'POST /api/v1/backtests/start': ['cli'],
  'GET /api/v1/data': ['cli'],
  'GET /api/v1/data/:symbol/:timeframe': ['cli', 'worker'],
  'GET /api/v1/data/context/:provider/:series': ['cli', 'worker'],
  'GET /api/v1/models': ['cli'],
  'GET /api/v1/models/:id': ['cli', 'worker'],
  'POST /api/v1/models': ['worker'],
  'DELETE /api/v1/models/:id': ['cli'],
  'GET /api/v1/events': ['cli'],
  'GET /api/v1/config': ['cli'],
  'GET /api/v1/strategies': ['cli'],
  'GET /': PUBLIC,
  'GET /assets/:file': PUBLIC,
};

const samplePath = (url: string) =>
  url.replace(':symbol', 'EURUSD').replace(':timeframe', '1h').replace(':provider', 'fred').replace(':series', 'DGS10').replace(':id', 'sample').replace(/\*$/, 'sample');

async function submit(steps = 50): Promise<string> {
  const response = await backend.call('POST', '/dummy/start', { steps });
  expect(response.status).toBe(200);
  return response.body.operation_id as string;
}

const show = async (id: string) => (await backend.call('GET', `/operations/${id}`)).body.data;
const dispatch = () => backend.backend.dispatcher.whenIdle();
const now = () => new Date(backend.clock.now()).toISOString();

/** Signs claims as they are, so that tokens the TokenService would never issue can be tried. */
async function rawToken(claims: { sub?: string; role?: string; iat?: number; exp?: number }): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuer(TOKEN_ISSUER).sign(new TextEncoder().encode(TEST_SECRET));
}

/** A running 50-step operation on fake worker A, and a second registered worker B. */
async function operationOnA() {
  backend = await startTestBackend();
  const a = await worker('train-a');
  const b = await worker('train-b');
  await backend.register(a);
  await backend.register(b);
  const id = await submit();
  await dispatch();
  const before = await show(id);
  expect(before).toMatchObject({ status: 'running', worker_id: expect.stringMatching(/^train-[ab]$/) });
  const owner = before.worker_id as string;
  const other = owner === 'train-a' ? 'train-b' : 'train-a';
  return { a, b, id, owner, other, before };
}

describe('route declarations', () => {
  it('every route declares its roles, and the important ones declare exactly the expected ones', async () => {
    backend = await startTestBackend();
    const routes = declaredRoutes(backend.backend.http);
    expect(routes.length).toBeGreaterThan(Object.keys(EXPECTED).length);
    const undeclared = routes.filter((route) => route.roles === undefined).map((route) => `${route.method} ${route.url}`);
    expect(undeclared).toEqual([]);
    for (const [route, roles] of Object.entries(EXPECTED)) {
      const [method, url] = route.split(' ');
      const declared = routes.find((candidate) => candidate.method === method && candidate.url === url);
      expect(declared, route).toBeDefined();
      expect(declared?.roles === PUBLIC ? PUBLIC : [...(declared?.roles ?? [])].sort(), route).toEqual(roles === PUBLIC ? PUBLIC : [...roles].sort());
    }
    // Worker tokens act only for themselves wherever a request names a worker.
    for (const route of ['POST /api/v1/workers/register', 'GET /api/v1/workers/:id', 'DELETE /api/v1/workers/:id', 'POST /api/v1/operations/:id/checkpoints', 'POST /api/v1/operations/:id/outcome', 'POST /api/v1/operations/:id/release']) {
      const [method, url] = route.split(' ');
      expect(routes.find((candidate) => candidate.method === method && candidate.url === url)?.actsFor, route).toBeDefined();
    }
  });

  it('every route × every role it does not admit: 403 naming the role, the route and who is admitted; admitted roles pass', async () => {
    backend = await startTestBackend();
    for (const route of declaredRoutes(backend.backend.http)) {
      if (route.roles === PUBLIC || route.method === 'OPTIONS') continue;
      const path = samplePath(route.url);
      for (const role of ROLES) {
        const response = await backend.as(role, 'sample').call(route.method, path, route.method === 'POST' ? {} : undefined);
        const label = `${role} ${route.method} ${route.url}`;
        if (route.roles?.includes(role)) {
          expect([401, 403], label).not.toContain(response.status);
        } else {
          expect(response.status, label).toBe(403);
          if (route.method === 'HEAD') continue;
          expect(response.body.error.code, label).toBe('FORBIDDEN');
          expect(response.body.error.message, label).toContain(`a ${role} token may not call ${route.method} ${route.url}; it admits: ${route.roles?.join(', ')}`);
        }
      }
    }
  });

  it('public routes need no token', async () => {
    backend = await startTestBackend();
    for (const route of declaredRoutes(backend.backend.http)) {
      if (route.roles !== PUBLIC || route.method !== 'GET' || route.url.includes('*')) continue;
      const response = await backend.call('GET', samplePath(route.url), undefined, { authorization: '' });
      expect([401, 403], route.url).not.toContain(response.status);
    }
  });
});

describe('token claims', () => {
  it('401 for a token without exp, without a subject, with an unknown role, or living longer than KTRDR_AUTH_TOKEN_EXPIRE_MINUTES', async () => {
    backend = await startTestBackend();
    const nowSeconds = Math.floor(backend.clock.now() / 1000);
    const YEAR = 365 * 24 * 3600;
    const cases: [string, Record<string, unknown>, string][] = [
      ['no exp', { sub: 'x', role: 'cli', iat: nowSeconds }, 'no expiry'],
      ['300 years', { sub: 'x', role: 'cli', iat: nowSeconds, exp: nowSeconds + 300 * YEAR }, 'exceeds KTRDR_AUTH_TOKEN_EXPIRE_MINUTES=60'],
      ['300 years without iat', { sub: 'x', role: 'cli', exp: nowSeconds + 300 * YEAR }, 'exceeds KTRDR_AUTH_TOKEN_EXPIRE_MINUTES=60'],
      ['issued in the future', { sub: 'x', role: 'cli', iat: nowSeconds + YEAR, exp: nowSeconds + YEAR + 60 }, 'exceeds KTRDR_AUTH_TOKEN_EXPIRE_MINUTES=60'],
      ['62 minutes', { sub: 'x', role: 'cli', iat: nowSeconds, exp: nowSeconds + 62 * 60 }, 'exceeds'],
      ['no subject', { role: 'cli', iat: nowSeconds, exp: nowSeconds + 600 }, '"sub"'],
      ['unknown role', { sub: 'x', role: 'admin', iat: nowSeconds, exp: nowSeconds + 600 }, 'no valid role'],
    ];
    for (const [label, claims, message] of cases) {
      const response = await backend.call('GET', '/operations', undefined, { authorization: `Bearer ${await rawToken(claims)}` });
      expect(response.status, label).toBe(401);
      expect(response.body.error.message, label).toContain(message);
    }
    // Within the lifetime plus the leeway: accepted.
    const fine = await rawToken({ sub: 'x', role: 'cli', iat: nowSeconds, exp: nowSeconds + 60 * 60 + 30 });
    expect((await backend.call('GET', '/operations', undefined, { authorization: `Bearer ${fine}` })).status).toBe(200);
  });
});

describe('worker callbacks from other workers', () => {
  it("a forged checkpoint from another worker's token is refused (403) and the operation is unaffected", async () => {
    const { id, owner, other, before } = await operationOnA();
    const checkpoint = { units: 50, state: { step: 50 }, reason: 'interval' };
    const impersonating = await backend.as('worker', other).call('POST', `/operations/${id}/checkpoints`, { ...checkpoint, worker_id: owner });
    expect(impersonating.status).toBe(403);
    expect(impersonating.body.error.message).toContain(`the token of worker '${other}' may not act for worker '${owner}' (body.worker_id) on POST /api/v1/operations/:id/checkpoints; a worker acts only for itself`);
    const ownName = await backend.as('worker', other).call('POST', `/operations/${id}/checkpoints`, { ...checkpoint, worker_id: other });
    expect(ownName.status).toBe(403);
    expect(ownName.body.error.message).toContain(`assigned to worker '${owner}'`);
    expect((await backend.call('GET', `/operations/${id}/checkpoints`)).body.data).toEqual([]);
    expect(await show(id)).toEqual(before);
    // The owner's own checkpoint is taken.
    expect((await backend.as('worker', owner).call('POST', `/operations/${id}/checkpoints`, { ...checkpoint, worker_id: owner })).status).toBe(200);
  });

  it("a forged outcome or progress from another worker's token is refused (403) and the operation is unaffected", async () => {
    const { id, owner, other, before } = await operationOnA();
    const forged = {
      status: 'completed',
      result_summary: { steps: 50 },
      completed_at: now(),
      progress: { percentage: 100, current_step: 'done', steps_completed: 50, steps_total: 50, items_processed: 50, items_total: 50, context: {} },
    };
    for (const workerId of [owner, other]) {
      const response = await backend.as('worker', other).call('POST', `/operations/${id}/outcome`, { ...forged, worker_id: workerId });
      expect(response.status, workerId).toBe(403);
    }
    expect(await show(id)).toEqual(before);
    expect((await backend.call('GET', `/workers/${owner}`)).body).toMatchObject({ status: 'busy', current_operation_id: id });
  });

  it("a forged release from another worker's token is refused (403); the operation stays, and neither worker is drained", async () => {
    const { a, b, id, owner, other, before } = await operationOnA();
    for (const workerId of [owner, other]) {
      const response = await backend.as('worker', other).call('POST', `/operations/${id}/release`, { worker_id: workerId, reason: 'shutdown' });
      expect(response.status, workerId).toBe(403);
    }
    expect(await show(id)).toEqual(before);
    // The other worker still gets work.
    const next = await submit(5);
    await dispatch();
    expect([...a.starts, ...b.starts].map((start) => start.operation_id)).toContain(next);
  });

  it('a refused release (the operation is not running there any more) does not drain the worker', async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    await backend.register(a);
    const first = await submit(5);
    await dispatch();
    a.finish();
    const done = await backend.as('worker', 'train-a').call('POST', `/operations/${first}/outcome`, { worker_id: 'train-a', status: 'completed', completed_at: now() });
    expect(done.status).toBe(200);

    const late = await backend.as('worker', 'train-a').call('POST', `/operations/${first}/release`, { worker_id: 'train-a', reason: 'shutdown' });
    expect(late.status).toBe(409);
    const second = await submit(5);
    await dispatch();
    expect(a.starts.map((start) => start.operation_id)).toEqual([first, second]);
  });

  it('a model is accepted only from the worker its operation is assigned to', async () => {
    const { id, owner, other } = await operationOnA();
    const artifact = {
      model_id: 'model_forged',
      created_at: now(),
      operation_id: id,
      strategy_name: 's',
      symbol: 'EURUSD',
      timeframe: '1h',
      labels: ['BUY', 'HOLD', 'SELL'],
      confidence_threshold: 0.4,
      periods: { train: { start: now(), end: now(), rows: 1 }, validation: { start: now(), end: now(), rows: 1 }, test: { start: now(), end: now(), rows: 1 } },
      metrics: { test_accuracy: 0, test_loss: 0, precision: {}, recall: {}, test_rows: 1, epochs_trained: 1, best_epoch: 1 },
      strategy_yaml: '',
      feature_spec: {},
      network: {},
    };
    const forged = await backend.as('worker', other).call('POST', '/models', artifact);
    expect(forged.status).toBe(403);
    expect(forged.body.error.message).toContain(`assigned to worker '${owner}'`);
    const unnamed = await backend.as('worker', owner).call('POST', '/models', { ...artifact, operation_id: null });
    expect(unnamed.status).toBe(403);
    expect((await backend.call('GET', '/models/model_forged')).status).toBe(404);
    expect((await backend.as('worker', owner).call('POST', '/models', artifact)).status).toBe(200);
  });
});

describe('users and workers', () => {
  it('cancel by a worker token is 403; the operation keeps running', async () => {
    const { id, owner, before } = await operationOnA();
    const response = await backend.as('worker', owner).call('DELETE', `/operations/${id}`);
    expect(response.status).toBe(403);
    expect(response.body.error.message).toBe(`a worker token may not call DELETE /api/v1/operations/:id; it admits: cli`);
    expect(await show(id)).toEqual(before);
  });

  it("a worker may not read, deregister or register another worker's id", async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    await backend.register(a);
    const mallory = backend.as('worker', 'train-m');
    expect((await mallory.call('GET', '/workers/train-a')).status).toBe(403);
    expect((await mallory.call('DELETE', '/workers/train-a')).status).toBe(403);
    expect((await mallory.call('POST', '/workers/register', { ...a.registration(), endpoint_url: 'http://127.0.0.1:9/' })).status).toBe(403);
    expect((await backend.call('GET', '/workers/train-a')).body).toMatchObject({ endpoint_url: a.url, status: 'available' });
  });
});

describe('registration', () => {
  it('refuses to move a live worker id to another endpoint (409 naming it), and allows it once the old endpoint is gone', async () => {
    backend = await startTestBackend();
    const a = await worker('train-a');
    const elsewhere = await worker('train-elsewhere');
    await backend.register(a);

    const moved = await backend.register(a, { endpoint_url: elsewhere.url });
    expect(moved.status).toBe(409);
    expect(moved.body.error.message).toContain(`worker 'train-a' is registered at ${a.url} and still answers there`);
    expect((await backend.call('GET', '/workers/train-a')).body.endpoint_url).toBe(a.url);

    await a.stop();
    const restarted = await backend.register(a, { endpoint_url: elsewhere.url });
    expect(restarted.status).toBe(200);
    expect((await backend.call('GET', '/workers/train-a')).body.endpoint_url).toBe(elsewhere.url);
  });

  it('allows the move when the old endpoint answers as another worker (the id is not there any more)', async () => {
    backend = await startTestBackend();
    const c = await worker('train-c');
    const elsewhere = await worker('train-elsewhere');
    expect((await backend.register(c, { worker_id: 'train-x' })).status).toBe(200);
    const moved = await backend.register(elsewhere, { worker_id: 'train-x' });
    expect(moved.status).toBe(200);
    expect(moved.body.endpoint_url).toBe(elsewhere.url);
  });
});
