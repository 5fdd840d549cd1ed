/** The backend's calls to workers (start, cancel, status, health), each with a backend token. */
import { z } from 'zod';
import { WorkerHealth, WorkerOperationStatus, type WorkerStartBody } from '../../api/contract.js';
import { HttpClient, HttpError } from '../../client/http.js';
import { keepAliveTransport, type Transport } from '../../client/keep-alive-transport.js';

const Acknowledged = z.object({ success: z.literal(true) }).passthrough();

export interface WorkerClientOptions {
  /** Returns a bearer token for the backend (see tokenProvider). */
  readonly token: () => Promise<string>;
  /** Bound on start/cancel/status calls, in ms. */
  readonly requestTimeoutMs: number;
}

export class WorkerClient {
  /** One keep-alive connection pool for every worker endpoint (node:http rather than fetch: less CPU per call). */
  private readonly transport: Transport = keepAliveTransport();

  constructor(private readonly options: WorkerClientOptions) {}

  async health(endpointUrl: string, timeoutMs: number): Promise<WorkerHealth> {
    return this.client(endpointUrl).request('GET', '/health', WorkerHealth, { timeoutMs });
  }

  /** Throws HttpError (409 when the worker is busy) or UnreachableError. `headers`: the dispatch's trace context. */
  async start(endpointUrl: string, body: WorkerStartBody, headers: Readonly<Record<string, string>> = {}): Promise<void> {
    await this.client(endpointUrl).request('POST', '/operations/start', Acknowledged, { body, headers });
  }

  /** False when the worker does not (or no longer) run the operation. */
  async cancel(endpointUrl: string, operationId: string): Promise<boolean> {
    try {
      await this.client(endpointUrl).request('POST', `/operations/${encodeURIComponent(operationId)}/cancel`, Acknowledged, { body: {} });
      return true;
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return false;
      throw error;
    }
  }

  /** Null when the worker does not know the operation. `timeoutMs` overrides the usual bound. */
  async status(endpointUrl: string, operationId: string, timeoutMs?: number): Promise<WorkerOperationStatus | null> {
    try {
      return await this.client(endpointUrl).request('GET', `/operations/${encodeURIComponent(operationId)}/status`, WorkerOperationStatus, {
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return null;
      throw error;
    }
  }

  private client(endpointUrl: string): HttpClient {
    return new HttpClient({ baseUrl: endpointUrl, timeoutMs: this.options.requestTimeoutMs, token: this.options.token, transport: this.transport });
  }
}

/**
 * Whether a failed request certainly never reached the worker (nothing listens at its endpoint), as opposed to a
 * timeout or a dropped connection, after which the worker may have acted on it.
 */
export function isConnectionRefused(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if ((current as { code?: unknown }).code === 'ECONNREFUSED') return true;
    queue.push((current as { cause?: unknown }).cause);
    if (current instanceof AggregateError) queue.push(...current.errors);
  }
  return false;
}
