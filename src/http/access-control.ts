/**
 * Who may call what, for the backend and the workers alike. Every route declares the token roles it admits
 * (`config: { roles: [...] }`, or `PUBLIC`); a route that declares nothing is refused to everyone, so a new route
 * cannot be opened by forgetting. A worker-role request that names the worker it acts for (`actsFor`) must carry
 * that worker's own token. The verified claims stay on the request (`request.claims`) for the handlers.
 *
 * 401: no token, or a bad one (what is wrong and how to get one). 403: a good token whose role or subject the
 * route does not admit (naming the role, the route and who would be admitted).
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler, RouteOptions } from 'fastify';
import { AuthError, type TokenClaims, type TokenRole, type TokenService } from '../auth/tokens.js';
import { forbidden, KtrdrError } from '../common/errors.js';

/** A route anyone may call without a token (health, metrics, docs). */
export const PUBLIC = 'public';
export type RouteRoles = readonly TokenRole[] | typeof PUBLIC;

/** Where a worker-role request names the worker it acts for. */
export type ActsFor = 'body.worker_id' | 'params.id';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The token roles this route admits, or PUBLIC. Undeclared: refused to every role. */
    roles?: RouteRoles;
    /** For worker tokens: the request field that must equal the token's subject. */
    actsFor?: ActsFor;
  }
  interface FastifyRequest {
    /** The caller's verified token; null on public routes. */
    claims: TokenClaims | null;
  }
}

/** Decides which routes registered by plugins (docs, CORS preflights) are public, since they cannot declare it. */
export type PublicPluginRoute = (method: string, url: string) => boolean;

export interface DeclaredRoute {
  readonly method: string;
  readonly url: string;
  readonly roles: RouteRoles | undefined;
  readonly actsFor: ActsFor | undefined;
}

const routesOf = new WeakMap<FastifyInstance, DeclaredRoute[]>();

/** Every route registered on `app` with what it declares (for tests and docs). */
export function declaredRoutes(app: FastifyInstance): readonly DeclaredRoute[] {
  return routesOf.get(app) ?? [];
}

/** The claims of an authenticated request; throws on a public route, where there are none. */
export function requireClaims(request: FastifyRequest): TokenClaims {
  if (!request.claims) throw new KtrdrError('UNAUTHORIZED', `${request.method} ${request.routeOptions.url ?? request.url} needs a bearer token`);
  return request.claims;
}

const describeRoles = (roles: RouteRoles | undefined): string =>
  roles === undefined || roles.length === 0 ? 'no role (the route declares none)' : roles === PUBLIC ? 'anyone' : roles.join(', ');

function actingFor(request: FastifyRequest, actsFor: ActsFor): unknown {
  if (actsFor === 'params.id') return (request.params as { id?: unknown } | undefined)?.id;
  return (request.body as { worker_id?: unknown } | undefined)?.worker_id;
}

export function registerAccessControl(app: FastifyInstance, tokens: TokenService, isPublicPluginRoute: PublicPluginRoute): void {
  const routes: DeclaredRoute[] = [];
  routesOf.set(app, routes);
  app.decorateRequest('claims', null);

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (route.config?.roles === undefined && methods.every((method) => isPublicPluginRoute(method, route.url))) {
      route.config = { ...route.config, roles: PUBLIC };
    }
    for (const method of methods) routes.push({ method, url: route.url, roles: route.config?.roles, actsFor: route.config?.actsFor });
    // Only the routes that name the worker they act for get the check, as a hook of their own: the others (most
    // requests) skip a hook that would do nothing. After validation, so the field compared is the validated one.
    const actsFor = route.config?.actsFor;
    if (actsFor) {
      const existing = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
      route.preHandler = [actsForCheck(actsFor), ...existing];
    }
  });

  app.addHook('onRequest', async (request) => {
    const { roles } = request.routeOptions.config;
    if (roles === PUBLIC) return;
    try {
      request.claims = await tokens.verifyHeader(request.headers.authorization);
    } catch (error) {
      if (error instanceof AuthError) throw new KtrdrError('UNAUTHORIZED', error.message);
      throw error;
    }
    if (request.is404) return; // authenticated: the not-found answer tells nothing a caller may not know
    const { role } = request.claims;
    if (roles === undefined || !roles.includes(role)) {
      const route = `${request.method} ${request.routeOptions.url}`;
      throw forbidden(`a ${role} token may not call ${route}; it admits: ${describeRoles(roles)}`);
    }
  });
}

/** The preHandler of a route declaring `actsFor`: a worker token acts only for its own worker. */
function actsForCheck(actsFor: ActsFor): preHandlerAsyncHookHandler {
  return async (request) => {
    const claims = request.claims;
    if (claims?.role !== 'worker') return;
    const workerId = actingFor(request, actsFor);
    if (workerId !== claims.subject) {
      throw forbidden(
        `the token of worker '${claims.subject}' may not act for worker '${String(workerId)}' (${actsFor}) on ${request.method} ${request.routeOptions.url}; a worker acts only for itself`,
      );
    }
  };
}
