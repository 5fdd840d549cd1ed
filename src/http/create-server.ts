/**
 * The Fastify instance every ktrdr HTTP server starts from: zod validation,
 * one error shape, access control by the roles each route declares, and a logger
 * that leaves per-request lines out (health checks and polling never stop).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { TokenService } from '../auth/tokens.js';
import type { Logger } from '../logging/logger.js';
import { registerAccessControl, type PublicPluginRoute } from './access-control.js';
import { registerErrorHandling } from './error-handling.js';

/** pino's numeric level of `warn`. */
const WARN = 40;

export interface HttpServerOptions {
  readonly logger: Logger;
  /** `backend` or `worker`: named in errors that point at a log. */
  readonly processName: string;
  readonly tokens: TokenService;
  /** Routes registered by plugins that need no token (their own routes declare `config.roles`). */
  readonly isPublicPluginRoute?: PublicPluginRoute;
  readonly bodyLimitBytes?: number;
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  // Fastify's own info lines ("Server listening at …") repeat what the process logs; its warnings and errors stay.
  const level = options.logger.levelVal > WARN ? options.logger.level : 'warn';
  const app: FastifyInstance = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }, { level }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.bodyLimitBytes ? { bodyLimit: options.bodyLimitBytes } : {}),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app, options.processName);
  registerAccessControl(app, options.tokens, options.isPublicPluginRoute ?? (() => false));
  return app;
}
