/**
 * The server a worker listens on before its Fastify application is built (src/http/early-server.ts): requests that
 * come before the application is ready are held, then answered by it; none is refused or answered otherwise.
 */
import { request as httpRequest } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { AppLoadError, EarlyHttpServer, FASTIFY_SERVER_DEFAULTS } from '../../src/http/early-server.js';
import { waitFor } from '../support/processes.js';

const servers: EarlyHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One request over a fresh connection; `body` is sent as JSON when given. */
function send(port: number, method: string, path: string, body?: unknown, host = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = httpRequest({ host, port, method, path, agent: false, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(payload);
  });
}

/** A gate the test opens: the loader waits on it, so that requests come while the application is "loading". */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('EarlyHttpServer', () => {
  it('sets the timeouts Fastify sets on a server of its own', async () => {
    const fastify = Fastify();
    const early = new EarlyHttpServer(() => Promise.reject(new Error('not built in this test')), 'worker');
    servers.push(early);
    expect(early.server.keepAliveTimeout).toBe(fastify.server.keepAliveTimeout);
    expect(early.server.requestTimeout).toBe(fastify.server.requestTimeout);
    expect(early.server.timeout).toBe(fastify.server.timeout);
    expect(FASTIFY_SERVER_DEFAULTS.keepAliveTimeoutMs).toBe(fastify.initialConfig.keepAliveTimeout);
    await fastify.close();
  });

  it('holds a request that comes while the application loads, and answers it with the application', async () => {
    const loading = gate();
    let built = 0;
    const early = new EarlyHttpServer(async (serverFactory) => {
      built++;
      await loading.opened;
      const app = Fastify({ serverFactory });
      app.post('/echo', async (request) => ({ got: request.body }));
      return app;
    }, 'worker');
    servers.push(early);
    const { port } = await early.listen('127.0.0.1', 0);

    // Arrives before anything asked for the application: it starts the build and waits for it.
    const answer = send(port, 'POST', '/echo', { a: 1 });
    await waitFor('the request to be held', () => early.heldCount === 1, { timeoutMs: 10_000 });
    const second = send(port, 'POST', '/echo', { b: 2 });
    await waitFor('the second request to be held', () => early.heldCount === 2, { timeoutMs: 10_000 });
    expect(early.isServing).toBe(false);

    loading.open();
    expect(await answer).toEqual({ status: 200, body: '{"got":{"a":1}}' });
    expect(await second).toEqual({ status: 200, body: '{"got":{"b":2}}' });
    expect(early.isServing).toBe(true);
    expect(early.heldCount).toBe(0);
    // Built once, for every request and caller.
    expect(await early.app()).toBe(await early.whenBuilt());
    expect(await send(port, 'POST', '/echo', { c: 3 })).toEqual({ status: 200, body: '{"got":{"c":3}}' });
    expect(built).toBe(1);
  });

  it('answers held and later requests 500 in the one error shape when the application cannot be built', async () => {
    const loading = gate();
    const early = new EarlyHttpServer(async () => {
      await loading.opened;
      throw new Error('Cannot find module /srv/ktrdr/dist/cli/server.js');
    }, 'worker');
    servers.push(early);
    const { port } = await early.listen('127.0.0.1', 0);
    const held = send(port, 'GET', '/health');
    await waitFor('the request to be held', () => early.heldCount === 1, { timeoutMs: 10_000 });
    loading.open();

    const refused = { status: 500, body: JSON.stringify({ success: false, error: { code: 'INTERNAL_ERROR', message: 'internal error; see the worker log' } }) };
    expect(await held).toEqual(refused);
    const error = await early.app().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppLoadError);
    expect((error as Error).message).toBe("the worker's HTTP application could not be built: Cannot find module /srv/ktrdr/dist/cli/server.js");
    await expect(early.whenBuilt()).rejects.toBe(error);
    expect(await send(port, 'GET', '/health')).toEqual(refused);
  });

  it("listens on every address of 'localhost' that Fastify would (127.0.0.1 and ::1 where there is one)", async () => {
    const fastify = Fastify();
    await fastify.listen({ host: 'localhost', port: 0 });
    const theirs = fastify.addresses().map((address) => (typeof address === 'string' ? address : address.address));
    await fastify.close();

    const early = new EarlyHttpServer(async (serverFactory) => {
      const app = Fastify({ serverFactory });
      app.get('/', async () => 'ok');
      return app;
    }, 'worker');
    servers.push(early);
    const { port } = await early.listen('localhost', 0);
    expect(theirs.length).toBeGreaterThan(0);
    for (const address of theirs) expect(await send(port, 'GET', '/', undefined, address), address).toEqual({ status: 200, body: 'ok' });
  });

  it('closes without building the application when none was asked for', async () => {
    let built = false;
    const early = new EarlyHttpServer(async (serverFactory) => {
      built = true;
      return Fastify({ serverFactory }) as unknown as FastifyInstance;
    }, 'worker');
    await early.listen('127.0.0.1', 0);
    await early.close();
    expect(built).toBe(false);
    expect(early.server.listening).toBe(false);
  });
});
