/**
 * The backend's HTTP application: zod-validated routes (docs/architecture.md §4) under
 * /api/v1, GET /health and GET /metrics at the root, OpenAPI docs at
 * /api/v1/docs, access control by role and one error shape.
 */
import fastifyCors from '@fastify/cors';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { API_PREFIX } from '../api/contract.js';
import { systemClock } from '../common/clock.js';
import { createHttpServer } from '../http/create-server.js';
import { DEFAULT_CORS_POLICY, type BackendAppDeps } from './app-deps.js';
import { DOCS_PREFIX, isPublicBackendPluginRoute } from './auth.js';
import { ChangeFeed } from './events/change-feed.js';
import { dashboardRoutes, defaultWebDir } from './routes/dashboard.js';
import { eventRoutes } from './routes/events.js';
import { settingsRoutes } from './routes/settings.js';
import { strategyRoutes } from './routes/strategies.js';
import { dataRoutes } from './routes/data.js';
import { dummyRoutes } from './routes/dummy.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { operationRoutes } from './routes/operations.js';
import { workerCallbackRoutes } from './routes/worker-callbacks.js';
import { workerRoutes } from './routes/workers.js';
import { workloadRoutes } from './routes/workloads.js';

export type { BackendAppDeps } from './app-deps.js';

export async function buildBackendApp(deps: BackendAppDeps): Promise<FastifyInstance> {
  const app = createHttpServer({
    logger: deps.logger,
    processName: 'backend',
    tokens: deps.tokens,
    isPublicPluginRoute: isPublicBackendPluginRoute,
    logLevel: deps.httpLogLevel ?? null,
    uploadLimitBytes: deps.uploadLimitBytes,
    privatePaths: deps.privatePaths,
    ...(deps.httpTelemetry ? { telemetry: deps.httpTelemetry } : {}),
  });

  if (deps.corsOrigins.length > 0) {
    const cors = deps.cors ?? DEFAULT_CORS_POLICY;
    const anyOr = (list: readonly string[]) => (list.includes('*') ? '*' : [...list]);
    await app.register(fastifyCors, {
      origin: deps.corsOrigins.includes('*') ? true : [...deps.corsOrigins],
      credentials: cors.allowCredentials,
      allowedHeaders: anyOr(cors.allowHeaders),
      methods: anyOr(cors.allowMethods),
      maxAge: cors.maxAgeSeconds,
    });
  }
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'ktrdr backend', description: 'Workers, operations and their progress (docs/architecture.md §4).', version: deps.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });

  healthRoutes(app, deps);
  metricsRoutes(app, deps);
  await dashboardRoutes(app, deps.webDir ?? defaultWebDir());
  const feed = new ChangeFeed(
    { registry: deps.registry, operations: deps.operations, clock: deps.clock ?? systemClock, logger: deps.logger },
    { intervalMs: deps.events?.intervalMs ?? 1_000, heartbeatMs: deps.events?.heartbeatMs ?? 15_000 },
  );
  await app.register(
    async (api) => {
      workerRoutes(api, deps);
      operationRoutes(api, deps);
      dummyRoutes(api, deps);
      workloadRoutes(api, deps);
      dataRoutes(api, deps);
      workerCallbackRoutes(api, deps);
      eventRoutes(api, feed);
      settingsRoutes(api, deps);
      strategyRoutes(api, deps);
    },
    { prefix: API_PREFIX },
  );
  await app.ready();
  return app;
}
