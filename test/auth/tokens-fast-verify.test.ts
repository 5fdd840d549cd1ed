/**
 * TokenService checks the tokens it mints with node:crypto (`verifyFast`) and leaves every other token to jose
 * (`verifyWithJose`). These properties hold the two to the same answers: for valid, expired, tampered, wrong-secret,
 * alg=none, other-alg and malformed tokens, and for correctly signed tokens whose header or claims are anything,
 * `verify` (fast path first) accepts with the same claims, or refuses with the same error, as jose alone; and the
 * fast path accepts nothing jose refuses.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/common/clock.js';
import { TOKEN_ISSUER, TokenService, type TokenRole } from '../../src/auth/tokens.js';

const ROLES: readonly TokenRole[] = ['cli', 'worker', 'backend'];
const NOW_MS = Date.UTC(2026, 10, 30, 12);
const NOW = Math.floor(NOW_MS / 1000);
const EXPIRE_MINUTES = 60;

type Outcome = { ok: unknown } | { error: string; name: string };

async function outcome(check: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await check() };
  } catch (error) {
    return { error: (error as Error).message, name: (error as Error).name };
  }
}

const b64u = (text: string | Buffer) => Buffer.from(text).toString('base64url');
const hmac = (secret: string, input: string, algorithm = 'sha256') => createHmac(algorithm, secret).update(input).digest('base64url');
/** A compact token over the given header and payload segments, signed with HMAC-SHA256 (whatever the header says). */
const signRaw = (secret: string, header: string, payload: string) => `${header}.${payload}.${hmac(secret, `${header}.${payload}`)}`;

/**
 * Checks `token` with the fast path first (`verify` on a service with an empty cache) and with jose alone; both must
 * give the same answer, and a token the fast path accepts must be one jose accepts with the same claims.
 * Returns whether the fast path decided (accepted) it.
 */
async function expectSameAnswer(secret: string, token: string, nowMs = NOW_MS, expireMinutes = EXPIRE_MINUTES): Promise<boolean> {
  const clock = new ManualClock(nowMs);
  const service = new TokenService(secret, expireMinutes, clock);
  const reference = new TokenService(secret, expireMinutes, clock);
  const jose = await outcome(() => reference.verifyWithJose(token));
  const both = await outcome(() => service.verify(token));
  expect(both).toEqual(jose);
  const fast = await outcome(async () => new TokenService(secret, expireMinutes, clock).verifyFast(token));
  if ('ok' in fast && fast.ok !== null) {
    expect(jose).toEqual(fast);
    return true;
  }
  if ('error' in fast) expect(jose).toEqual(fast); // only the lifetime check throws, with jose's own error
  return false;
}

const secretArb = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
const subjectArb = fc.string({ maxLength: 30, unit: 'grapheme' });
const roleArb = fc.constantFrom(...ROLES);

/** A JSON value of any kind, to put in a claim. */
const anyJson = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -10, max: 10 }).map((delta) => NOW + delta),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 8 }),
  fc.constantFrom(TOKEN_ISSUER, 'cli', 'worker', 'backend', '', String(NOW + 60), 'Ktrdr'),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.constant({}),
);

/** Claims that are sometimes right and often wrong in one or more ways. */
const claimsArb = fc.record(
  {
    role: fc.oneof(roleArb, anyJson),
    iss: fc.oneof(fc.constant(TOKEN_ISSUER), anyJson),
    sub: fc.oneof(subjectArb, anyJson),
    iat: fc.oneof(fc.integer({ min: NOW - 7200, max: NOW + 7200 }), anyJson),
    exp: fc.oneof(fc.integer({ min: NOW - 120, max: NOW + 8000 }), fc.constant(NOW), fc.constant(NOW + 1), anyJson),
    nbf: fc.oneof(fc.integer({ min: NOW - 5, max: NOW + 5 }), anyJson),
    extra: anyJson,
  },
  { requiredKeys: [] },
);

const HEADERS = [
  { alg: 'HS256' },
  { alg: 'HS256', typ: 'JWT' },
  { typ: 'JWT', alg: 'HS256' },
  { alg: 'HS256', typ: 'at+jwt' },
  { alg: 'HS256', kid: 'k1' },
  { alg: 'HS256', crit: ['b64'], b64: false },
  { alg: 'HS256', crit: ['exp'] },
  { alg: 'HS256', b64: true },
  { alg: 'none' },
  { alg: 'none', typ: 'JWT' },
  { alg: 'HS384' },
  { alg: 'RS256' },
  { alg: 'hs256' },
  { alg: '' },
  {},
];

