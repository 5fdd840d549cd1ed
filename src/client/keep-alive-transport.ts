/**
 * JSON requests over node:http: the backend's calls to its workers (start, cancel, status, health), with a keep-alive
 * agent, and a worker's calls to the backend (registration, heartbeat, progress, outcomes), on a connection of
 * their own each. Node's fetch costs several times the CPU of node:http per small request (its web streams and
 * request objects), the dispatcher sends one start per operation (docs/architecture.md §5.4), and the first fetch of
 * a process initialises Node's bundled undici, ~25 ms of CPU a worker would pay before registering (§1.1).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type ClientRequest, type RequestOptions } from 'node:http';

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

type Send = (target: URL, options: RequestOptions, onResponse: (response: IncomingMessage) => void) => ClientRequest;

export interface HttpTransportOptions {
  /**
   * Keep idle connections for the next request (the backend, which calls its workers often). Off, each request
   * opens its own: a worker calls its backend every few seconds, and a connection kept to a backend that has
   * stopped would fail the next request with a reset instead of the refusal that moves the worker on to the next
   * backend at once (`HttpClient`'s fail-over, docs/architecture.md §9).
   */
  readonly keepAlive: boolean;
}

/** The backend's transport to its workers: idle connections are kept for the next request. */
export function keepAliveTransport(): Transport {
  return httpTransport({ keepAlive: true });
}

export function httpTransport(options: HttpTransportOptions): Transport {
  const http = new HttpAgent({ keepAlive: options.keepAlive, timeout: IDLE_CONNECTION_MS });
  const plain: Send = (target, init, onResponse) => httpRequest(target, { ...init, agent: http }, onResponse);
  // node:https (and TLS with it) loads on the first https URL only: a worker's start should not pay for it on http.
  let secure: Promise<Send> | undefined;
  const tls = (): Promise<Send> =>
    (secure ??= import('node:https').then(({ Agent, request }) => {
      const agent = new Agent({ keepAlive: options.keepAlive, timeout: IDLE_CONNECTION_MS });
      return (target, init, onResponse) => request(target, { ...init, agent }, onResponse);
    }));
  return async (request) => {
    const target = new URL(request.url);
    return exchange(target.protocol === 'https:' ? await tls() : plain, target, request);
  };
}

function exchange(send: Send, target: URL, { method, headers, body, timeoutMs }: TransportRequest): Promise<TransportResponse> {
  return new Promise<TransportResponse>((resolve, reject) => {
    const outgoing = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const fail = (error: unknown) => {
      clearTimeout(timer);
      reject(error);
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
    const sent = send(target, { method, headers: outgoing }, onResponse);
    sent.on('error', fail);
    // The same error as fetch's AbortSignal.timeout, so callers tell a timeout from a refusal the same way.
    const timer = setTimeout(() => sent.destroy(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
    sent.end(body);
  });
}
