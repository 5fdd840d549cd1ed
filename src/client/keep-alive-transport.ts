/**
 * JSON requests over node:http with a keep-alive agent: the backend's calls to its workers (start, cancel, status,
 * health) and a worker's calls to the backend (registration, heartbeat, progress, outcomes). Node's fetch costs
 * several times the CPU of node:http per small request (its web streams and request objects), the dispatcher sends
 * one start per operation and a worker one outcome (docs/architecture.md §5.4), and the first fetch of a process
 * initialises Node's bundled undici, ~25 ms of CPU a worker would pay before registering (§1.1).
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { createError } from '../common/errors.js';

export interface TransportRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The encoded JSON body, if any. */
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface TransportResponse {
  readonly status: number;
  readonly text: string;
}

/** Sends one request; rejects (with the socket's error, or a TimeoutError) when no complete answer came. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/**
 * How long an idle connection is kept, at most (shorter when the server announces a shorter keep-alive): like
 * fetch's, short enough that a server rarely closes one just as it is reused.
 */
export const IDLE_CONNECTION_MS = 4_000;

/** Errors of a kept connection the server closed meanwhile: nothing of the request was answered. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE']);

type Send = (target: URL, options: RequestOptions, onResponse: (response: IncomingMessage) => void) => ClientRequest;

/**
 * Idle connections are kept for the next request. A request that fails on a kept connection the server had closed
 * meanwhile (it stopped, or timed the connection out) is sent again on a new one: the reset says nothing about the
 * server now, and only a new connection tells a refusal, which moves a worker on to its next backend
 * (`HttpClient`'s fail-over, docs/architecture.md §9), from an answer.
 */
export function keepAliveTransport(): Transport {
  const http = new HttpAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS });
  const plain: Send = (target, init, onResponse) => httpRequest(target, { ...init, agent: http }, onResponse);
  // node:https (and TLS with it) loads on the first https URL only: a worker's start should not pay for it on http.
  let secure: Promise<Send> | undefined;
  const tls = (): Promise<Send> =>
    (secure ??= import('node:https').then(({ Agent, request }) => {
      const agent = new Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS });
      return (target, init, onResponse) => request(target, { ...init, agent }, onResponse);
    }));
  return async (request) => {
    const target = new URL(request.url);
    const send = target.protocol === 'https:' ? await tls() : plain;
    // Each stale connection is destroyed as it fails, so this ends once the pool holds no more of them.
    for (;;) {
      try {
        return await exchange(send, target, request);
      } catch (error) {
        if (!(error instanceof StaleConnection)) throw error;
      }
    }
  };
}

function exchange(send: Send, target: URL, { method, headers, body, timeoutMs }: TransportRequest): Promise<TransportResponse> {
  return new Promise<TransportResponse>((resolve, reject) => {
    const outgoing = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const fail = (error: unknown) => {
      clearTimeout(timer);
      if (sent.reusedSocket && STALE_CONNECTION.has((error as NodeJS.ErrnoException | null)?.code ?? '')) reject(new StaleConnection(error));
      else reject(error);
    };
    const onResponse = (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      // Not a stale connection once an answer began: the server had the request, and sending it again could act twice.
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    };
    const sent = send(target, { method, headers: outgoing }, onResponse);
    sent.on('error', fail);
    // The same error as fetch's AbortSignal.timeout, so callers tell a timeout from a refusal the same way.
    const timer = setTimeout(() => sent.destroy(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
    sent.end(body);
  });
}

/** A request failed on a kept connection the server had closed; retried on a new one, never seen by callers. */
class StaleConnection extends createError('StaleConnection', {
  message: (_original: unknown) => 'a kept connection was closed by the server',
  cause: (original: unknown) => original,
}) {}
