/**
 * Everything a worker says to the backend: registration (with retries and
 * back-off), heartbeat (re-registering when the backend forgot it), checkpoint
 * uploads, terminal outcomes (kept in an outbox until the backend takes them),
 * releases and deregistration. Failures to reach the backend are logged and
 * absorbed here: the worker keeps serving and tries again later.
 */
import { z } from 'zod';
import {
  CheckpointCreated,
  WorkerRecord,
  type CheckpointUpload,
  type CompletedOperationReport,
  type JsonObject,
  type OperationOutcome,
  type OperationRelease,
  type RegisterWorkerBody,
} from '../api/contract.js';
import { HttpError, NO_RETRY, type HttpClient, type RetryPolicy } from '../client/http.js';
import type { Logger } from '../logging/logger.js';
import type { WorkerIdentity } from './identity.js';

/** What the worker reports about itself at each (re-)registration. */
export interface WorkerState {
  readonly endpointUrl: string;
  readonly currentOperationId: string | null;
}

export interface BackendLinkOptions {
  readonly http: HttpClient;
  readonly identity: WorkerIdentity;
  readonly logger: Logger;
  /** Bound on one registration attempt (KTRDR_WORKER_REGISTRATION_TIMEOUT). */
  readonly registrationTimeoutMs: number;
  /** Registration retries and first back-off delay (KTRDR_API_CLIENT_MAX_RETRIES, _RETRY_DELAY). */
  readonly registrationRetry: RetryPolicy;
  /** Retries of checkpoint uploads, outcomes and releases before giving up (outcomes then wait in the outbox). */
  readonly requestRetry: RetryPolicy;
  /** Back-off never grows beyond this, so a long outage is still noticed soon after it ends. */
  readonly maxRetryDelayMs?: number;
  readonly capabilities?: JsonObject;
  /** Waits between registration attempts; rejects when the signal is aborted. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export type HeartbeatResult = 'ok' | 're-registered' | 'unreachable' | 'rejected';

const SuccessBody = z.object({ success: z.literal(true) }).loose();

const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const isClientError = (error: unknown): error is HttpError => error instanceof HttpError && error.status >= 400 && error.status < 500;

export class BackendLink {
  private readonly outbox = new Map<string, OperationOutcome>();
  private registered = false;

  constructor(private readonly options: BackendLinkOptions) {}

  get workerId(): string {
    return this.options.identity.workerId;
  }

  /** The backend this worker reports to (KTRDR_API_CLIENT_BASE_URL). */
  get backendUrl(): string {
    return this.options.http.baseUrl;
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  /** Outcomes the backend has not acknowledged yet, oldest first. */
  get pendingOutcomes(): ReadonlyMap<string, OperationOutcome> {
    return this.outbox;
  }

  /** One registration attempt, reporting the current operation and the unacknowledged outcomes. */
  async register(state: WorkerState): Promise<WorkerRecord> {
    const record = await this.options.http.request('POST', '/workers/register', WorkerRecord, {
      body: this.registrationBody(state),
      timeoutMs: this.options.registrationTimeoutMs,
      retry: NO_RETRY,
    });
    this.registered = true;
    return record;
  }

  /**
   * Registers, retrying unreachable backends and 5xx answers with exponential
   * back-off up to `registrationRetry.maxRetries` times. A 4xx is not retried
   * (a wrong secret or URL does not fix itself). Rejects with the abort reason
   * when `signal` is aborted (the worker is stopping).
   */
  async registerWithRetry(state: () => WorkerState, signal: AbortSignal): Promise<WorkerRecord> {
    const { maxRetries, delayMs } = this.options.registrationRetry;
    const maxDelay = this.options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    const sleep = this.options.sleep ?? defaultSleep;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw signal.reason;
      try {
        return await this.register(state());
      } catch (error) {
        if (isClientError(error) || attempt >= maxRetries) throw error;
        const wait = Math.min(delayMs * 2 ** attempt, maxDelay);
        this.options.logger.warn(
          `registration attempt ${attempt + 1}/${maxRetries + 1} failed (${describe(error)}); retrying in ${wait} ms`,
        );
        await sleep(wait, signal);
      }
    }
  }

