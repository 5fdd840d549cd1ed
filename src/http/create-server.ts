/**
 * The Fastify instance every ktrdr HTTP server starts from: zod validation,
 * one error shape, access control by the roles each route declares, bounded
 * input (a small default body limit, JSON depth and entries checked before
 * parsing, path parameters of bounded length), and a logger that leaves
 * per-request lines out (health checks and polling never stop).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { TokenService } from '../auth/tokens.js';
import { pinoLevel, type Logger, type LogLevelName } from '../logging/logger.js';
import type { HttpServerTelemetry } from '../telemetry/http-server.js';
import { registerAccessControl, type PublicPluginRoute } from './access-control.js';
import { DEFAULT_BODY_LIMIT_BYTES, MAX_PATH_PARAM_LENGTH } from './body-limits.js';
import { registerBoundedJsonParser } from './bounded-json-parser.js';
import { registerErrorHandling } from './error-handling.js';
import { pathScrubber, type PrivatePath } from './private-paths.js';

/**
 * Fastify's compiler factories, returning the zod compilers for every route. The option is typed for Fastify's
 * own ajv compilers; at run time a factory only has to return a function of the route definition, which the zod
 * compilers are.
 */
const ZOD_COMPILERS = { buildValidator: () => validatorCompiler, buildSerializer: () => serializerCompiler } as unknown as NonNullable<
  FastifyServerOptions['schemaController']
>['compilersFactory'];

/** pino's numeric level of `warn`. */
const WARN = 40;

export interface HttpServerOptions {
  readonly logger: Logger;
  /** `backend` or `worker`: named in errors that point at a log. */
  readonly processName: string;
  readonly tokens: TokenService;
  /** Routes registered by plugins that need no token (their own routes declare `config.roles`). */
  readonly isPublicPluginRoute?: PublicPluginRoute;
  /**
   * The HTTP log's own level (KTRDR_API_LOG_LEVEL); at INFO or DEBUG every request is logged.
   * Unset: warnings and errors only (or the process's level when higher), and no per-request lines.
   */
  readonly logLevel?: LogLevelName | null;
  /** The upload limit (KTRDR_HTTP_MAX_UPLOAD_MB in bytes): routes taking uploads set it as their bodyLimit. */
  readonly uploadLimitBytes: number;
  /** Server directories shown as their label in answers (the working, temporary and home directories always are). */
  readonly privatePaths?: readonly PrivatePath[];
  /** A span per request (OpenTelemetry); its hooks run first, so refused requests are traced too. */
  readonly telemetry?: HttpServerTelemetry;
  /**
   * A server that already listens, for Fastify to answer on instead of one of its own (src/http/early-server.ts):
   * the worker listens and registers before Fastify is loaded.
   */
  readonly serverFactory?: FastifyServerFactory;
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  // Fastify's own info lines ("Server listening at …") repeat what the process logs; its warnings and errors stay.
  const level = options.logLevel ? pinoLevel(options.logLevel) : options.logger.levelVal > WARN ? options.logger.level : 'warn';
  const app: FastifyInstance = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }, { level }) as FastifyBaseLogger,
    // Health checks and polling never stop: request lines only when a level is asked for.
    logController: new LogController({ disableRequestLogging: !options.logLevel }),
    bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // The routes validate and serialize with zod. Handing Fastify the zod compilers here, rather than through
    // setValidatorCompiler/setSerializerCompiler after construction, keeps it from requiring its default ones
    // (ajv and fast-json-stringify, a quarter of a worker's start-up) only to replace them (docs/architecture.md §1).
    schemaController: { compilersFactory: ZOD_COMPILERS },
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  });
  options.telemetry?.register(app);
  registerBoundedJsonParser(app);
  registerErrorHandling(app, { processName: options.processName, scrubPaths: pathScrubber(options.privatePaths), uploadLimitBytes: options.uploadLimitBytes });
  registerAccessControl(app, options.tokens, options.isPublicPluginRoute ?? (() => false));
  return app;
}
