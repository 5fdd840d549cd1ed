/**
 * HS256 bearer tokens signed with KTRDR_AUTH_JWT_SECRET. The CLI, the backend
 * and the workers each mint their own from the shared secret, so a local stack
 * needs no configuration and a remote worker needs only the secret.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { systemClock, type Clock } from '../common/clock.js';

export const TOKEN_ISSUER = 'ktrdr';

export type TokenRole = 'cli' | 'worker' | 'backend';

export interface TokenClaims {
  readonly subject: string;
  readonly role: TokenRole;
  readonly expiresAt: Date;
}

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly expireMinutes: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(subject: string, role: TokenRole, expireMinutes = this.expireMinutes): Promise<string> {
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

  async verify(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: TOKEN_ISSUER,
        algorithms: ['HS256'],
        currentDate: new Date(this.clock.now()),
      });
      const role = payload.role;
      if (role !== 'cli' && role !== 'worker' && role !== 'backend') throw new AuthError('token has no valid role claim');
      return { subject: payload.sub ?? '', role, expiresAt: new Date((payload.exp ?? 0) * 1000) };
    } catch (error) {
      if (error instanceof AuthError) throw error;
      if (error instanceof errors.JWTExpired) {
        throw new AuthError(`token expired at ${new Date(Number(error.payload.exp) * 1000).toISOString()}; get a new one`);
      }
      if (error instanceof errors.JWSSignatureVerificationFailed) {
        throw new AuthError('token was not signed with this deployment\'s KTRDR_AUTH_JWT_SECRET');
      }
      if (error instanceof errors.JWTClaimValidationFailed) throw new AuthError(`token rejected: ${error.message}`);
      throw new AuthError(`invalid token: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
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
