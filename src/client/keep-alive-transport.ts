/**
 * JSON requests over node:http with a keep-alive agent: the backend's calls to its workers (start, cancel,
 * status, health). Node's fetch costs several times the CPU of node:http per small request (its web streams
 * and request objects), and the dispatcher sends one start per operation (docs/architecture.md §5.4).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

export function keepAliveTransport(): Transport {
  const http = new HttpAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS });
  const https = new HttpsAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS });
  const once = ({ method, url, headers, body, timeoutMs }: TransportRequest) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const outgoing = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
      const fail = (error: unknown) => {
        clearTimeout(timer);
        // A kept connection the server had closed (it stopped, or timed the connection out) says nothing about
        // the server now: the caller tries again on a new one, which tells a refusal (failover) from an answer.
        if (sent.reusedSocket && STALE_CONNECTION.has((error as NodeJS.ErrnoException | null)?.code ?? '')) reject(new StaleConnection(error));
        else reject(error);
      };
      const onResponse = (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      };
      const sent = (secure ? httpsRequest : httpRequest)(target, { method, headers: outgoing, agent: secure ? https : http }, onResponse);
      sent.on('error', fail);
      // The same error as fetch's AbortSignal.timeout, so callers tell a timeout from a refusal the same way.
      const timer = setTimeout(() => sent.destroy(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
      sent.end(body);
    });
  return async (request) => {
    // Each stale connection is destroyed as it fails, so this ends once the pool holds no more of them.
    for (;;) {
      try {
        return await once(request);
      } catch (error) {
        if (!(error instanceof StaleConnection)) throw error;
      }
    }
  };
}

/** A request failed on a kept connection the server had closed; retried on a new one, never seen by callers. */
class StaleConnection extends createError('StaleConnection', {
  message: (_original: unknown) => 'a kept connection was closed by the server',
  cause: (original: unknown) => original,
}) {}
