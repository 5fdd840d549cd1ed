/**
 * One error shape for every failure (ErrorBody). Validation errors name the
 * field, its value and the rule; bad input of any kind is a 4xx, never a 500;
 * a body over its route's limit is a 413 naming the limit (and the setting that
 * raises it); no answer shows a server directory.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorBody } from '../api/contract.js';
import { HTTP_STATUS_OF, KtrdrError } from '../common/errors.js';
import { UPLOAD_LIMIT_SETTING } from './body-limits.js';

const CODE_OF_STATUS: Record<number, string> = { 400: 'VALIDATION_ERROR', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

interface ValidationIssue {
  readonly instancePath: string;
  readonly message?: string;
}

export interface ErrorHandlingOptions {
  /** `backend` or `worker`: tells a user which log holds the details of an unexpected error. */
  readonly processName: string;
  /** Removes server directories from a text (see private-paths.ts). */
  readonly scrubPaths: (text: string) => string;
  /** Routes with at least this body limit take it from UPLOAD_LIMIT_SETTING, which a 413 then names. */
  readonly uploadLimitBytes: number;
}

type Send = (reply: FastifyReply, status: number, code: string, message: string, details?: unknown) => FastifyReply;

function sender(scrubPaths: (text: string) => string): Send {
  return (reply, status, code, message, details) => {
    const scrubbedDetails = details === undefined ? undefined : (JSON.parse(scrubPaths(JSON.stringify(details) ?? 'null')) as unknown);
    const body: ErrorBody = { success: false, error: { code, message: scrubPaths(message), ...(scrubbedDetails === undefined ? {} : { details: scrubbedDetails }) } };
    return reply.status(status).type('application/json').send(body);
  };
}

function bodyTooLargeMessage(request: FastifyRequest, uploadLimitBytes: number): string {
  const limit = request.routeOptions.bodyLimit;
  const route = `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
  const raise = limit >= uploadLimitBytes ? `; ${UPLOAD_LIMIT_SETTING} raises it` : '';
  return `body: larger than the ${limit} bytes ${route} accepts${raise}`;
}

/** "body.steps: Too small: expected number to be >=1 (got 0)" */
function describeIssue(request: FastifyRequest, context: string, issue: ValidationIssue): string {
  const segments = issue.instancePath.split('/').filter(Boolean);
  const field = [context, ...segments].join('.');
  const container = (request as unknown as Record<string, unknown>)[context === 'querystring' ? 'query' : context];
  let value: unknown = container;
  for (const segment of segments) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
  const got = value === undefined ? 'missing' : `got ${truncate(JSON.stringify(value))}`;
  return `${field}: ${issue.message ?? 'invalid'} (${got})`;
}

function truncate(text: string | undefined): string {
  if (text === undefined) return 'undefined';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** SQLSTATE class 22 ("data exception": bad encoding, NUL in text, a date out of range…), as a message; null for other errors. */
function describeDataException(error: unknown): string | null {
  const { code, message, detail } = error as { code?: unknown; message?: unknown; detail?: unknown };
  if (typeof code !== 'string' || !/^22[0-9A-Z]{3}$/.test(code)) return null;
  const reason = [message, detail].filter((part): part is string => typeof part === 'string' && part !== '').join(': ');
  return `a value in the request is invalid for the database (SQLSTATE ${code}): ${reason || 'data exception'}`;
}

export function registerErrorHandling(app: FastifyInstance, options: ErrorHandlingOptions): void {
  const { processName, uploadLimitBytes } = options;
  const send = sender(options.scrubPaths);
  app.setNotFoundHandler((request, reply) => send(reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]} on the ${processName}`));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const context = error.validationContext ?? 'body';
      const issues = error.validation as unknown as ValidationIssue[];
      const messages = issues.map((issue) => describeIssue(request, context, issue));
      return send(reply, 400, 'VALIDATION_ERROR', messages.join('; '), { issues: messages });
    }
    if (error instanceof KtrdrError) {
      const status = HTTP_STATUS_OF[error.code];
      const retryAfter = (error.details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
      if (status === 503 && typeof retryAfter === 'number') reply.header('Retry-After', String(retryAfter));
      return send(reply, status, error.code, error.message, error.details);
    }
    const dataException = describeDataException(error);
    if (dataException) {
      // A value the validation let through but the database refuses (SQLSTATE class 22): the input was bad, not the server.
      request.log.warn({ err: error }, 'input refused by the database');
      return send(reply, 400, 'VALIDATION_ERROR', `${request.method} ${request.url.split('?')[0]}: ${dataException}`);
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(reply, 413, 'PAYLOAD_TOO_LARGE', bodyTooLargeMessage(request, uploadLimitBytes));
    if (status >= 400 && status < 500) {
      // Fastify's own 4xx: malformed JSON, an empty body with a JSON content type, an unsupported media type.
      const message = error.code?.startsWith('FST_ERR_CTP') ? `body: ${error.message}` : error.message;
      return send(reply, status, CODE_OF_STATUS[status] ?? 'BAD_REQUEST', message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 500, 'INTERNAL_ERROR', `internal error; see the ${processName} log`);
  });
}
