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
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'KtrdrError';
  }
}

/**
 * The one way to make an error class (after `@fastify/error`): a name, an
 * optional code (which makes it a KtrdrError, answered with that code's HTTP
 * status), the message built from the constructor's arguments, and the fields
 * and details it carries. By default the constructor takes `(message, options?)`.
 *
 *     export class DatasetError extends createError('DatasetError') {}
 *     export class MarketDataRangeError extends createError('MarketDataRangeError', { code: 'VALIDATION_ERROR' }) {}
 *     export class DirectoryLockedError extends createError('DirectoryLockedError', {
 *       message: (directory: string, holderPid: number) => `... ${directory} ... ${holderPid}`,
 *       fields: (directory, holderPid) => ({ directory, holderPid }),
 *     }) {}
 *
 * Declaring the result as a class (rather than a const) keeps it usable as a
 * type and gives stack traces its name.
 */
export interface ErrorSpec<Args extends unknown[], Fields extends object, Base extends Error> {
  /** The message from the constructor's arguments; by default the first argument is the message. */
  readonly message?: (...args: Args) => string;
  /** Read-only fields set on each instance, for callers that inspect the error. */
  readonly fields?: (...args: Args) => Fields;
  /** The `cause` (ErrorOptions) from the arguments; by default the second argument's `cause` when the first is the message. */
  readonly cause?: (...args: Args) => unknown;
  /** `error.details` of a coded error: what the HTTP error body carries beside the message. */
  readonly details?: (...args: Args) => unknown;
  /** A class made by createError (taking `(message, options?)`) to extend, so `instanceof` it holds too. */
  readonly base?: new (message: string, options?: ErrorOptions) => Base;
}

type ErrorClass<Args extends unknown[], Instance> = new (...args: Args) => Instance;

export function createError<Args extends unknown[] = [message: string, options?: ErrorOptions], Fields extends object = object>(
  name: string,
  spec: ErrorSpec<Args, Fields, KtrdrError> & { readonly code: ErrorCode },
): ErrorClass<Args, KtrdrError & Readonly<Fields>>;
export function createError<
  Args extends unknown[] = [message: string, options?: ErrorOptions],
  Fields extends object = object,
  Base extends Error = Error,
>(name: string, spec?: ErrorSpec<Args, Fields, Base> & { readonly code?: undefined }): ErrorClass<Args, Base & Readonly<Fields>>;
export function createError(
  name: string,
  spec: ErrorSpec<unknown[], object, Error> & { readonly code?: ErrorCode } = {},
): ErrorClass<unknown[], Error> {
  const { code, message, fields, cause, details, base } = spec;
  const messageOf = (args: unknown[]): string => (message ? message(...args) : String(args[0]));
  const optionsOf = (args: unknown[]): ErrorOptions | undefined => {
    if (cause) return { cause: cause(...args) };
    return message ? undefined : (args[1] as ErrorOptions | undefined);
  };
  const finish = (error: Error, args: unknown[]) => {
    error.name = name;
    if (fields) Object.assign(error, fields(...args));
  };
  if (code !== undefined) {
    const fixedCode: ErrorCode = code;
    return class extends KtrdrError {
      constructor(...args: unknown[]) {
        super(fixedCode, messageOf(args), details?.(...args), optionsOf(args));
        finish(this, args);
      }
    };
  }
  const Base = base ?? Error;
  return class extends Base {
    constructor(...args: unknown[]) {
      super(messageOf(args), optionsOf(args));
      finish(this, args);
    }
  };
}

/** The text of anything thrown: an Error's message, anything else as a string. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const notFound = (what: string, id: string) => new KtrdrError('NOT_FOUND', `${what} '${id}' not found`);
export const conflict = (message: string) => new KtrdrError('CONFLICT', message);
export const forbidden = (message: string) => new KtrdrError('FORBIDDEN', message);
