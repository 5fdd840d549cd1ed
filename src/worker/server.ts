/**
 * The worker's HTTP API (no prefix): GET /health (open), and, for the backend's
 * token only, POST /operations/start, POST /operations/{id}/cancel and
 * GET /operations/{id}/status: only the backend gives a worker work, so CLI and
 * worker tokens are refused (403). Bad input gets a 4xx naming the field;
 * nothing reaches a 500 on bad input.
 */
import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBody, MAX_ID_LENGTH, WorkerHealth, WorkerOperationStatus, WorkerStartBody } from '../api/worker-contract.js';
import type { TokenService } from '../auth/tokens.js';
import { notFound } from '../common/errors.js';
import { START_PARAMS_ALLOWANCE_BYTES } from '../http/body-limits.js';
import { PUBLIC } from '../http/access-control.js';
import { createHttpServer } from '../http/create-server.js';
import type { Logger } from '../logging/logger.js';
import { HttpServerTelemetry } from '../telemetry/http-server.js';
import { NO_TELEMETRY, type Telemetry } from '../telemetry/telemetry.js';
import type { WorkerIdentity } from './identity.js';
import type { OperationRunner } from './operation-runner.js';

export interface WorkerServerOptions {
  readonly identity: WorkerIdentity;
  readonly runner: OperationRunner;
  readonly tokens: TokenService;
  readonly logger: Logger;
  /** False once the worker is stopping (reported by /health). */
  readonly isHealthy?: () => boolean;
  /** KTRDR_HTTP_MAX_UPLOAD_MB in bytes: the checkpoint state a resume start may carry. */
  readonly uploadLimitBytes: number;
  /** A span per request; the start request's span is the parent of the operation's. None by default. */
  readonly telemetry?: Telemetry;
  /** The server that listens already (src/http/early-server.ts); Fastify makes its own without. */
  readonly serverFactory?: FastifyServerFactory;
}

const OperationIdParams = z.object({ id: z.string().min(1).max(MAX_ID_LENGTH) });
const StartAccepted = z.object({ success: z.literal(true), operation_id: z.string() });
const Success = z.object({ success: z.literal(true) });
const BACKEND_ONLY = { roles: ['backend'] } as const;

export function buildWorkerServer(options: WorkerServerOptions): FastifyInstance {
  const { identity, runner, tokens } = options;
  const httpTelemetry = new HttpServerTelemetry(options.telemetry ?? NO_TELEMETRY);
  const app = createHttpServer({
    telemetry: httpTelemetry,
    logger: options.logger,
    processName: 'worker',
    tokens,
    uploadLimitBytes: options.uploadLimitBytes,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  });

  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get('/health', { config: { roles: PUBLIC }, schema: { response: { 200: WorkerHealth } } }, async () => ({
    healthy: options.isHealthy?.() ?? true,
    worker_id: identity.workerId,
    worker_type: identity.workerType,
    worker_status: runner.isBusy ? ('busy' as const) : ('idle' as const),
    current_operation: runner.currentOperationId,
  }));

  routes.post(
    '/operations/start',
    // A resume start carries the checkpoint state (model weights for training) besides the params.
    { config: BACKEND_ONLY, bodyLimit: options.uploadLimitBytes + START_PARAMS_ALLOWANCE_BYTES, schema: { body: WorkerStartBody, response: { 202: StartAccepted, 400: ErrorBody, 409: ErrorBody, 503: ErrorBody } } },
    async (request, reply) => {
      await runner.ready; // the workload code may still be loading just after registration
      const { operationId } = runner.start(request.body, { parent: httpTelemetry.spanOf(request) });
      return reply.code(202).send({ success: true as const, operation_id: operationId });
    },
  );

  routes.post(
    '/operations/:id/cancel',
    { config: BACKEND_ONLY, schema: { params: OperationIdParams, response: { 200: Success, 404: ErrorBody } } },
    async (request) => {
      if (!runner.cancel(request.params.id)) throw notFound('running operation', request.params.id);
      return { success: true as const };
    },
  );

  routes.get(
    '/operations/:id/status',
    { config: BACKEND_ONLY, schema: { params: OperationIdParams, response: { 200: WorkerOperationStatus, 404: ErrorBody } } },
    async (request) => {
      const status = runner.status(request.params.id);
      if (!status) throw notFound('operation', request.params.id);
      return status;
    },
  );

  return app;
}
