/**
 * Everything a worker says to the backend: registration (with retries and
 * back-off), heartbeat (re-registering when the backend forgot it), checkpoint
 * uploads, trained models, terminal outcomes, releases and deregistration.
 * What a finished operation leaves behind (its model, its final checkpoint, its
 * outcome) waits in an outbox until the backend takes it, delivered per
 * operation in the order it was produced: the backend never hears that a
 * training completed before it holds the model. Failures to reach the backend
 * are logged and absorbed here: the worker keeps serving and tries again later.
 */
import { z } from 'zod';
import type {
  CheckpointUpload,
  CompletedOperationReport,
  JsonObject,
  ModelArtifact,
  OperationOutcome,
  OperationRelease,
  RegisterWorkerBody,
  WorkerStartBody,
} from '../api/contract.js';
// The schemas it validates with come from the worker's part of the contract: the whole one is not built before it registers.
import { CheckpointCreated, ModelCreated, OutcomeAnswer, WorkerRecord } from '../api/worker-contract.js';
import { errorText } from '../common/errors.js';
import { sleep as defaultSleep } from '../common/sleep.js';
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
  /** Draws the jitter of the registration back-off, in [0, 1) (Math.random). */
  readonly random?: () => number;
  /**
   * Whether the worker would take its next operation now; when it would, outcomes ask for it (take_next) and the
   * backend may answer with it instead of sending a start request (docs/architecture.md §5.4).
   */
  readonly takesNext?: () => boolean;
  /** Starts an operation an outcome's answer carried; the outcome's delivery waits for it. */
  readonly onAssignment?: (start: WorkerStartBody) => Promise<void>;
}

export type HeartbeatResult = 'ok' | 're-registered' | 'unreachable' | 'rejected';

/** Something an operation produced that the backend must get, in order. */
type Delivery =
  | { readonly kind: 'model'; readonly artifact: ModelArtifact }
  | { readonly kind: 'checkpoint'; readonly upload: CheckpointUpload }
  | { readonly kind: 'outcome'; outcome: OperationOutcome };

/** What became of one delivery attempt. */
type Sent = 'taken' | 'refused' | 'later';

/** Models are the largest bodies a worker sends. */
const MODEL_UPLOAD_TIMEOUT_MS = 120_000;

const SuccessBody = z.object({ success: z.literal(true) }).loose();

const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;

const isClientError = (error: unknown): error is HttpError => error instanceof HttpError && error.status >= 400 && error.status < 500;
/** A 4xx that resending will not change (401, 408 and 429 may pass: a token refreshes, a timeout or a limit passes). */
const isRefusal = (error: unknown): error is HttpError => isClientError(error) && error.status !== 401 && error.status !== 408 && error.status !== 429;

