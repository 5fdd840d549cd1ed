/**
 * The JSON body parser of every ktrdr HTTP server: Fastify's own (prototype
 * poisoning refused), preceded by one linear scan that refuses bodies nested
 * too deep or with too many entries in one array or object, with a 400 naming
 * where and the limit. The body size itself is bounded per route by Fastify.
 */
import type { FastifyInstance } from 'fastify';
import { KtrdrError } from '../common/errors.js';
import { checkJsonLimits, DEFAULT_JSON_LIMITS, type JsonLimits } from './json-limits.js';

export function registerBoundedJsonParser(app: FastifyInstance, limits: JsonLimits = DEFAULT_JSON_LIMITS): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const violation = checkJsonLimits(body as string, limits);
    if (violation) {
      done(new KtrdrError('VALIDATION_ERROR', `${violation.path}: ${violation.message}`), undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}
