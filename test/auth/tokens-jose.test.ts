/**
 * TokenService mints HS256 tokens with node:crypto instead of jose's SignJWT (so that a worker registers without
 * loading jose): these tests hold the two to the same bytes, and check that jose verifies what it mints.
 */
import fc from 'fast-check';
import { jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/common/clock.js';
import { AuthError, TOKEN_ISSUER, TokenService, tokenProvider, type TokenRole } from '../../src/auth/tokens.js';

const ROLES: readonly TokenRole[] = ['cli', 'worker', 'backend'];

/** What the service minted with jose before: the same claims, built the same way. */
function joseToken(secret: string, subject: string, role: TokenRole, nowMs: number, expireMinutes: number): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(subject)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.round(expireMinutes * 60))
    .sign(new TextEncoder().encode(secret));
}

describe('TokenService minting (node:crypto) against jose', () => {
  it('mints byte for byte the token jose SignJWT makes, for any secret, subject, role, time and lifetime', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, unit: 'grapheme' }),
        fc.string({ unit: 'grapheme' }),
        fc.constantFrom(...ROLES),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.double({ min: 0.01, max: 1_000_000, noNaN: true }),
        async (secret, subject, role, nowMs, expireMinutes) => {
          const service = new TokenService(secret, expireMinutes, new ManualClock(nowMs));
          expect(await service.issue(subject, role)).toBe(await joseToken(secret, subject, role, nowMs, expireMinutes));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mints tokens that jose verifies with the secret, and refuses with another', async () => {
    const nowMs = Date.now();
    const service = new TokenService('a-secret-of-some-length', 60, new ManualClock(nowMs));
    const { token, expiresAt } = service.mint('worker-1', 'worker');
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode('a-secret-of-some-length'), { issuer: TOKEN_ISSUER, algorithms: ['HS256'], currentDate: new Date(nowMs) });
    expect(protectedHeader).toEqual({ alg: 'HS256' });
    expect(payload).toEqual({ role: 'worker', iss: TOKEN_ISSUER, sub: 'worker-1', iat: Math.floor(nowMs / 1000), exp: expiresAt });
    await expect(service.verify(token)).resolves.toMatchObject({ subject: 'worker-1', role: 'worker', expiresAt: new Date(expiresAt * 1000) });
    await expect(new TokenService('another-secret', 60, new ManualClock(nowMs)).verify(token)).rejects.toThrow(/not signed with this deployment's KTRDR_AUTH_JWT_SECRET/);
  });

  it('refuses an empty secret as jose does, and a lifetime above the setting', async () => {
    await expect(joseToken('', 'x', 'cli', 0, 1)).rejects.toThrow();
    await expect(new TokenService('', 60).issue('x', 'cli')).rejects.toThrow(AuthError);
    await expect(new TokenService('s', 60).issue('x', 'cli', 61)).rejects.toThrow(/exceeds KTRDR_AUTH_TOKEN_EXPIRE_MINUTES=60/);
  });

  it('tokenProvider renews a token half way through its life, without checking it', async () => {
    const clock = new ManualClock(1_000_000_000_000);
    const provide = tokenProvider(new TokenService('s3cret', 10, clock), 'cli-user', 'cli', clock);
    const first = await provide();
    clock.advance(4 * 60_000);
    expect(await provide()).toBe(first);
    clock.advance(60_000 + 1000);
    const second = await provide();
    expect(second).not.toBe(first);
    expect(second).toBe(await joseToken('s3cret', 'cli-user', 'cli', clock.now(), 10));
  });
});
