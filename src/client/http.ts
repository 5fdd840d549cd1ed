/**
 * A small JSON-over-HTTP client with bearer tokens, a per-request timeout and
 * retries with exponential back-off. Used by the CLI and the workers to reach
 * the backend, and by the backend to reach workers.
 */
import type { z } from 'zod';
import { createError } from '../common/errors.js';
import { sleep as defaultSleep } from '../common/sleep.js';
import type { Transport } from './keep-alive-transport.js';

export class HttpError extends createError('HttpError', {
  message: (_status: number, _url: string, message: string, _body: unknown) => message,
  fields: (status, url, _message, body) => ({ status, url, body }),
}) {}

/** The server could not be reached, or did not answer in time. */
export class UnreachableError extends createError('UnreachableError', {
  message: (url: string, cause: unknown) => `cannot reach ${url}: ${cause instanceof Error ? (cause.name === 'TimeoutError' ? 'timed out' : causeMessage(cause)) : String(cause)}`,
  fields: (url) => ({ url }),
  cause: (_url, cause) => cause,
}) {}

function causeMessage(error: Error): string {
  const inner = (error as { cause?: unknown }).cause;
  return inner instanceof Error ? inner.message : error.message;
}

/** Connect errors that mean nothing listens there (as opposed to a slow or overloaded server). */
const NOTHING_THERE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** The system error code of a failed connection (ECONNREFUSED, ENOTFOUND…) found in the cause chain, or null. */
export function connectErrorCode(error: unknown): string | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NOTHING_THERE.has(code)) return code;
    // fetch refuses some ports (e.g. 1, 9, 6000) before connecting: no retry changes that either.
    if (current instanceof Error && current.message === 'bad port') return 'BAD_PORT';
    queue.push((current as { cause?: unknown }).cause);
    if (current instanceof AggregateError) queue.push(...current.errors);
  }
  return null;
}

export interface RetryPolicy {
  /** Extra attempts after the first. */
  readonly maxRetries: number;
  /** Delay before the first retry in ms; doubles each time. */
  readonly delayMs: number;
}

export const NO_RETRY: RetryPolicy = { maxRetries: 0, delayMs: 0 };

export interface HttpClientOptions {
  readonly baseUrl: string;
  /**
   * Further base URLs of the same service (backends sharing one database, docs/architecture.md §9): when the current
   * one refuses connections, the next is tried at once, without a retry's delay, and kept while it answers.
   */
  readonly fallbackUrls?: readonly string[];
  /** Told when requests move to another base URL. */
  readonly onFailover?: (from: string, to: string, reason: string) => void;
  readonly timeoutMs: number;
  /** Returns the bearer token to send (minted lazily and refreshed by the caller). */
  readonly token?: () => Promise<string>;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * False: a connection refused (or a host that does not resolve) fails at once instead of being retried.
   * The CLI sets it: a person waiting seconds for "cannot reach" learns nothing from the wait.
   */
  readonly retryWhenNothingListens?: boolean;
  /** Sends JSON requests (`request`, `send`) instead of fetch: the backend's keep-alive client to its workers. */
  readonly transport?: Transport;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Record<string, string | number | undefined>;
  readonly timeoutMs?: number;
  /** Overrides the client's policy; only unreachable servers and 502/503/504 are retried. */
  readonly retry?: RetryPolicy;
  /** Extra request headers (trace context); they cannot replace the ones the client sets. */
  readonly headers?: Readonly<Record<string, string>>;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);


export class HttpClient {
  private readonly baseUrls: readonly string[];
  private current = 0;

  constructor(private readonly options: HttpClientOptions) {
    this.baseUrls = [...new Set([options.baseUrl, ...(options.fallbackUrls ?? [])])];
  }

  /** The base URL requests go to now (the first one until it refuses connections). */
  get baseUrl(): string {
    return this.baseUrls[this.current] as string;
  }

  /** Sends a request and parses the answer with `schema` (an invalid answer is an error, not a guess). */
  async request<S extends z.ZodType>(method: string, path: string, schema: S, options: RequestOptions = {}): Promise<z.output<S>> {
    return this.checked(method, path, schema, await this.send(method, path, options));
  }

