/**
 * Bearer-token check on every request but the open ones, for the backend and
 * the workers alike: a 401 says what is wrong with the token and how to get one.
 */
import type { FastifyInstance } from 'fastify';
import { AuthError, type TokenService } from '../auth/tokens.js';
import { KtrdrError } from '../common/errors.js';

/** Decides which requests need no token (health, metrics, docs). */
export type OpenRoute = (method: string, path: string) => boolean;

export function registerBearerAuth(app: FastifyInstance, tokens: TokenService, isOpen: OpenRoute): void {
  app.addHook('onRequest', async (request) => {
    if (isOpen(request.method, request.url.split('?')[0] ?? '')) return;
    try {
      await tokens.verifyHeader(request.headers.authorization);
    } catch (error) {
      if (error instanceof AuthError) throw new KtrdrError('UNAUTHORIZED', error.message);
      throw error;
    }
  });
}