export class BackendLink {
  /** Per operation, what the backend has not taken yet, oldest first. */
  private readonly outbox = new Map<string, Delivery[]>();
  /** Per operation, the delivery pass running now: passes over one queue run one after the other. */
  private readonly delivering = new Map<string, Promise<boolean>>();
  private registered = false;
  /** The backend that took the last registration: another one answering means a failover. */
  private registeredWith: string | null = null;

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
    const outcomes = new Map<string, OperationOutcome>();
    for (const [operationId, queue] of this.outbox) {
      const outcome = queue.find((delivery) => delivery.kind === 'outcome');
      if (outcome?.kind === 'outcome') outcomes.set(operationId, outcome.outcome);
    }
    return outcomes;
  }

  /** Operations with something (model, final checkpoint, outcome) the backend has not taken yet. */
  get pendingOperations(): readonly string[] {
    return [...this.outbox.keys()];
  }

  /** One registration attempt, reporting the current operation and the unacknowledged outcomes. */
  async register(state: WorkerState): Promise<WorkerRecord> {
    const record = await this.options.http.request('POST', '/workers/register', WorkerRecord, {
      body: this.registrationBody(state),
      timeoutMs: this.options.registrationTimeoutMs,
      retry: NO_RETRY,
    });
    this.registered = true;
    this.registeredWith = this.options.http.baseUrl;
    return record;
  }

  /**
   * Registers, retrying unreachable backends and 5xx answers with exponential
   * back-off up to `registrationRetry.maxRetries` times. A 4xx is not retried
   * (a wrong secret or URL does not fix itself). Rejects with the abort reason
   * when `signal` is aborted (the worker is stopping). Each wait is between half
   * and all of its back-off, drawn at random: a fleet that started together, or
   * lost its backend together, does not come back in step.
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
        const backOff = Math.min(delayMs * 2 ** attempt, maxDelay);
        const wait = Math.round(backOff / 2 + (backOff / 2) * (this.options.random ?? Math.random)());
        this.options.logger.warn(
          `registration attempt ${attempt + 1}/${maxRetries + 1} failed (${errorText(error)}); retrying in ${wait} ms`,
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
    let why: string | null = null;
    try {
      await this.options.http.request('GET', `/workers/${encodeURIComponent(this.workerId)}`, WorkerRecord, { retry: NO_RETRY });
      // Failed over to another backend on the same database (docs/architecture.md §9): it knows this worker from the
      // shared table, but registering again tells it what the worker runs and what it still has to deliver.
      if (this.registered && this.registeredWith !== this.options.http.baseUrl) {
        why = `worker ${this.workerId} failed over from the backend at ${this.registeredWith} to ${this.options.http.baseUrl}; re-registering there`;
      }
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) {
        why = `backend does not know worker ${this.workerId}; re-registering`;
      } else if (isClientError(error)) {
        this.options.logger.error(`heartbeat rejected by the backend: ${errorText(error)}`);
        return 'rejected';
      } else {
        this.options.logger.warn(`heartbeat failed: ${errorText(error)}`);
        return 'unreachable';
      }
    }
    if (why !== null) {
      this.registered = false;
      this.options.logger.warn(
        `${why} (current operation: ${state.currentOperationId ?? 'none'}, ${this.outbox.size} operation(s) with undelivered results)`,
      );
      try {
        await this.register(state);
      } catch (registerError) {
        this.options.logger.warn(`re-registration failed: ${errorText(registerError)}; will retry on the next heartbeat`);
        return isClientError(registerError) ? 'rejected' : 'unreachable';
      }
      this.options.logger.info(`re-registered worker ${this.workerId} with the backend at ${this.options.http.baseUrl}`);
      result = 're-registered';
    }
    await this.flushOutbox();
    return result;
  }

  /**
   * Uploads a checkpoint; returns its id, or null when it was not stored now (the operation goes on). A `final`
   * checkpoint (the last one of a run that failed or was cancelled) that cannot reach the backend waits in the
   * outbox, ahead of the outcome that follows it.
   */
  async uploadCheckpoint(
    operationId: string,
    upload: Omit<CheckpointUpload, 'worker_id'>,
    options: { final?: boolean } = {},
  ): Promise<string | null> {
    const body: CheckpointUpload = { ...upload, worker_id: this.workerId };
    if (options.final && this.outbox.has(operationId)) {
      this.enqueue(operationId, { kind: 'checkpoint', upload: body });
      return null;
    }
    try {
      return await this.postCheckpoint(operationId, body, this.options.requestRetry);
    } catch (error) {
      if (options.final && !isRefusal(error)) {
        this.enqueue(operationId, { kind: 'checkpoint', upload: body });
        this.options.logger.warn(`final checkpoint of operation ${operationId} at ${upload.units} units kept for a later retry: ${errorText(error)}`);
        return null;
      }
      this.options.logger.warn(`checkpoint of operation ${operationId} at ${upload.units} units (${upload.reason}) was not stored: ${errorText(error)}`);
      return null;
    }
  }

  /**
   * Hands a trained model to the backend. When the backend cannot take it now, the model waits in the outbox
   * (the run goes on: its outcome will follow the model there); a model the backend refuses (4xx) throws, and
   * the run fails with that reason.
   */
  async deliverModel(artifact: ModelArtifact): Promise<'stored' | 'held'> {
    const operationId = artifact.operation_id;
    if (operationId === null) {
      // No operation to hold it for (not made by a run): the caller hears of a failure directly.
      await this.postModel(artifact, this.options.requestRetry);
      return 'stored';
    }
    if (this.outbox.has(operationId)) {
      this.enqueue(operationId, { kind: 'model', artifact });
      return 'held';
    }
    try {
      await this.postModel(artifact, this.options.requestRetry);
      return 'stored';
    } catch (error) {
      if (isRefusal(error)) {
        if (error.status === 409) return 'stored'; // an earlier attempt got through; its answer was lost
        throw error;
      }
      this.enqueue(operationId, { kind: 'model', artifact });
      this.options.logger.warn(
        `model ${artifact.model_id} of operation ${operationId} kept for a later retry (its outcome waits behind it): ${errorText(error)}`,
      );
      return 'held';
    }
  }

  /**
   * Pushes a terminal outcome. One the backend cannot take now waits in the
   * outbox (retried on every heartbeat, and reported when re-registering), behind
   * the model and final checkpoint of the same operation that still wait there;
   * one it refuses (4xx) is dropped with an error, since resending cannot help.
   */
  async reportOutcome(operationId: string, outcome: Omit<OperationOutcome, 'worker_id'>): Promise<boolean> {
    this.enqueue(operationId, { kind: 'outcome', outcome: { ...outcome, worker_id: this.workerId } });
    return this.deliver(operationId, this.options.requestRetry);
  }

  /** Pushes what waits in the outbox, operation by operation, once; returns how many operations still wait. */
  async flushOutbox(): Promise<number> {
    for (const operationId of [...this.outbox.keys()]) {
      if (!(await this.deliver(operationId, NO_RETRY))) break; // the backend is away again: try next time
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
      this.options.logger.error(`could not hand operation ${operationId} back to the backend: ${errorText(error)}`);
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
      this.options.logger.warn(`could not deregister worker ${this.workerId}: ${errorText(error)}`);
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
      // Only outcomes with nothing queued ahead of them: a completed training is reported once its model is stored.
      completed_operations: [...this.outbox.entries()].flatMap(([operationId, queue]) => {
        const first = queue[0];
        return first?.kind === 'outcome' ? [completedReport(operationId, first.outcome)] : [];
      }),
    };
  }

  private enqueue(operationId: string, delivery: Delivery): void {
    const queue = this.outbox.get(operationId);
    if (queue) queue.push(delivery);
    else this.outbox.set(operationId, [delivery]);
  }

  private async postCheckpoint(operationId: string, body: CheckpointUpload, retry: RetryPolicy): Promise<string> {
    const created = await this.options.http.request('POST', `/operations/${encodeURIComponent(operationId)}/checkpoints`, CheckpointCreated, {
      body,
      retry,
    });
    return created.checkpoint_id;
  }

  private async postModel(artifact: ModelArtifact, retry: RetryPolicy): Promise<void> {
    await this.options.http.request('POST', '/models', ModelCreated, { body: artifact, retry, timeoutMs: MODEL_UPLOAD_TIMEOUT_MS });
  }

  /**
   * Delivers an operation's queue in order; true when it is empty (everything taken, or refused for good).
   * A heartbeat's flush and an outcome's report may both want to deliver the same queue: two passes at once
   * would both send its head and both remove it, dropping what came next unsent, so they are chained.
   */
  private deliver(operationId: string, retry: RetryPolicy): Promise<boolean> {
    const previous = this.delivering.get(operationId) ?? Promise.resolve(true);
    const pass = previous.then(() => this.deliverQueue(operationId, retry));
    this.delivering.set(operationId, pass);
    void pass.finally(() => {
      if (this.delivering.get(operationId) === pass) this.delivering.delete(operationId);
    });
    return pass;
  }

  private async deliverQueue(operationId: string, retry: RetryPolicy): Promise<boolean> {
    const queue = this.outbox.get(operationId);
    while (queue && queue.length > 0) {
      const next = queue[0] as Delivery;
      const sent = await this.send(operationId, next, retry);
      if (sent === 'later') return false;
      queue.shift();
      if (sent === 'refused' && next.kind === 'model') this.failQueuedOutcome(queue, next.artifact);
    }
    this.outbox.delete(operationId);
    return true;
  }

  private async send(operationId: string, delivery: Delivery, retry: RetryPolicy): Promise<Sent> {
    try {
      if (delivery.kind === 'model') await this.postModel(delivery.artifact, retry);
      else if (delivery.kind === 'checkpoint') await this.postCheckpoint(operationId, delivery.upload, retry);
      else await this.postOutcome(operationId, delivery.outcome, retry);
      if (delivery.kind === 'model') this.options.logger.info(`model ${delivery.artifact.model_id} of operation ${operationId} delivered`);
      return 'taken';
    } catch (error) {
      const what =
        delivery.kind === 'model'
          ? `model ${delivery.artifact.model_id} of operation ${operationId}`
          : delivery.kind === 'checkpoint'
            ? `final checkpoint of operation ${operationId}`
            : `outcome of operation ${operationId}`;
      if (isRefusal(error)) {
        if (delivery.kind === 'model' && error.status === 409) return 'taken'; // stored by an attempt whose answer was lost
        this.options.logger.error(`backend refused the ${what}: ${errorText(error)}`);
        return 'refused';
      }
      this.options.logger.warn(`${what} kept for a later retry: ${errorText(error)}`);
      return 'later';
    }
  }

  /**
   * POST /operations/{id}/outcome; an idle worker asks for its next operation, and starts the one the answer carries.
   * Only the worker's current operation on the backend can bring one (the backend claims it as it releases the worker),
   * so two outcomes delivered at once never both do.
   */
  private async postOutcome(operationId: string, outcome: OperationOutcome, retry: RetryPolicy): Promise<void> {
    const takeNext = this.options.onAssignment !== undefined && this.options.takesNext?.() === true;
    const answer = await this.options.http.request('POST', `/operations/${encodeURIComponent(operationId)}/outcome`, OutcomeAnswer, {
      body: takeNext ? { ...outcome, take_next: true } : outcome,
      retry,
    });
    if (answer.next) await this.options.onAssignment?.(answer.next);
  }

  /** A model refused for good: the completed outcome behind it would name a model that does not exist. */
  private failQueuedOutcome(queue: Delivery[], artifact: ModelArtifact): void {
    for (const delivery of queue) {
      if (delivery.kind !== 'outcome' || delivery.outcome.status !== 'completed') continue;
      delivery.outcome = {
        ...delivery.outcome,
        status: 'failed',
        result_summary: null,
        error_message: `the backend refused model ${artifact.model_id}; the training's result is lost`,
      };
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
