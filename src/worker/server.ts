/**
 * The worker's HTTP API (no prefix): GET /health (open), and, with a bearer
 * token, POST /operations/start, POST /operations/{id}/cancel and
 * GET /operations/{id}/status. Bad input gets a 4xx naming the field; nothing
 * reaches a 500 on bad input.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBody, WorkerHealth, WorkerOperationStatus, WorkerStartBody, type ErrorBody as ErrorBodyType } from '../api/contract.js';
import { AuthError, type TokenService } from '../auth/tokens.js';
import { KtrdrError, notFound, type ErrorCode } from '../common/errors.js';
import type { Logger } from '../logging/logger.js';
import type { WorkerIdentity } from './identity.js';
import type { OperationRunner } from './operation-runner.js';

export interface WorkerServerOptions {
  readonly identity: WorkerIdentity;
  readonly runner: OperationRunner;
  readonly tokens: TokenService;
  readonly logger: Logger;
  /** False once the worker is stopping (reported by /health). */
  readonly isHealthy?: () => boolean;
}

const STATUS_OF: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_OPERATIONS: 429,
  UPSTREAM_UNAVAILABLE: 502,
  SHUTTING_DOWN: 503,
};

/** pino's numeric level of `warn`. */
const WARN = 40;

const OPEN_ROUTES = new Set(['/health']);

const errorBody = (code: string, message: string, details?: unknown): ErrorBodyType => ({
  success: false,
  error: { code, message, ...(details === undefined ? {} : { details }) },
});

const OperationIdParams = z.object({ id: z.string().min(1) });
const StartAccepted = z.object({ success: z.literal(true), operation_id: z.string() });
const Success = z.object({ success: z.literal(true) });

export function buildWorkerServer(options: WorkerServerOptions): FastifyInstance {
  const { identity, runner, tokens } = options;
  const app = Fastify({
    // Fastify's own lines (one "Server listening" per interface) at warn and above only: the runtime logs the one listening line.
    loggerInstance: options.logger.child({ component: 'http' }, { level: options.logger.levelVal >= WARN ? options.logger.level : 'warn' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onRequest', async (request, reply) => {
    if (OPEN_ROUTES.has(request.routeOptions.url ?? '')) return;
    try {
      await tokens.verifyHeader(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return reply.code(401).send(errorBody('UNAUTHORIZED', error.message));
    }
  });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const message = error.validation
        .map((issue) => `${[error.validationContext, ...issue.instancePath.split('/').filter(Boolean)].join('.')}: ${issue.message}`)
        .join('; ');
      return reply.code(400).send(errorBody('VALIDATION_ERROR', message));
    }
    if (error instanceof KtrdrError) return reply.code(STATUS_OF[error.code]).send(errorBody(error.code, error.message, error.details));
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody(status === 400 ? 'VALIDATION_ERROR' : 'BAD_REQUEST', error.message));
    options.logger.error({ err: error }, 'unexpected error in the worker API');
    return reply.code(500).send(errorBody('INTERNAL_ERROR', 'internal error; see the worker log'));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url} on this worker`)),
  );

  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get('/health', { schema: { response: { 200: WorkerHealth } } }, async () => ({
    healthy: options.isHealthy?.() ?? true,
    worker_id: identity.workerId,
    worker_type: identity.workerType,
    worker_status: runner.isBusy ? ('busy' as const) : ('idle' as const),
    current_operation: runner.currentOperationId,
  }));

  routes.post(
    '/operations/start',
    { schema: { body: WorkerStartBody, response: { 202: StartAccepted, 400: ErrorBody, 409: ErrorBody, 503: ErrorBody } } },
    async (request, reply) => {
      const { operationId } = runner.start(request.body);
      return reply.code(202).send({ success: true as const, operation_id: operationId });
    },
  );

  routes.post(
    '/operations/:id/cancel',
    { schema: { params: OperationIdParams, response: { 200: Success, 404: ErrorBody } } },
    async (request) => {
      if (!runner.cancel(request.params.id)) throw notFound('running operation', request.params.id);
      return { success: true as const };
    },
  );

  routes.get(
    '/operations/:id/status',
    { schema: { params: OperationIdParams, response: { 200: WorkerOperationStatus, 404: ErrorBody } } },
    async (request) => {
      const status = runner.status(request.params.id);
      if (!status) throw notFound('operation', request.params.id);
      return status;
    },
  );

  return app;
}
