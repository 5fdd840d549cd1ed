/**
 * What the hostile-input suite throws at a server, and how it judges the
 * answers: every route of the server (read from its route table, so a new
 * route is covered without being listed), path tricks in each parameter, every
 * kind of token, and fast-check bodies; each answer must be below 500, show no
 * server directory, and the server must answer /health within a second while
 * the request is in flight and after it.
 */
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { expect } from 'vitest';
import { TokenService, type TokenRole } from '../../../src/auth/tokens.js';
import { declaredRoutes, type DeclaredRoute } from '../../../src/http/access-control.js';

/** The deadline of a /health answer during and after a hostile request (the issue's bound). */
const HEALTH_DEADLINE_MS = 1_000;
/** Generous: a hostile request may be slow to answer; only /health is held to a deadline. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface Answer {
  readonly status: number;
  readonly text: string;
}

export interface HostileRequest {
  readonly method: string;
  /** Sent as it is (no normalisation of `..`, no re-encoding). */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** One request with node:http, which sends the path untouched (fetch would resolve `..` and re-encode). */
export function send(base: URL, hostile: HostileRequest, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...hostile.headers };
    if (hostile.body !== undefined) headers['content-length'] = Buffer.byteLength(hostile.body);
    const req = httpRequest({ host: base.hostname, port: base.port, method: hostile.method, path: hostile.path, headers, timeout: timeoutMs }, (res) => {
      // A stream of server-sent events (GET /api/v1/events) never ends by itself: its status is the answer.
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        resolve({ status: res.statusCode ?? 0, text: '' });
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${hostile.method} ${hostile.path.slice(0, 80)} within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (hostile.body !== undefined) req.write(hostile.body);
    req.end();
  });
}

/** A 200 from /health within the deadline, or an assertion naming what was in flight. */
async function expectHealthy(base: URL, during: string): Promise<void> {
  let answer: Answer;
  try {
    answer = await send(base, { method: 'GET', path: '/health' }, HEALTH_DEADLINE_MS);
  } catch (error) {
    throw new Error(`/health did not answer within ${HEALTH_DEADLINE_MS} ms ${during}: ${(error as Error).message}`);
  }
  expect(answer.status, `/health ${during}`).toBe(200);
}

/** Server directories no answer may show: the working directory and the temporary one (where tests keep theirs). */
const PRIVATE_DIRECTORIES = [process.cwd(), `${tmpdir()}/`];

/**
 * Sends one hostile request while /health is probed again and again, then once more after it; asserts no 5xx and
 * no server directory in the answer. Returns the answer.
 */
export async function expectSurvives(base: URL, hostile: HostileRequest): Promise<Answer> {
  const what = `${hostile.method} ${hostile.path.slice(0, 120)}${hostile.path.length > 120 ? '…' : ''}`;
  let settled = false;
  const answer = send(base, hostile).finally(() => {
    settled = true;
  });
  const probes = (async () => {
    do await expectHealthy(base, `while ${what} was in flight`);
    while (!settled);
  })();
  const [result] = await Promise.all([answer, probes]);
  expect(result.status, `${what} answered ${result.status}: ${result.text.slice(0, 300)}`).toBeLessThan(500);
  for (const directory of PRIVATE_DIRECTORIES) expect(result.text, `${what} shows a server directory`).not.toContain(directory);
  await expectHealthy(base, `after ${what}`);
  return result;
}

// ------------------------------------------------------------------ routes and paths

