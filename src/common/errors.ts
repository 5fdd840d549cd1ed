/** Errors with a stable code, mapped to HTTP statuses at the edge. */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'TOO_MANY_OPERATIONS'
  | 'SHUTTING_DOWN'
  | 'UPSTREAM_UNAVAILABLE'
  | 'STORAGE_UNAVAILABLE';

/** The HTTP status each error code is answered with, by the backend and the workers alike. */
export const HTTP_STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_OPERATIONS: 429,
  UPSTREAM_UNAVAILABLE: 502,
  SHUTTING_DOWN: 503,
  // Insufficient Storage: not retried by clients (the disk will not free itself within a retry's delay).
  STORAGE_UNAVAILABLE: 507,
};

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
export const forbidden = (message: string) => new KtrdrError('FORBIDDEN', message);
