/** GET /health (at the root, open): liveness for people, scripts and load balancers. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PUBLIC } from '../../http/access-control.js';
import type { BackendAppDeps } from '../app-deps.js';

const BackendHealth = z.object({
  status: z.literal('ok'),
  service: z.literal('ktrdr-backend'),
  version: z.string(),
  uptime_seconds: z.number(),
  /** Which backend answered, among several on one database (docs/architecture.md §9). */
  instance: z.string(),
  /** `held`: this backend runs the periodic duties; `standby`: another one does (or none can reach the database). */
  duties: z.enum(['held', 'standby']),
});

export function healthRoutes(app: FastifyInstance, deps: BackendAppDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/health',
    { config: { roles: PUBLIC }, schema: { tags: ['health'], summary: 'Backend liveness (no token needed)', response: { 200: BackendHealth } } },
    async () => {
      const duties = deps.duties?.() ?? { instance: 'backend', state: 'held' as const };
      return {
        status: 'ok' as const,
        service: 'ktrdr-backend' as const,
        version: deps.version,
        uptime_seconds: deps.uptimeSeconds(),
        instance: duties.instance,
        duties: duties.state,
      };
    },
  );
}