/** Every route but the HEAD twins of GETs (same handler) and the catch-all OPTIONS of CORS. */
export function routesOf(app: FastifyInstance): DeclaredRoute[] {
  const seen = new Set<string>();
  return declaredRoutes(app).filter((route) => {
    const key = `${route.method} ${route.url}`;
    if (route.method === 'HEAD' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `:id` and `*` segments of a route URL. */
export function parametersOf(url: string): string[] {
  return url.split('/').filter((segment) => segment.startsWith(':') || segment === '*');
}

/** The route's URL with each parameter replaced: `fill(name)` gives the value (raw, already encoded as wanted). */
export function pathFor(url: string, fill: (parameter: string) => string): string {
  return url
    .split('/')
    .map((segment) => (segment.startsWith(':') || segment === '*' ? fill(segment) : segment))
    .join('/');
}

/** A harmless value for parameters not under attack (an id that exists nowhere, a valid symbol and timeframe). */
export function plainValue(parameter: string): string {
  if (parameter === ':timeframe') return '1h';
  if (parameter === ':symbol') return 'EURUSD';
  if (parameter === '*') return 'index.html';
  return 'hostile-id';
}

/** Tricks for one path parameter: traversal (raw and encoded), NUL, long segments, unicode, broken encodings. */
export const PATH_TRICKS: readonly string[] = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F%2E%2E%2Fpackage.json',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%252e%252e',
  '%00',
  'a%00b',
  '%',
  '%E0%A4%A',
  '%C3%A9%F0%9F%98%80%E2%80%AE',
  '%EF%BF%BF%ED%A0%80',
  `${'x'.repeat(201)}`,
  `${'x'.repeat(5_000)}`,
  `${'%2e'.repeat(2_000)}`,
  '%20%09%0A',
  '~root',
];

// ------------------------------------------------------------------ tokens

export interface TokenKind {
  readonly name: string;
  /** The Authorization header, or undefined to send none. */
  readonly header: () => Promise<string | undefined>;
}

/** No token, garbage, each role (with a forged subject too), expired, and one signed with another secret. */
export function tokenKinds(secret: string): TokenKind[] {
  const tokens = new TokenService(secret, 60);
  const expired = new TokenService(secret, 60, { now: () => Date.now() - 3 * 3_600_000 });
  const otherSecret = new TokenService('not-the-deployment-secret', 60);
  const bearer = (token: Promise<string>) => async () => `Bearer ${await token}`;
  const role = (subject: string, kind: TokenRole) => ({ name: `${kind} token for '${subject}'`, header: bearer(tokens.issue(subject, kind)) });
  return [
    { name: 'no token', header: async () => undefined },
    { name: 'garbage', header: async () => 'Bearer garbage.garbage.garbage' },
    { name: 'not bearer', header: async () => `Basic ${'A'.repeat(3_000)}` },
    role('cli', 'cli'),
    role('hostile-worker', 'worker'),
    role('someone-else', 'worker'),
    role('backend', 'backend'),
    { name: 'expired', header: bearer(expired.issue('cli', 'cli')) },
    { name: 'other secret', header: bearer(otherSecret.issue('cli', 'cli')) },
  ];
}

// ------------------------------------------------------------------ sweeps over every route

/** Whether a request of `method` carries a body. */
export const takesBody = (method: string): boolean => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

/** Every trick of PATH_TRICKS in every path parameter of every route, one parameter at a time, with a valid token. */
export async function expectPathTricksSurvived(base: URL, routes: readonly DeclaredRoute[], authorization: string): Promise<void> {
  for (const route of routes) {
    for (const parameter of parametersOf(route.url)) {
      for (const trick of PATH_TRICKS) {
        const path = pathFor(route.url, (name) => (name === parameter ? trick : plainValue(name)));
        await expectSurvives(base, { method: route.method, path, headers: { authorization } });
      }
    }
  }
}

/** Every token kind on every route; routes that take a body get `body` (JSON text). */
export async function expectTokenKindsSurvived(base: URL, routes: readonly DeclaredRoute[], secret: string, body: string): Promise<void> {
  const kinds = tokenKinds(secret);
  for (const route of routes) {
    const path = pathFor(route.url, plainValue);
    const withBody = takesBody(route.method);
    for (const kind of kinds) {
      const authorization = await kind.header();
      await expectSurvives(base, {
        method: route.method,
        path,
        headers: { ...(authorization ? { authorization } : {}), ...(withBody ? { 'content-type': 'application/json' } : {}) },
        ...(withBody ? { body } : {}),
      });
    }
  }
}

// ------------------------------------------------------------------ bodies

/** Field names of the wire contract, so that random bodies reach validation of real fields and the handlers. */
const FIELDS = [
  'worker_id', 'worker_type', 'endpoint_url', 'capabilities', 'current_operation_id', 'completed_operations', 'metadata',
  'status', 'result_summary', 'error_message', 'results', 'progress', 'completed_at', 'units', 'state', 'reason',
  'operation_id', 'operation_type', 'params', 'checkpoint', 'steps', 'step_delay_ms', 'fail_at_step', 'strategy', 'model',
  'symbol', 'timeframe', 'start_date', 'end_date', 'seed', 'model_id', 'network', 'feature_spec', '__proto__', 'constructor',
] as const;

const nested = (depth: number, open: string, close: string, inner = '0') => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

export interface HostileBody {
  readonly contentType: string;
  readonly text: string;
}

/** Bodies for one route; `overLimit` is a size above the route's limit (the largest limit of the server). */
export function hostileBodies(overLimit: number): fc.Arbitrary<HostileBody> {
  const json = (text: fc.Arbitrary<string>) => text.map((value) => ({ contentType: 'application/json', text: value }));
  const hostileString = fc.oneof(
    fc.string({ maxLength: 20 }).map((text) => `${text}\u0000${text}`),
    fc.integer({ min: 1_000, max: 200_000 }).map((length) => 'x'.repeat(length)),
    fc.constantFrom('..', '../../etc/passwd', '%2e%2e', '\uD800', '\u202E', 'é😀', '.summary', 'm.summary', '.'),
  );
  const wrongTypes = fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(fc.anything({ maxDepth: 3 }), hostileString), { maxKeys: 8 });
  return fc.oneof(
    json(wrongTypes.map((value) => JSON.stringify(value))),
    json(fc.anything({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null')),
    json(fc.integer({ min: 65, max: 100_000 }).chain((depth) => fc.constantFrom(nested(depth, '[', ']'), nested(depth, '{"a":', '}'), `{"params":${nested(depth, '{"a":', '}')}}`))),
    json(fc.constantFrom(`{"results":[${new Array(1_100_000).fill(0).join(',')}]}`)),
    json(fc.constantFrom('', '{', '[', '"', '{"a":}', 'nul', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '\uFEFF{}')),
    fc.constantFrom(
      { contentType: 'application/json', text: `"${'x'.repeat(overLimit)}"` },
      { contentType: 'text/plain', text: 'not json at all' },
      { contentType: 'application/x-www-form-urlencoded', text: 'a=1&b=2' },
      { contentType: 'application/json; charset=utf-16', text: '{}' },
    ),
  );
}

/** A bounded number of fast-check runs per route, so that the suite stays well under a minute. */
export const BODY_RUNS = 8;