  /**
   * Checks that the backend still knows this worker (GET /workers/{id}); on a
   * 404 (e.g. the backend restarted on a fresh store) registers again. When the
   * backend answers, unacknowledged outcomes are pushed again.
   */
  async heartbeat(state: WorkerState): Promise<HeartbeatResult> {
    let result: HeartbeatResult = 'ok';
    try {
      await this.options.http.request('GET', `/workers/${encodeURIComponent(this.workerId)}`, WorkerRecord, { retry: NO_RETRY });
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) {
        this.registered = false;
        this.options.logger.warn(
          `backend does not know worker ${this.workerId}; re-registering (current operation: ${state.currentOperationId ?? 'none'}, ${this.outbox.size} unacknowledged outcome(s))`,
        );
        try {
          await this.register(state);
        } catch (registerError) {
          this.options.logger.warn(`re-registration failed: ${describe(registerError)}; will retry on the next heartbeat`);
          return isClientError(registerError) ? 'rejected' : 'unreachable';
        }
        this.options.logger.info(`re-registered worker ${this.workerId} with the backend`);
        result = 're-registered';
      } else if (isClientError(error)) {
        this.options.logger.error(`heartbeat rejected by the backend: ${describe(error)}`);
        return 'rejected';
      } else {
        this.options.logger.warn(`heartbeat failed: ${describe(error)}`);
        return 'unreachable';
      }
    }
    await this.flushOutbox();
    return result;
  }

  /** Uploads a checkpoint; returns its id, or null when it could not be stored (the operation goes on). */
  async uploadCheckpoint(operationId: string, upload: Omit<CheckpointUpload, 'worker_id'>): Promise<string | null> {
    try {
      const created = await this.options.http.request('POST', `/operations/${encodeURIComponent(operationId)}/checkpoints`, CheckpointCreated, {
        body: { ...upload, worker_id: this.workerId } satisfies CheckpointUpload,
        retry: this.options.requestRetry,
      });
      return created.checkpoint_id;
    } catch (error) {
      this.options.logger.warn(`checkpoint of operation ${operationId} at ${upload.units} units (${upload.reason}) was not stored: ${describe(error)}`);
      return null;
    }
  }

  /**
   * Pushes a terminal outcome. One the backend cannot take now waits in the
   * outbox (retried on every heartbeat, and reported when re-registering);
   * one it refuses (4xx) is dropped with an error, since resending cannot help.
   */
  async reportOutcome(operationId: string, outcome: Omit<OperationOutcome, 'worker_id'>): Promise<boolean> {
    this.outbox.set(operationId, { ...outcome, worker_id: this.workerId });
    return this.pushOutcome(operationId, this.options.requestRetry);
  }

  /** Pushes every outcome in the outbox once; returns how many are still waiting. */
  async flushOutbox(): Promise<number> {
    for (const operationId of [...this.outbox.keys()]) {
      if (!(await this.pushOutcome(operationId, NO_RETRY))) break; // the backend is away again: try next time
    }
    return this.outbox.size;
  }

  /** Hands a running operation back to the backend (it becomes pending and is resumed elsewhere). */
  async release(operationId: string, release: Omit<OperationRelease, 'worker_id'>): Promise<boolean> {
    try {
      await this.options.http.request('POST', `/operations/${encodeURIComponent(operationId)}/release`, SuccessBody, {
        body: { ...release, worker_id: this.workerId } satisfies OperationRelease,
        retry: this.options.requestRetry,
      });
      return true;
    } catch (error) {
      this.options.logger.error(`could not hand operation ${operationId} back to the backend: ${describe(error)}`);
      return false;
    }
  }

  /** DELETE /workers/{id}; a backend that already forgot the worker is fine. */
  async deregister(): Promise<boolean> {
    try {
      await this.options.http.send('DELETE', `/workers/${encodeURIComponent(this.workerId)}`, { retry: this.options.requestRetry });
      this.registered = false;
      return true;
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return true;
      this.options.logger.warn(`could not deregister worker ${this.workerId}: ${describe(error)}`);
      return false;
    }
  }

  private registrationBody(state: WorkerState): RegisterWorkerBody {
    return {
      worker_id: this.workerId,
      worker_type: this.options.identity.workerType,
      endpoint_url: state.endpointUrl,
      capabilities: this.options.capabilities ?? {},
      current_operation_id: state.currentOperationId,
      completed_operations: [...this.outbox.entries()].map(([operationId, outcome]) => completedReport(operationId, outcome)),
    };
  }

  /** True when the outcome left the outbox (taken, or refused for good). */
  private async pushOutcome(operationId: string, retry: RetryPolicy): Promise<boolean> {
    const outcome = this.outbox.get(operationId);
    if (!outcome) return true;
    try {
      await this.options.http.request('POST', `/operations/${encodeURIComponent(operationId)}/outcome`, SuccessBody, { body: outcome, retry });
      this.outbox.delete(operationId);
      return true;
    } catch (error) {
      if (isClientError(error) && error.status !== 401 && error.status !== 408 && error.status !== 429) {
        this.outbox.delete(operationId);
        this.options.logger.error(`backend refused the outcome of operation ${operationId}: ${describe(error)}`);
        return true;
      }
      this.options.logger.warn(`outcome of operation ${operationId} kept for a later retry: ${describe(error)}`);
      return false;
    }
  }
}

function completedReport(operationId: string, outcome: OperationOutcome): CompletedOperationReport {
  return {
    operation_id: operationId,
    status: outcome.status === 'completed' ? 'COMPLETED' : outcome.status === 'failed' ? 'FAILED' : 'CANCELLED',
    result: outcome.result_summary,
    error_message: outcome.error_message,
    completed_at: outcome.completed_at,
  };
}
