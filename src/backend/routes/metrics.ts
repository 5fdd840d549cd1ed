/** GET /metrics (open): Prometheus text exposition. */
import type { FastifyInstance } from 'fastify';
import { PUBLIC } from '../../http/access-control.js';
import type { BackendAppDeps } from '../app-deps.js';

export function metricsRoutes(app: FastifyInstance, deps: BackendAppDeps): void {
  app.get('/metrics', { config: { roles: PUBLIC }, schema: { hide: true } }, async (_request, reply) => {
    const { contentType, body } = await deps.metrics.render();
    return reply.type(contentType).send(body);
  });
}
