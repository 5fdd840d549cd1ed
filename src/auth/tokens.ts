/**
 * HS256 bearer tokens signed with KTRDR_AUTH_JWT_SECRET. The CLI, the backend
 * and the workers each mint their own from the shared secret, so a local stack
 * needs no configuration and a remote worker needs only the secret.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
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

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly expireMinutes: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** A token for `subject` in `role`; its lifetime may be shorter than the configured one, never longer (it would be refused). */
  async issue(subject: string, role: TokenRole, expireMinutes = this.expireMinutes): Promise<string> {
    if (expireMinutes > this.expireMinutes) {
      throw new AuthError(`a token lifetime of ${expireMinutes} minutes exceeds ${LIFETIME_SETTING}=${this.expireMinutes}; ask for less or raise the setting`);
    }
    const now = Math.floor(this.clock.now() / 1000);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(TOKEN_ISSUER)
      .setSubject(subject)
      .setIssuedAt(now)
      .setExpirationTime(now + Math.round(expireMinutes * 60))
      .sign(this.key);
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
      const token = await tokens.issue(subject, role);
      const { expiresAt } = await tokens.verify(token);
      current = { token, renewAt: clock.now() + (expiresAt.getTime() - clock.now()) / 2 };
    }
    return current.token;
  };
}
