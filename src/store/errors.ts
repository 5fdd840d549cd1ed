/** Typed failures of the store, with messages that name where it tried to go. */
import { createError } from '../common/errors.js';

export type StoreDriver = 'pglite' | 'postgres';

/** The store could not be opened: the server is unreachable, refuses the login, or the directory is unusable. */
/** `target` is `host:port/database as user` for PostgreSQL, the data directory for PGlite. */
export class StoreConnectionError extends createError('StoreConnectionError', {
  message: (driver: StoreDriver, target: string, reason: string, _options: { cause?: unknown }) =>
    driver === 'postgres' ? `cannot connect to PostgreSQL at ${target}: ${reason}` : `cannot open the PGlite database in ${target}: ${reason}`,
  fields: (driver, target, reason) => ({ driver, target, reason }),
  cause: (_driver, _target, _reason, options) => options?.cause,
}) {}

/**
 * A readable reason for a driver error. Node reports a refused connection to a
 * name with several addresses as an AggregateError with an empty message.
 */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    const inner = error.errors.map(describeError).filter((reason) => reason !== '');
    if (inner.length > 0) return [...new Set(inner)].join('; ');
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (error.message !== '') return error.message;
    if (typeof code === 'string') return code;
    return error.name;
  }
  return String(error);
}

/** The PostgreSQL error code (SQLSTATE) of a driver error, if it has one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

/**
 * A statement name used with two different SQL texts. A name stands for one statement prepared once per session
 * (PGlite) or connection (PostgreSQL); reusing it for other SQL would run the first statement with the second's values.
 */
export class PreparedStatementConflictError extends createError('PreparedStatementConflictError', {
  message: (name: string) => `the prepared statement '${name}' was already prepared with different SQL`,
  fields: (name) => ({ statementName: name }),
}) {}
