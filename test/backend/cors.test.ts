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

describe('CORS (KTRDR_API_CORS_ORIGINS)', () => {
  it('answers preflights for a listed origin without a token, and only for listed origins', async () => {
    backend = await startTestBackend({ corsOrigins: ['http://dash.local'] });
    const allowed = await preflight('http://dash.local');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://dash.local');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
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

  it('sends no CORS headers when no origin is configured', async () => {
    backend = await startTestBackend({ corsOrigins: [] });
    const response = await backend.call('GET', '/operations', undefined, { origin: 'http://any.local' });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
