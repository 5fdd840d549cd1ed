/** Errors with a stable code, mapped to HTTP statuses at the edge. */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'TOO_MANY_OPERATIONS'
  | 'SHUTTING_DOWN'
  | 'UPSTREAM_UNAVAILABLE';

export class KtrdrError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'KtrdrError';
  }
}

export const notFound = (what: string, id: string) => new KtrdrError('NOT_FOUND', `${what} '${id}' not found`);
export const conflict = (message: string) => new KtrdrError('CONFLICT', message);
