/**
 * Bearer-token check on every request except the open ones (GET /health,
 * GET /metrics and the API docs), so monitoring and people reading the docs need
 * no token.
 */
import type { FastifyInstance } from 'fastify';
import { API_PREFIX } from '../api/contract.js';
import type { TokenService } from '../auth/tokens.js';
import { KtrdrError } from '../common/errors.js';

export const DOCS_PREFIX = `${API_PREFIX}/docs`;

function isOpen(method: string, path: string): boolean {
  if (path === DOCS_PREFIX || path.startsWith(`${DOCS_PREFIX}/`)) return true;
  return (method === 'GET' || method === 'HEAD') && (path === '/health' || path === '/metrics');
}

export function registerAuth(app: FastifyInstance, tokens: TokenService): void {
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (isOpen(request.method, path)) return;
    try {
      await tokens.verifyHeader(request.headers.authorization);
    } catch (error) {
      throw new KtrdrError('UNAUTHORIZED', error instanceof Error ? error.message : String(error));
    }
  });
}