  private checked<S extends z.ZodType>(method: string, path: string, schema: S, raw: unknown): z.output<S> {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(200, this.url(path), `unexpected response from ${method} ${path}: ${issue?.path.join('.')}: ${issue?.message}`, raw);
    }
    return parsed.data;
  }

  /** Sends a request and returns the decoded JSON body (or null for an empty one). */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    return this.withRetry(options, async () => {
      const { status, text, url } = this.options.transport
        ? await this.exchangeByTransport(this.options.transport, method, path, options)
        : await this.exchange(method, path, options, 'application/json').then(async ({ response, url }) => ({
            status: response.status,
            text: await response.text().catch(() => ''),
            url,
          }));
      const body = parseBody(text);
      if (status < 200 || status > 299) throw new HttpError(status, url, errorMessage(method, path, status, body), body);
      return body;
    });
  }

  /**
   * Asks for `mediaType` (a binary body) and falls back to JSON: a body of that type comes back
   * as its bytes, in an ArrayBuffer of its own (so typed arrays can view it); any other
   * successful body (a server that does not offer the type answers JSON) is parsed with `schema`.
   * Errors, timeouts and retries are those of `request`.
   */
  async negotiate<S extends z.ZodType>(
    method: string,
    path: string,
    mediaType: string,
    schema: S,
    options: RequestOptions = {},
  ): Promise<{ readonly binary: ArrayBuffer } | { readonly json: z.output<S> }> {
    const body = await this.withRetry<{ binary: ArrayBuffer } | { text: unknown }>(options, async () => {
      const { response, url } = await this.exchange(method, path, options, `${mediaType}, application/json;q=0.5`);
      const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (response.ok && type === mediaType) {
        try {
          return { binary: await readBytes(response) };
        } catch (error) {
          // The connection dropped or timed out mid-body: as unreachable as no answer at all.
          throw new UnreachableError(url, error);
        }
      }
      const parsed = parseBody(await response.text().catch(() => ''));
      if (!response.ok) throw new HttpError(response.status, url, errorMessage(method, path, response.status, parsed), parsed);
      return { text: parsed };
    });
    return 'binary' in body ? body : { json: this.checked(method, path, schema, body.text) };
  }

  private async withRetry<T>(options: RequestOptions, attempt: () => Promise<T>): Promise<T> {
    const retry = options.retry ?? this.options.retry ?? NO_RETRY;
    const sleep = this.options.sleep ?? defaultSleep;
    for (let attempts = 0; ; attempts++) {
      try {
        return await this.onEachBaseUrl(attempt);
      } catch (error) {
        const nothingThere = this.options.retryWhenNothingListens === false && connectErrorCode(error) !== null;
        const retryable = (error instanceof UnreachableError && !nothingThere) || (error instanceof HttpError && RETRYABLE_STATUS.has(error.status));
        if (!retryable || attempts >= retry.maxRetries) throw error;
        await sleep(retry.delayMs * 2 ** attempts);
      }
    }
  }

  /** One attempt: a base URL that refuses connections passes the request on to the next one, each tried once. */
  private async onEachBaseUrl<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tried = 1; ; tried++) {
      try {
        return await attempt();
      } catch (error) {
        if (connectErrorCode(error) === null || tried >= this.baseUrls.length) throw error;
        this.failOver(error);
      }
    }
  }

  private failOver(error: unknown): void {
    const from = this.baseUrl;
    this.current = (this.current + 1) % this.baseUrls.length;
    this.options.onFailover?.(from, this.baseUrl, error instanceof Error ? error.message : String(error));
  }

  private url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(this.baseUrl.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  private async requestHeaders(options: RequestOptions, accept: string): Promise<Record<string, string>> {
    const headers: Record<string, string> = { ...options.headers, accept };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers.authorization = `Bearer ${await this.options.token()}`;
    return headers;
  }

  private async exchangeByTransport(transport: Transport, method: string, path: string, options: RequestOptions): Promise<{ status: number; text: string; url: string }> {
    const url = this.url(path, options.query);
    const headers = await this.requestHeaders(options, 'application/json');
    try {
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      return { ...(await transport({ method, url, headers, body, timeoutMs: options.timeoutMs ?? this.options.timeoutMs })), url };
    } catch (error) {
      throw new UnreachableError(url, error);
    }
  }

  private async exchange(method: string, path: string, options: RequestOptions, accept: string): Promise<{ response: Response; url: string }> {
    const url = this.url(path, options.query);
    const headers = await this.requestHeaders(options, accept);
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs ?? this.options.timeoutMs),
      });
      return { response, url };
    } catch (error) {
      throw new UnreachableError(url, error);
    }
  }
}

/**
 * The body's bytes in an ArrayBuffer of their own. With a Content-Length the chunks go
 * straight into a buffer of that size: a third less CPU than `arrayBuffer()`, which
 * gathers the chunks and then copies them (measured on 48 MB over loopback).
 */
async function readBytes(response: Response): Promise<ArrayBuffer> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (!(Number.isSafeInteger(declared) && declared >= 0) || response.body === null) return response.arrayBuffer();
  const bytes = new Uint8Array(declared);
  let filled = 0;
  const reader = response.body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    if (filled + chunk.value.length > declared) {
      await reader.cancel();
      throw new Error(`the body is longer than its Content-Length of ${declared} bytes`);
    }
    bytes.set(chunk.value, filled);
    filled += chunk.value.length;
  }
  if (filled !== declared) throw new Error(`the body ended after ${filled} of its ${declared} bytes`);
  return bytes.buffer;
}

/** JSON when it parses, the text otherwise, null when empty. */
function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The server's own message when it sent one (`{error: {message}}`), else the status. */
function errorMessage(method: string, path: string, status: number, body: unknown): string {
  const error = (body as { error?: unknown } | null)?.error;
  const message =
    typeof error === 'string' ? error : typeof (error as { message?: unknown })?.message === 'string' ? (error as { message: string }).message : null;
  return `${method} ${path} failed with ${status}${message ? `: ${message}` : ''}`;
}
