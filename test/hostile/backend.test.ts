/**
 * Hostile input against every route of a real backend (ephemeral port, in-memory store): path tricks in each path
 * parameter, every kind of token, and fast-check bodies. No answer is a 5xx or shows a server directory, and
 * /health answers within a second during and after each request.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackend, TEST_SECRET, type TestBackend } from '../backend/support/harness.js';
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

const UPLOAD_LIMIT = 4 * 1024 * 1024;

let backend: TestBackend;
let base: URL;
let cli: string;

beforeAll(async () => {
  backend = await startTestBackend({ uploadLimitBytes: UPLOAD_LIMIT });
  base = new URL(backend.url);
  cli = `Bearer ${await backend.token()}`;
}, 120_000);

afterAll(async () => {
  await backend?.stop();
}, 120_000);

const routes = () => routesOf(backend.backend.http);

describe('hostile input on the backend', () => {
  it('covers every route, including the API, health, metrics and docs', () => {
    const names = routes().map((route) => `${route.method} ${route.url}`);
    expect(names).toEqual(expect.arrayContaining(['GET /health', 'GET /metrics', 'POST /api/v1/workers/register', 'POST /api/v1/operations/:id/outcome', 'POST /api/v1/models']));
    expect(names.length).toBeGreaterThan(20);
  });

  it('survives path tricks in every path parameter', { timeout: 120_000 }, async () => {
    await expectPathTricksSurvived(base, routes(), cli);
  });

  it('survives every kind of token on every route', { timeout: 120_000 }, async () => {
    await expectTokenKindsSurvived(base, routes(), TEST_SECRET, JSON.stringify({ worker_id: 'someone-else', status: 'completed', steps: 1 }));
  });

  it('survives oversized, deep, wide, mistyped and NUL-laden bodies on every route that takes one', { timeout: 120_000 }, async () => {
    for (const route of routes().filter((entry) => takesBody(entry.method))) {
      const path = pathFor(route.url, plainValue);
      await fc.assert(
        fc.asyncProperty(hostileBodies(UPLOAD_LIMIT + 1), async (body) => {
          await expectSurvives(base, { method: route.method, path, headers: { authorization: cli, 'content-type': body.contentType }, body: body.text });
        }),
        { numRuns: BODY_RUNS },
      );
    }
  });
});