describe('TokenService.verifyFast against jose', () => {
  it('accepts valid minted tokens itself, with jose\'s claims; refuses expired ones as jose does', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        subjectArb,
        roleArb,
        fc.integer({ min: 1_000_000_000_000, max: 4_000_000_000_000 }),
        fc.double({ min: 0.01, max: 10_000, noNaN: true }),
        fc.integer({ min: -5_000, max: 700_000_000 }),
        async (secret, subject, role, mintedAtMs, expireMinutes, laterMs) => {
          const minted = new TokenService(secret, expireMinutes, new ManualClock(mintedAtMs)).mint(subject, role);
          const checkedAt = mintedAtMs + laterMs;
          const decided = await expectSameAnswer(secret, minted.token, checkedAt, expireMinutes);
          const live = Math.floor(checkedAt / 1000) < minted.expiresAt && subject !== '';
          // Checked a little before minting, a long-lived token may look longer-lived than allowed: jose refuses it too.
          if (live && laterMs >= 0) expect(decided).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers as jose for tampered tokens (any one character changed, removed or added)', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        subjectArb,
        roleArb,
        fc.nat(),
        fc.constantFrom('replace', 'remove', 'insert'),
        fc.string({ minLength: 1, maxLength: 1 }),
        async (secret, subject, role, position, edit, character) => {
          const token = await new TokenService(secret, EXPIRE_MINUTES, new ManualClock(NOW_MS)).issue(subject, role);
          const at = position % token.length;
          const tampered =
            edit === 'replace' ? token.slice(0, at) + character + token.slice(at + 1) : edit === 'remove' ? token.slice(0, at) + token.slice(at + 1) : token.slice(0, at) + character + token.slice(at);
          const decided = await expectSameAnswer(secret, tampered);
          if (tampered !== token) expect(decided).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('answers as jose for tokens signed with another secret', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, subjectArb, roleArb, async (secret, other, subject, role) => {
        fc.pre(secret !== other);
        const token = await new TokenService(other, EXPIRE_MINUTES, new ManualClock(NOW_MS)).issue(subject, role);
        expect(await expectSameAnswer(secret, token)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('answers as jose for alg=none and other algorithms, signed or not', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, subjectArb, roleArb, fc.constantFrom('none', 'HS384', 'HS512', 'RS256', 'ES256'), async (secret, subject, role, alg) => {
        const payload = b64u(JSON.stringify({ role, iss: TOKEN_ISSUER, sub: subject, iat: NOW, exp: NOW + 600 }));
        const header = b64u(JSON.stringify({ alg }));
        const candidates = [`${header}.${payload}.`, `${header}.${payload}`, signRaw(secret, header, payload), `${header}.${payload}.${hmac(secret, `${header}.${payload}`, 'sha384')}`];
        if (alg === 'HS384' || alg === 'HS512') {
          candidates.push(
            await new SignJWT({ role }).setProtectedHeader({ alg }).setIssuer(TOKEN_ISSUER).setSubject(subject).setIssuedAt(NOW).setExpirationTime(NOW + 600).sign(new TextEncoder().encode(secret)),
          );
        }
        for (const token of candidates) expect(await expectSameAnswer(secret, token)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('answers as jose for correctly signed tokens with any header and any claims', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, fc.constantFrom(...HEADERS), claimsArb, async (secret, header, claims) => {
        const token = signRaw(secret, b64u(JSON.stringify(header)), b64u(JSON.stringify(claims)));
        await expectSameAnswer(secret, token);
      }),
      { numRuns: 1500 },
    );
  });

  it('answers as jose for correctly signed payloads that are not a JSON object in canonical base64url', async () => {
    const header = b64u(JSON.stringify({ alg: 'HS256' }));
    const good = JSON.stringify({ role: 'cli', iss: TOKEN_ISSUER, sub: 'x', iat: NOW, exp: NOW + 60 });
    const payloads = [
      b64u(good),
      b64u(`\uFEFF${good}`), // a BOM: jose's decoder drops it
      b64u(` ${good} `),
      b64u(Buffer.concat([Buffer.from(good.slice(0, -1)), Buffer.from([0xff]), Buffer.from('}')])), // not UTF-8
      b64u('[1,2]'),
      b64u('null'),
      b64u('"text"'),
      b64u('{"role":"cli","iss":"ktrdr","sub":"x","exp":1e400}'),
      b64u(`{"role":"cli","iss":"ktrdr","sub":"x","sub":"y","exp":${NOW + 60}}`),
      b64u(`{"__proto__":{"exp":${NOW + 60}},"role":"cli","iss":"ktrdr","sub":"x"}`),
      b64u(good).replace(/-/g, '+').replace(/_/g, '/'),
      `${b64u(good)}=`,
      `${b64u(good)}==`,
      ` ${b64u(good)}`,
      b64u(good).slice(0, -1),
      `${b64u(good)}A`,
      '',
      '!!!!',
    ];
    // Non-canonical trailing bits: the last character of a segment whose length is 2 or 3 mod 4 carries unused bits.
    const last = b64u(good);
    if (last.length % 4 !== 0) payloads.push(last.slice(0, -1) + String.fromCharCode(last.charCodeAt(last.length - 1) + 1));
    for (const payload of payloads) await expectSameAnswer('s3cret', signRaw('s3cret', header, payload));
    expect(await expectSameAnswer('s3cret', signRaw('s3cret', header, b64u(good)))).toBe(true);
  });

  it('answers as jose for malformed tokens and signatures', async () => {
    const valid = await new TokenService('s3cret', EXPIRE_MINUTES, new ManualClock(NOW_MS)).issue('worker-1', 'worker');
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const fixed = [
      '',
      '.',
      '..',
      '...',
      'a.b.c',
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.`,
      `${header}.${payload}.${signature}.${signature}`,
      `${header}.${payload}.${signature}=`,
      `${header}.${payload}.${signature.replace(/-/g, '+').replace(/_/g, '/')}`,
      `${header}.${payload}. ${signature}`,
      `${header}.${payload}.${signature.slice(0, -1)}${String.fromCharCode(signature.charCodeAt(signature.length - 1) ^ 1)}`,
      `${header}=.${payload}.${signature}`,
      `.${payload}.${signature}`,
      valid.toUpperCase(),
    ];
    for (const token of fixed) expect(await expectSameAnswer('s3cret', token)).toBe(false);
    expect(await expectSameAnswer('s3cret', valid)).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9_.=+/-]{0,80}$/)), async (token) => {
        expect(await expectSameAnswer('s3cret', token)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves an empty secret to jose, which refuses', async () => {
    const header = b64u(JSON.stringify({ alg: 'HS256' }));
    const payload = b64u(JSON.stringify({ role: 'cli', iss: TOKEN_ISSUER, sub: 'x', iat: NOW, exp: NOW + 60 }));
    expect(await expectSameAnswer('', signRaw('', header, payload))).toBe(false);
  });
});
