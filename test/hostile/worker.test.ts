/**
 * Hostile input against every route of a real worker (ephemeral port, a fake backend): path tricks in each path
 * parameter, every kind of token, and fast-check bodies. No answer is a 5xx or shows a server directory, and
 * /health answers within a second during and after each request.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBackend } from '../worker/fake-backend.js';
import { buildTestWorker, SECRET, tokens, type TestWorker } from '../worker/harness.js';
import {
  BODY_RUNS,
  expectPathTricksSurvived,
  expectSurvives,
  expectTokenKindsSurvived,
  hostileBodies,
  pathFor,
  plainValue,
  routesOf,
  takesBody,
} from './support/hostile.js';

const UPLOAD_MB = 2;
/** Above the start route's limit (the upload limit plus the params allowance). */
const OVER_LIMIT = (UPLOAD_MB + 1) * 1024 * 1024;

let fakeBackend: FakeBackend;
let worker: TestWorker;
let base: URL;
let backendToken: string;
let app: FastifyInstance;

beforeAll(async () => {
  fakeBackend = new FakeBackend(tokens);
  await fakeBackend.start(0);
  worker = buildTestWorker({ backendUrl: fakeBackend.baseUrl, workerType: 'backtesting', maxUploadMb: UPLOAD_MB });
  const { port } = await worker.runtime.start();
  base = new URL(`http://127.0.0.1:${port}`);
  app = await worker.runtime.app();
  backendToken = `Bearer ${await tokens.issue('backend', 'backend')}`;
}, 120_000);

afterAll(async () => {
  await worker?.runtime.stop();
  await fakeBackend?.stop();
}, 120_000);

const routes = () => routesOf(app);

describe('hostile input on a worker', () => {
  it('covers every route', () => {
    expect(routes().map((route) => `${route.method} ${route.url}`)).toEqual(
      expect.arrayContaining(['GET /health', 'POST /operations/start', 'POST /operations/:id/cancel', 'GET /operations/:id/status']),
    );
  });

  it('survives path tricks in every path parameter', { timeout: 120_000 }, async () => {
    await expectPathTricksSurvived(base, routes(), backendToken);
  });

  it('survives every kind of token on every route', { timeout: 120_000 }, async () => {
    await expectTokenKindsSurvived(base, routes(), SECRET, '{"operation_id":"hostile","operation_type":"dummy","params":{"steps":1}}');
  });

  it('survives oversized, deep, wide, mistyped and NUL-laden bodies on every route that takes one', { timeout: 120_000 }, async () => {
    for (const route of routes().filter((entry) => takesBody(entry.method))) {
      const path = pathFor(route.url, plainValue);
      await fc.assert(
        fc.asyncProperty(hostileBodies(OVER_LIMIT), async (body) => {
          await expectSurvives(base, { method: route.method, path, headers: { authorization: backendToken, 'content-type': body.contentType }, body: body.text });
        }),
        { numRuns: BODY_RUNS },
      );
    }
  });

  it('answers a 100,000-level params with 400 naming the limit, and keeps its operation', async () => {
    const answer = await expectSurvives(base, {
      method: 'POST',
      path: '/operations/start',
      headers: { authorization: backendToken, 'content-type': 'application/json' },
      body: `{"operation_id":"deep","operation_type":"dummy","params":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
    });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('nested deeper than 64 levels');
  });
});
