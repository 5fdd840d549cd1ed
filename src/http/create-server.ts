/**
 * The Fastify instance every ktrdr HTTP server starts from: zod validation,
 * one error shape, bearer-token auth on all but the open routes, and a logger
 * that leaves per-request lines out (health checks and polling never stop).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { TokenService } from '../auth/tokens.js';
import { pinoLevel, type Logger, type LogLevelName } from '../logging/logger.js';
import { registerBearerAuth, type OpenRoute } from './bearer-auth.js';
import { registerErrorHandling } from './error-handling.js';

/** pino's numeric level of `warn`. */
const WARN = 40;

export interface HttpServerOptions {
  readonly logger: Logger;
  /** `backend` or `worker`: named in errors that point at a log. */
  readonly processName: string;
  readonly tokens: TokenService;
  readonly isOpen: OpenRoute;
  readonly bodyLimitBytes?: number;
  /**
   * The HTTP log's own level (KTRDR_API_LOG_LEVEL); at INFO or DEBUG every request is logged.
   * Unset: warnings and errors only (or the process's level when higher), and no per-request lines.
   */
  readonly logLevel?: LogLevelName | null;
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  // Fastify's own info lines ("Server listening at …") repeat what the process logs; its warnings and errors stay.
  const level = options.logLevel ? pinoLevel(options.logLevel) : options.logger.levelVal > WARN ? options.logger.level : 'warn';
  const app: FastifyInstance = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }, { level }) as FastifyBaseLogger,
    // Health checks and polling never stop: request lines only when a level is asked for.
    logController: new LogController({ disableRequestLogging: !options.logLevel }),
    ...(options.bodyLimitBytes ? { bodyLimit: options.bodyLimitBytes } : {}),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app, options.processName);
  registerBearerAuth(app, options.tokens, options.isOpen);
  return app;
}
