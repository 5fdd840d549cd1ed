import { afterEach, describe, expect, it } from 'vitest';
import { startTestBackend, type TestBackend } from './support/harness.js';

let backend: TestBackend | null = null;

afterEach(async () => {
  await backend?.stop();
  backend = null;
});

async function preflight(origin: string): Promise<Response> {
  return fetch(`${backend?.api}/operations`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
}

// Each test starts a backend with an in-memory PGlite: seconds apiece on a busy 2-core machine.
describe('CORS (KTRDR_API_CORS_*)', { timeout: 120_000 }, () => {
  it('answers preflights for a listed origin without a token, and only for listed origins', async () => {
    backend = await startTestBackend({ corsOrigins: ['http://dash.local'] });
    const allowed = await preflight('http://dash.local');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://dash.local');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    // The KTRDR_API_CORS_* defaults: only what the API uses, no credentials, a 600 s preflight cache.
    expect(allowed.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE');
    expect(allowed.headers.get('access-control-max-age')).toBe('600');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const other = await preflight('http://elsewhere.local');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // The actual request still needs a token.
    expect((await backend.call('GET', '/operations', undefined, { authorization: '', origin: 'http://dash.local' })).status).toBe(401);
  });

  it('`*` allows any origin', async () => {
    backend = await startTestBackend({ corsOrigins: ['*'] });
    const response = await backend.call('GET', '/operations', undefined, { origin: 'http://any.local' });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://any.local');
  });

  it('answers with KTRDR_API_CORS_ALLOW_CREDENTIALS, _ALLOW_METHODS, _ALLOW_HEADERS and _MAX_AGE', async () => {
    backend = await startTestBackend({
      corsOrigins: ['http://dash.local'],
      cors: { allowCredentials: true, allowMethods: ['*'], allowHeaders: ['authorization', 'x-trace-id'], maxAgeSeconds: 60 },
    });
    const allowed = await preflight('http://dash.local');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('*');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization, x-trace-id');
    expect(allowed.headers.get('access-control-max-age')).toBe('60');
  });

  it('sends no CORS headers when no origin is configured', async () => {
    backend = await startTestBackend({ corsOrigins: [] });
    const response = await backend.call('GET', '/operations', undefined, { origin: 'http://any.local' });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
