/**
 * The operator dashboard's static files (built by `npm run build` into dist/web, from web/), served at `/`.
 * Public: the page itself holds no data; every API call it makes carries the operator's bearer token.
 *
 * Two explicit routes instead of the plugin's wildcard: a public `GET /*` would answer unknown API paths too
 * (without a token, and with another 404 shape), so only `/` and the hashed files under `/assets/` are served.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KtrdrError } from '../../common/errors.js';
import { packageRoot } from '../../common/package-root.js';
import { PUBLIC } from '../../http/access-control.js';

const AssetParams = z.object({
  file: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/, 'an asset name is letters, digits, "_", "-" or "." and does not start with "."'),
});

/** dist/web of the package this module belongs to (from src/ in tests, from dist/ once built). */
export function defaultWebDir(): string {
  return join(packageRoot(), 'dist', 'web');
}

export async function dashboardRoutes(app: FastifyInstance, webDir: string): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, { root: webDir, serve: false });
    const routes = scope.withTypeProvider<ZodTypeProvider>();
    const notBuilt = () =>
      new KtrdrError('NOT_FOUND', 'the dashboard is not built: `npm run build` writes it to dist/web (index.html is missing)');

    routes.get('/', { config: { roles: PUBLIC }, schema: { hide: true } }, async (_request, reply) => {
      if (!existsSync(join(webDir, 'index.html'))) throw notBuilt();
      // Never cached: it names the current hashed assets.
      return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
    });

    routes.get('/assets/:file', { config: { roles: PUBLIC }, schema: { hide: true, params: AssetParams } }, async (request, reply) => {
      const file = join('assets', request.params.file);
      if (!existsSync(join(webDir, file))) throw new KtrdrError('NOT_FOUND', `dashboard asset '${request.params.file}' not found`);
      // Vite puts a content hash in every asset name: a given name never changes.
      return reply.sendFile(file, { maxAge: '365d', immutable: true });
    });
  });
}
