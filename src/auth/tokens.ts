/**
 * HS256 bearer tokens signed with KTRDR_AUTH_JWT_SECRET. The CLI, the backend
 * and the workers each mint their own from the shared secret, so a local stack
 * needs no configuration and a remote worker needs only the secret.
 *
 * Minting is one HMAC over two JSON objects, done with node:crypto: a worker
 * mints its token before it registers, and loading jose for it was a tenth of
 * its start-up (docs/architecture.md §1). The bytes are jose's own (its SignJWT
 * with the same claims in the same order; test/auth/tokens-jose.test.ts checks
 * them token for token). Checking a token the way this service mints it is node:crypto too (`verifyFast`: an
 * HMAC and a few comparisons, about a tenth of jose's cost, which was a fifth of the backend's CPU while a fleet
 * registers again); any token it does not accept, for whatever reason, goes to jose (`verifyWithJose`, loaded on
 * the first such check), which accepts or refuses it and says why. So the fast path decides nothing jose would
 * decide otherwise (test/auth/tokens-fast-verify.test.ts compares the two on valid and bad tokens of every kind).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type * as JoseErrors from 'jose/errors';
import type * as JwtVerifyModule from 'jose/jwt/verify';
import { systemClock, type Clock } from '../common/clock.js';
import { createError, errorText } from '../common/errors.js';

export const TOKEN_ISSUER = 'ktrdr';

/**
 * How much longer than KTRDR_AUTH_TOKEN_EXPIRE_MINUTES a token may live and still be accepted: minting rounds to
 * whole seconds, and the clocks of the machines that mint and check a token are never quite the same.
 */
export const TOKEN_LIFETIME_LEEWAY_SECONDS = 60;

const LIFETIME_SETTING = 'KTRDR_AUTH_TOKEN_EXPIRE_MINUTES';

export type TokenRole = 'cli' | 'worker' | 'backend';

export interface TokenClaims {
  readonly subject: string;
  readonly role: TokenRole;
  readonly expiresAt: Date;
}

export class AuthError extends createError('AuthError') {}

/** jose's verifier and its error classes, loaded once, on the first check of a token. */
let jose: Promise<[typeof JwtVerifyModule, typeof JoseErrors]> | null = null;
const loadJose = () => (jose ??= Promise.all([import('jose/jwt/verify'), import('jose/errors')]));

/** The protected header jose's SignJWT writes for `{ alg: 'HS256' }`, base64url-encoded. */
const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');

/**
 * The protected headers `verifyFast` checks itself, byte for byte: the one minted here and the common
 * `{"alg":"HS256","typ":"JWT"}`. jose accepts both with this service's options; any other header goes to jose.
 */
