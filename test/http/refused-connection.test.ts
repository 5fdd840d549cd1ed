/** A refused connection (nothing listens) is retried by workers but not by the CLI, which reports it at once. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectErrorCode, HttpClient, UnreachableError } from '../../src/client/http.js';
import { freePort } from '../support/processes.js';

async function attempt(retryWhenNothingListens: boolean | undefined, baseUrl: string): Promise<{ error: unknown; sleeps: number[] }> {
  const sleeps: number[] = [];
  const client = new HttpClient({
    baseUrl,
    timeoutMs: 10_000,
    retry: { maxRetries: 3, delayMs: 1000 },
    sleep: async (ms) => void sleeps.push(ms),
    ...(retryWhenNothingListens !== undefined && { retryWhenNothingListens }),
  });
  const error = await client.request('GET', '/workers', z.unknown()).then(
    () => null,
    (failure: unknown) => failure,
  );
  return { error, sleeps };
}

describe('refused connections', () => {
  it('are retried by default (a worker waiting for its backend), not with retryWhenNothingListens: false (the CLI)', async () => {
    const url = `http://127.0.0.1:${await freePort()}/api/v1`;
    const retried = await attempt(undefined, url);
    expect(retried.error).toBeInstanceOf(UnreachableError);
    expect(retried.sleeps).toEqual([1000, 2000, 4000]);

    const atOnce = await attempt(false, url);
    expect(atOnce.error).toBeInstanceOf(UnreachableError);
    expect(connectErrorCode(atOnce.error)).toBe('ECONNREFUSED');
    expect(atOnce.sleeps).toEqual([]);
  });

  it('a port fetch refuses outright (9) is not retried by the CLI either', async () => {
    const { error, sleeps } = await attempt(false, 'http://127.0.0.1:9/api/v1');
    expect(connectErrorCode(error)).toBe('BAD_PORT');
    expect(sleeps).toEqual([]);
  });
});

describe('fallback base URLs (several backends on one database)', () => {
  async function answering(): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
    const { createServer: createHttpServer } = await import('node:http');
    const hits: string[] = [];
    const server = createHttpServer((request, response) => {
      hits.push(request.url ?? '');
      response.setHeader('content-type', 'application/json');
      response.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { url: `http://127.0.0.1:${port}/api/v1`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it('a refused connection moves on to the next URL at once (no retry delay, even for the CLI) and stays there', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/api/v1`;
    const live = await answering();
    try {
      const sleeps: number[] = [];
      const moves: string[] = [];
      const client = new HttpClient({
        baseUrl: dead,
        fallbackUrls: [live.url],
        timeoutMs: 10_000,
        retry: { maxRetries: 3, delayMs: 1000 },
        retryWhenNothingListens: false,
        sleep: async (ms) => void sleeps.push(ms),
        onFailover: (from, to) => moves.push(`${from} -> ${to}`),
      });
      expect(await client.request('GET', '/workers', z.unknown())).toEqual({ ok: true });
      expect(await client.request('GET', '/operations', z.unknown())).toEqual({ ok: true });
      expect(client.baseUrl).toBe(live.url);
      expect(moves).toEqual([`${dead} -> ${live.url}`]);
      expect(sleeps).toEqual([]);
      expect(live.hits).toEqual(['/api/v1/workers', '/api/v1/operations']);
    } finally {
      await live.close();
    }
  });

  it('when every URL refuses, one attempt has tried each once; retries then follow the usual policy', async () => {
    const dead = [`http://127.0.0.1:${await freePort()}/api/v1`, `http://127.0.0.1:${await freePort()}/api/v1`];
    const sleeps: number[] = [];
    const moves: string[] = [];
    const client = new HttpClient({
      baseUrl: dead[0] as string,
      fallbackUrls: [dead[1] as string],
      timeoutMs: 10_000,
      retry: { maxRetries: 2, delayMs: 1000 },
      sleep: async (ms) => void sleeps.push(ms),
      onFailover: (_from, to) => moves.push(to),
    });
    const error = await client.request('GET', '/workers', z.unknown()).catch((failure: unknown) => failure);
    expect(connectErrorCode(error)).toBe('ECONNREFUSED');
    expect(sleeps).toEqual([1000, 2000]);
    // Three attempts, each moving on once: the URLs alternate.
    expect(moves).toEqual([dead[1], dead[0], dead[1]]);
  });
});
