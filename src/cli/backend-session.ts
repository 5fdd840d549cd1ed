/**
 * What every backend command shares: a `BackendApi` built from the API client
 * and Auth settings only (the CLI never validates server-only settings), and
 * one way of turning failures into a message and an exit code.
 */
import { API_PREFIX } from '../api/contract.js';
import { TokenService, tokenProvider } from '../auth/tokens.js';
import { BackendApi } from '../client/backend-api.js';
import { HttpError, UnreachableError } from '../client/http.js';
import { createError } from '../common/errors.js';
import { secondsToMs } from '../config/derived.js';
import { getApiClientSettings, getAuthSettings } from '../config/settings.js';
import { ConfigurationError } from '../settings-engine/index.js';
import { ExitCode } from './exit-codes.js';
import { AmbiguousIdError } from './resolve-id.js';

export const CLI_TOKEN_SUBJECT = 'ktrdr-cli';

/** Where the base URL can be changed, named in every message about it. */
export const BASE_URL_SOURCES = 'KTRDR_API_CLIENT_BASE_URL or --backend URL';

/** A base URL the CLI cannot use (it lacks the API path); exit 1 with the message. */
export class BaseUrlError extends createError('BaseUrlError', {
  message: (baseUrl: string) =>
    `the backend URL ${baseUrl} lacks the API path ${API_PREFIX}: use ${baseUrl.replace(/\/+$/, '')}${API_PREFIX} (set by ${BASE_URL_SOURCES})`,
  fields: (baseUrl) => ({ baseUrl }),
}) {}

/** Throws `BaseUrlError` unless the URL's path ends with /api/v1 (without it every route answers "no route"). */
export function checkBaseUrl(baseUrl: string): void {
  const path = new URL(baseUrl).pathname.replace(/\/+$/, '');
  if (!path.endsWith(API_PREFIX)) throw new BaseUrlError(baseUrl);
}

/** Reads the API client and Auth settings; throws `ConfigurationError` when they are invalid. */
export function backendApiFromSettings(): BackendApi {
  const client = getApiClientSettings();
  checkBaseUrl(client.baseUrl);
  for (const url of client.fallbackUrls) checkBaseUrl(url);
  const auth = getAuthSettings();
  const tokens = new TokenService(auth.jwtSecret, auth.tokenExpireMinutes);
  return BackendApi.create({
    baseUrl: client.baseUrl,
    // Several backends on one database: a refused connection moves on to the next (docs/architecture.md §9).
    fallbackUrls: client.fallbackUrls,
    timeoutMs: secondsToMs(client.timeout),
    retry: { maxRetries: client.maxRetries, delayMs: secondsToMs(client.retryDelay) },
    retryWhenNothingListens: false,
    token: tokenProvider(tokens, CLI_TOKEN_SUBJECT, 'cli'),
  });
}

/** The one line printed when the backend does not answer. */
export function unreachableMessage(baseUrl: string, error: UnreachableError): string {
  const prefix = `cannot reach ${error.url}: `;
  const reason = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return `cannot reach the backend at ${baseUrl}: ${reason} (is \`ktrdr up\` or \`ktrdr backend\` running? the URL is set by ${BASE_URL_SOURCES})`;
}

/** Prints what went wrong in one line (or the configuration block) and returns the exit code. */
export function reportFailure(error: unknown, baseUrl: string | null): number {
  if (error instanceof ConfigurationError) {
    process.stderr.write(`${error.message}\n`);
  } else if (error instanceof UnreachableError) {
    process.stderr.write(`error: ${unreachableMessage(baseUrl ?? error.url, error)}\n`);
  } else if (error instanceof HttpError || error instanceof BaseUrlError || error instanceof AmbiguousIdError) {
    process.stderr.write(`error: ${error.message}\n`);
  } else {
    throw error;
  }
  return ExitCode.Failure;
}

/**
 * Runs a command body against the backend. The body returns its exit code;
 * configuration, network and HTTP failures become one message and exit 1.
 */
export async function withBackend(body: (api: BackendApi) => Promise<number>): Promise<void> {
  let api: BackendApi | null = null;
  try {
    api = backendApiFromSettings();
    process.exitCode = await body(api);
  } catch (error) {
    process.exitCode = reportFailure(error, api?.baseUrl ?? null);
  }
}
