/**
 * The routes a server registered (method and URL pattern), for anything that
 * must cover every route: the hostile-input suite enumerates them, so that a
 * new route is exercised without anyone listing it.
 */
import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Call before any route is added (hooks reach routes registered after them, in every plugin). */
export function recordRoutes(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) table.push({ method, url: route.url });
  });
}

/** Every route of `app` (HEAD routes Fastify adds for GETs included). */
export function registeredRoutes(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? [];
}
