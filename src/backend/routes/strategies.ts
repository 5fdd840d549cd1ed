/**
 * GET /api/v1/strategies: the strategy files of KTRDR_DATA_STRATEGIES_DIR (the names training requests take), each
 * loaded by the loader `ktrdr strategy validate` uses, with its problems, warnings and notes by path, line and
 * column — the dashboard's Strategies page. Messages name files, never the server directory.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { StrategyListResponse } from '../../api/contract.js';
import { pathScrubber } from '../../http/private-paths.js';
import { listStrategyFiles } from '../../strategy/listing.js';
import type { BackendAppDeps } from '../app-deps.js';

export function strategyRoutes(app: FastifyInstance, deps: BackendAppDeps): void {
  const scrub = pathScrubber(deps.privatePaths);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/strategies',
    {
      config: { roles: ['cli'] },
      schema: {
        tags: ['strategies'],
        summary: 'The strategy files of KTRDR_DATA_STRATEGIES_DIR, each with its validation problems by path, line and column',
        response: { 200: StrategyListResponse },
      },
    },
    async () => {
      const items = await listStrategyFiles(deps.strategiesDir);
      // A read error's message could carry the directory: shown as its setting, like in every other answer.
      return JSON.parse(scrub(JSON.stringify({ items, total: items.length }))) as StrategyListResponse;
    },
  );
}
