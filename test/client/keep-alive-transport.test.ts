/**
 * The backend's keep-alive transport to workers (node:http instead of fetch), through HttpClient: connections are
 * reused, and errors look as they do with fetch (HttpError with the status; a refusal or a timeout is an
 * UnreachableError the dispatcher tells apart). A request on a kept connection the server had closed is sent again
 * on a new one, so a stopped server is seen refusing (a worker's fail-over), never as a reset.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpClient, HttpError, UnreachableError } from '../../src/client/http.js';
import { keepAliveTransport } from '../../src/client/keep-alive-transport.js';
import { isConnectionRefused } from '../../src/backend/services/worker-client.js';

let server: Server | null = null;
/** Stops the test server: its kept connections closed, its port refusing from then on. */
async function stopServer(): Promise<void> {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
}

afterEach(stopServer);

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = createServer(handler);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}`, connections: () => connections };
}

describe('keepAliveTransport', () => {
  it('sends JSON with the token and reuses one connection for successive requests', async () => {
    const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];
    const { url, connections } = await serve((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ method: request.method, url: request.url, auth: request.headers.authorization, body });
        response.writeHead(202, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ success: true, echo: body ? JSON.parse(body) : null }));
      });
    });
    const client = new HttpClient({ baseUrl: url, timeoutMs: 2_000, token: async () => 'tok', transport: keepAliveTransport() });
    const schema = z.object({ success: z.literal(true), echo: z.unknown() });
    for (let i = 0; i < 3; i++) {
      expect(await client.request('POST', '/operations/start', schema, { body: { operation_id: `op-${i}`, note: 'é' } })).toEqual({
        success: true,
        echo: { operation_id: `op-${i}`, note: 'é' },
      });
    }
    expect(await client.request('GET', '/health', schema, { query: { a: 1 } })).toEqual({ success: true, echo: null });
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual(['POST /operations/start', 'POST /operations/start', 'POST /operations/start', 'GET /health?a=1']);
    expect(seen.every((request) => request.auth === 'Bearer tok')).toBe(true);
    expect(connections()).toBe(1);
  });

  it('turns an error status into an HttpError carrying the status and the body', async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(409, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ success: false, error: { code: 'CONFLICT', message: 'busy' } }));
    });
    const client = new HttpClient({ baseUrl: url, timeoutMs: 2_000, transport: keepAliveTransport() });
    const error = await client.send('POST', '/operations/start', { body: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
  });

  it('reports a timeout as "timed out", and a refused connection as refused', async () => {
    const { url } = await serve(() => {
      // Never answers.
    });
    const client = new HttpClient({ baseUrl: url, timeoutMs: 100, transport: keepAliveTransport() });
    const timedOut = await client.send('POST', '/operations/start', { body: {} }).catch((caught: unknown) => caught);
    expect(timedOut).toBeInstanceOf(UnreachableError);
    expect((timedOut as Error).message).toMatch(/timed out/);
    expect(isConnectionRefused(timedOut)).toBe(false);

    await stopServer();
    const refused = await client.send('GET', '/health').catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(UnreachableError);
    expect(isConnectionRefused(refused)).toBe(true);
  });
});

describe('keepAliveTransport on a connection the server closed', () => {
  it('sends the request again on a new connection, and a stopped server is refused, not reset', async () => {
    // The server drops a kept connection as the second request arrives on it: what a backend that stopped, or timed
    // the connection out, looks like to the next request.
    const served = new WeakSet<object>();
    const { url, connections } = await serve((request, response) => {
      if (served.has(request.socket)) {
        request.socket.destroy();
        return;
      }
      served.add(request.socket);
      response.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive' });
      response.end('{"ok":true}');
    });
    const client = new HttpClient({ baseUrl: url, timeoutMs: 2_000, transport: keepAliveTransport() });
    expect(await client.send('POST', '/operations/op_1/outcome', { body: { status: 'completed' } })).toEqual({ ok: true });
    expect(await client.send('POST', '/operations/op_1/outcome', { body: { status: 'completed' } })).toEqual({ ok: true });
    expect(connections()).toBe(2);

    // A stopped server: its kept connections closed and its port refusing.
    await stopServer();
    const refused = await client.send('GET', '/workers/w1').catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(UnreachableError);
    expect(isConnectionRefused(refused)).toBe(true);
  });
});
