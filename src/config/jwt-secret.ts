/**
 * What makes a token-signing secret too weak for production: HS256 wants a key
 * at least as long as its 256-bit output, and a secret copied from a README or
 * a tutorial is no secret at all.
 */
export const MIN_JWT_SECRET_BYTES = 32;

/** Placeholders seen in examples and tutorials, compared without case. */
const KNOWN_PLACEHOLDERS = new Set([
  'local-dev-secret-do-not-use-in-production',
  'insecure-dev-secret',
  'your-256-bit-secret',
  'your-secret-key',
  'your_secret_key',
  'your-secret-key-here',
  'change-me',
  'changeme',
  'change_me',
  'change-this-secret',
  'change-me-in-production',
  'changeme-in-production',
  'please-change-me',
  'replace-me',
  'secret',
  'secret-key',
  'secretkey',
  'jwt-secret',
  'jwt_secret',
  'jwtsecret',
  'mysecret',
  'my-secret',
  'supersecret',
  'super-secret',
  'super-secret-key',
  'password',
  'test',
  'test-secret',
  'dev-secret',
  'development',
  'default',
  'example',
]);

/** Why `secret` must not sign tokens in production, or null when it may. Never quotes the secret. */
export function jwtSecretWeakness(secret: string): string | null {
  if (KNOWN_PLACEHOLDERS.has(secret.trim().toLowerCase())) return 'is a well-known placeholder, not a secret';
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_JWT_SECRET_BYTES) {
    return `is ${bytes} byte${bytes === 1 ? '' : 's'} long; at least ${MIN_JWT_SECRET_BYTES} bytes are needed`;
  }
  if (new Set(secret).size === 1) return 'is one character repeated, not a secret';
  return null;
}