const FAST_HEADERS: ReadonlySet<string> = new Set([HS256_HEADER, Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')]);
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** jose decodes the claims with a fatal UTF-8 decoder (which also drops a leading BOM): so does `verifyFast`. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** jose's test for a claims set: a plain object (lib/validate.js `isObject`). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Object]') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/**
 * Tokens already checked, kept so that a worker's or the CLI's repeated requests cost a map look-up instead of
 * a check (an HMAC and a JSON parse in `verifyFast`; jose's HMAC through WebCrypto for other tokens) (a token is sent unchanged for half its lifetime). Bounded: past this many the
 * oldest entry goes. Large enough for a fleet of thousands of workers, each heartbeating with a token of its own:
 * a cache smaller than the fleet misses on every heartbeat (the oldest entry is always the next one asked for),
 * with 2,000 workers and 1,024 entries, jose's checks (then the only check) were about a sixth of the backend's CPU in `npm run bench -- dispatch-fleet`.
 * About 0.5 kB an entry.
 */
export const VERIFIED_TOKEN_CACHE_SIZE = 8_192;

/** A minted token and the epoch second it expires at. */
interface Minted {
  readonly token: string;
  readonly expiresAt: number;
}

export class TokenService {
  private readonly key: Uint8Array;
  /** Token string → its claims, for tokens that passed `verify`; an entry counts only before its expiry. */
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    secret: string,
    private readonly expireMinutes: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** A token for `subject` in `role`; its lifetime may be shorter than the configured one, never longer (it would be refused). */
  async issue(subject: string, role: TokenRole, expireMinutes = this.expireMinutes): Promise<string> {
    return this.mint(subject, role, expireMinutes).token;
  }

  /** `issue`, also returning when the token expires (a caller that renews it need not check it to know). */
  mint(subject: string, role: TokenRole, expireMinutes = this.expireMinutes): Minted {
    if (expireMinutes > this.expireMinutes) {
      throw new AuthError(`a token lifetime of ${expireMinutes} minutes exceeds ${LIFETIME_SETTING}=${this.expireMinutes}; ask for less or raise the setting`);
    }
    // WebCrypto, under jose, refuses an empty HMAC key; so does this, rather than sign with one.
    if (this.key.length === 0) throw new AuthError('cannot sign a token with an empty KTRDR_AUTH_JWT_SECRET');
    const now = Math.floor(this.clock.now() / 1000);
    const expiresAt = now + Math.round(expireMinutes * 60);
    // The claims in the order jose's SignJWT writes them: its constructor's payload, then iss, sub, iat, exp.
    const payload = Buffer.from(JSON.stringify({ role, iss: TOKEN_ISSUER, sub: subject, iat: now, exp: expiresAt })).toString('base64url');
    const signingInput = `${HS256_HEADER}.${payload}`;
    const signature = createHmac('sha256', this.key).update(signingInput).digest('base64url');
    return { token: `${signingInput}.${signature}`, expiresAt };
  }

  /** Checks an `Authorization` header value; the error says what is wrong and how to fix it. */
  async verifyHeader(header: string | undefined): Promise<TokenClaims> {
    if (!header) throw new AuthError('missing bearer token: send "Authorization: Bearer <token>" (`ktrdr auth token` prints one)');
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw new AuthError('malformed Authorization header: expected "Bearer <token>"');
    return this.verify(match[1] as string);
  }

  /**
   * Checks signature, issuer, expiry, role and subject, and that the token does not live longer than the configured
   * lifetime (plus TOKEN_LIFETIME_LEEWAY_SECONDS): a token without `exp`, or valid for years, would outlive any
   * rotation of the secret.
   */
  async verify(token: string): Promise<TokenClaims> {
    const cached = this.verified.get(token);
    if (cached) {
      // jose refuses a token once now >= exp (whole seconds); past that the full check below says why.
      if (Math.floor(this.clock.now() / 1000) < cached.expiresAt.getTime() / 1000) return cached;
      this.verified.delete(token);
    }
    const claims = await this.verifyUncached(token);
    if (this.verified.size >= VERIFIED_TOKEN_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, claims);
    return claims;
  }

  /** One check without the cache: `verifyFast`, else jose. */
  private async verifyUncached(token: string): Promise<TokenClaims> {
    return this.verifyFast(token) ?? this.verifyWithJose(token);
  }

  /**
   * The claims of a token that jose would accept with the same claims, checked with node:crypto; null for any
   * other token (jose then decides, and says why it refuses). Accepted only: one of FAST_HEADERS; a signature equal
   * to the HMAC-SHA256 of the signing input in canonical base64url (compared in constant time); a payload in
   * canonical base64url, strict UTF-8, parsing as a plain JSON object; `iss` equal to TOKEN_ISSUER; a non-empty
   * string `sub`; a numeric `exp` later than now (whole seconds, as jose); `iat` and `nbf` numbers when present,
   * `nbf` not after now; a known `role`. The lifetime is then checked as after jose, with the same error.
   * Public for the tests that hold it to jose's answers.
   */
  verifyFast(token: string): TokenClaims | null {
    if (this.key.length === 0) return null;
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return null;
    if (!FAST_HEADERS.has(token.slice(0, first))) return null;
    const signature = Buffer.from(token.slice(second + 1));
    const expected = createHmac('sha256', this.key).update(token.slice(0, second)).digest();
    const expectedText = Buffer.from(expected.toString('base64url'));
    if (signature.length !== expectedText.length || !timingSafeEqual(signature, expectedText)) return null;
    const encodedPayload = token.slice(first + 1, second);
    if (!BASE64URL.test(encodedPayload)) return null;
    const payloadBytes = Buffer.from(encodedPayload, 'base64url');
    if (payloadBytes.toString('base64url') !== encodedPayload) return null;
    let payload: unknown;
    try {
      payload = JSON.parse(STRICT_UTF8.decode(payloadBytes));
    } catch {
      return null;
    }
    if (!isPlainObject(payload)) return null;
    const { iss, sub, exp, iat, nbf, role } = payload;
    if (!Object.hasOwn(payload, 'iss') || iss !== TOKEN_ISSUER) return null;
    if (!Object.hasOwn(payload, 'sub') || typeof sub !== 'string' || sub === '') return null;
    const now = Math.floor(this.clock.now() / 1000);
    if (!Object.hasOwn(payload, 'exp') || typeof exp !== 'number' || exp <= now) return null;
    if (iat !== undefined && typeof iat !== 'number') return null;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now)) return null;
    if (role !== 'cli' && role !== 'worker' && role !== 'backend') return null;
    this.checkLifetime(exp, iat);
    return { subject: sub, role, expiresAt: new Date(exp * 1000) };
  }

  /** The full check with jose, and the error that says what is wrong. */
  async verifyWithJose(token: string): Promise<TokenClaims> {
    const [{ jwtVerify }, errors] = await loadJose();
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: TOKEN_ISSUER,
        algorithms: ['HS256'],
        currentDate: new Date(this.clock.now()),
        requiredClaims: ['exp', 'sub'],
      });
      const role = payload.role;
      if (role !== 'cli' && role !== 'worker' && role !== 'backend') throw new AuthError(`token has no valid role claim (got ${JSON.stringify(role) ?? 'none'}; expected cli, worker or backend)`);
      const subject = payload.sub;
      if (!subject) throw new AuthError('token has an empty subject (sub claim); it must name who the token is for');
      const expiresAt = payload.exp as number;
      this.checkLifetime(expiresAt, payload.iat);
      return { subject, role, expiresAt: new Date(expiresAt * 1000) };
    } catch (error) {
      if (error instanceof AuthError) throw error;
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp' && error.reason === 'missing') {
        throw new AuthError(`token has no expiry (exp claim); every token must expire within ${LIFETIME_SETTING}=${this.expireMinutes} minutes`);
      }
      if (error instanceof errors.JWTExpired) {
        throw new AuthError(`token expired at ${new Date(Number(error.payload.exp) * 1000).toISOString()}; get a new one`);
      }
      if (error instanceof errors.JWSSignatureVerificationFailed) {
        throw new AuthError('token was not signed with this deployment\'s KTRDR_AUTH_JWT_SECRET');
      }
      if (error instanceof errors.JWTClaimValidationFailed) throw new AuthError(`token rejected: ${error.message}`);
      throw new AuthError(`invalid token: ${errorText(error)}`);
    }
  }

  /** The lifetime is exp − iat, or exp − now when that is longer (no iat, or an iat in the future). */
  private checkLifetime(expiresAt: number, issuedAt: number | undefined): void {
    const now = this.clock.now() / 1000;
    const lifetimeSeconds = Math.max(expiresAt - now, issuedAt === undefined ? -Infinity : expiresAt - issuedAt);
    const maxSeconds = this.expireMinutes * 60 + TOKEN_LIFETIME_LEEWAY_SECONDS;
    if (lifetimeSeconds > maxSeconds) {
      throw new AuthError(
        `token lifetime of ${formatMinutes(lifetimeSeconds / 60)} minutes exceeds ${LIFETIME_SETTING}=${this.expireMinutes} (+${TOKEN_LIFETIME_LEEWAY_SECONDS} s leeway); mint a shorter-lived token (\`ktrdr auth token\`)`,
      );
    }
  }
}

function formatMinutes(minutes: number): string {
  return minutes < 1e6 ? String(Math.round(minutes * 10) / 10) : minutes.toExponential(2);
}

/** A token provider for `HttpClient`: mints once, and again shortly before expiry. */
export function tokenProvider(tokens: TokenService, subject: string, role: TokenRole, clock: Clock = systemClock): () => Promise<string> {
  let current: { token: string; renewAt: number } | null = null;
  return async () => {
    if (!current || clock.now() >= current.renewAt) {
      const { token, expiresAt } = tokens.mint(subject, role);
      current = { token, renewAt: clock.now() + (expiresAt * 1000 - clock.now()) / 2 };
    }
    return current.token;
  };
}
