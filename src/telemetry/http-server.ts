/**
 * A server span per HTTP request of a Fastify app (the backend's and the worker's), child of the trace context the
 * caller sent (`traceparent`), and the request-duration histogram. createHttpServer registers it before any other
 * hook, so requests refused by access control are traced too; with telemetry off it adds no hook at all.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Telemetry, TelemetrySpan } from './telemetry.js';

interface Served {
  readonly span: TelemetrySpan;
  readonly startedAt: number;
}

export class HttpServerTelemetry {
  private readonly served = new WeakMap<FastifyRequest, Served>();

  constructor(private readonly telemetry: Telemetry) {}

  /** The span of a request being served (the parent of work the request starts), or null. */
  spanOf(request: FastifyRequest): TelemetrySpan | null {
    return this.served.get(request)?.span ?? null;
  }

  register(app: FastifyInstance): void {
    const { telemetry, served } = this;
    if (!telemetry.enabled) return;
    const duration = telemetry.histogram('http.server.request.duration', 'Duration of HTTP server requests', 's');
    // The route pattern (/operations/:id), not the path, names the span: ids would make every name unique.
    const routeOf = (request: FastifyRequest): string | undefined => request.routeOptions.url;

    app.addHook('onRequest', async (request) => {
      const route = routeOf(request);
      const span = telemetry.startSpan(`${request.method} ${route ?? 'unknown route'}`, {
        kind: 'server',
        parentHeaders: request.headers,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?')[0],
          'server.port': request.socket.localPort,
        },
      });
      served.set(request, { span, startedAt: performance.now() });
    });

    const finish = (request: FastifyRequest, statusCode: number | null) => {
      const entry = served.get(request);
      if (!entry) return;
      served.delete(request);
      if (statusCode !== null) entry.span.setAttributes({ 'http.response.status_code': statusCode });
      if (statusCode === null || statusCode >= 500) entry.span.fail(statusCode === null ? 'request aborted' : `HTTP ${statusCode}`);
      entry.span.end();
      duration.record((performance.now() - entry.startedAt) / 1000, {
        'http.request.method': request.method,
        'http.route': routeOf(request),
        'http.response.status_code': statusCode,
      });
    };
    app.addHook('onResponse', async (request, reply) => finish(request, reply.statusCode));
    app.addHook('onRequestAbort', async (request) => finish(request, null));
  }
}
