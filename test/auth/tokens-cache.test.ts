/**
 * TokenService keeps the tokens it verified (a worker sends the same token on every request): a repeated check
 * costs a look-up, yet a cached token is refused from the very second jose would refuse it, and the cache is bounded.
 */
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/common/clock.js';
import { AuthError, TokenService, VERIFIED_TOKEN_CACHE_SIZE } from '../../src/auth/tokens.js';

const SECRET = 'tokens-cache-test-secret';

function uncachedChecks(service: TokenService) {
  return vi.spyOn(service as unknown as { verifyUncached: (token: string) => Promise<unknown> }, 'verifyUncached');
}

describe('TokenService verified-token cache', () => {
  it('checks a token once, then answers from the cache with the same claims', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const service = new TokenService(SECRET, 10, clock);
    const token = await service.issue('worker-1', 'worker');
    const checks = uncachedChecks(service);
    const first = await service.verifyHeader(`Bearer ${token}`);
    clock.advance(60_000);
    const second = await service.verifyHeader(`Bearer ${token}`);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ subject: 'worker-1', role: 'worker' });
    expect(checks).toHaveBeenCalledTimes(1);
  });

  it('refuses a cached token from the second it expires, as an uncached check does', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const service = new TokenService(SECRET, 10, clock);
    const token = await service.issue('worker-1', 'worker');
    const fresh = new TokenService(SECRET, 10, clock);
    await service.verify(token);
    clock.advance(10 * 60_000 - 1);
    await expect(service.verify(token)).resolves.toMatchObject({ subject: 'worker-1' });
    await expect(fresh.verify(token)).resolves.toMatchObject({ subject: 'worker-1' });
    clock.advance(1);
    await expect(service.verify(token)).rejects.toThrow(AuthError);
    await expect(service.verify(token)).rejects.toThrow(/expired/);
    await expect(fresh.verify(token)).rejects.toThrow(/expired/);
  });

  it('caches no refusal: a bad token is checked (and refused) every time', async () => {
    const service = new TokenService(SECRET, 10, new ManualClock());
    const forged = await new TokenService('another-secret', 10, new ManualClock()).issue('worker-1', 'worker');
    const checks = uncachedChecks(service);
    await expect(service.verify(forged)).rejects.toThrow(/KTRDR_AUTH_JWT_SECRET/);
    await expect(service.verify(forged)).rejects.toThrow(/KTRDR_AUTH_JWT_SECRET/);
    expect(checks).toHaveBeenCalledTimes(2);
  });

  it('keeps at most VERIFIED_TOKEN_CACHE_SIZE tokens, dropping the oldest', async () => {
    const service = new TokenService(SECRET, 10, new ManualClock());
    const tokens = await Promise.all(Array.from({ length: VERIFIED_TOKEN_CACHE_SIZE + 1 }, (_, i) => service.issue(`worker-${i}`, 'worker')));
    for (const token of tokens) await service.verify(token);
    const checks = uncachedChecks(service);
    await service.verify(tokens[VERIFIED_TOKEN_CACHE_SIZE] as string);
    expect(checks).toHaveBeenCalledTimes(0);
    await expect(service.verify(tokens[0] as string)).resolves.toMatchObject({ subject: 'worker-0' });
    expect(checks).toHaveBeenCalledTimes(1);
  });
});
