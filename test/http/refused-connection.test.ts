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
