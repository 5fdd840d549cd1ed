/**
 * Hands pending operations to available workers: FIFO per worker type, one
 * operation per worker. The operation and the worker are claimed together, in
 * one statement (WorkerRegistry.claim, docs/architecture.md §5.4), before the start
 * request, so nothing is dispatched twice, even by several backends sharing the
 * database; when the worker does not
 * answer, the operation goes back to pending (never lost) and the worker gets a
 * health failure, unless the worker may have started it after all (a timeout):
 * then the worker is asked, and the operation stays with it when it knows it.
 * Triggered by events (submit, registration, outcome, release)
 * and by a periodic safety net.
 */
import { WorkerType, type WorkerStartBody } from '../../api/contract.js';
import { HttpError, UnreachableError } from '../../client/http.js';
import type { Clock } from '../../common/clock.js';
import { errorText } from '../../common/errors.js';
import { sleep } from '../../common/sleep.js';
import { PeriodicTask, type Timers } from '../../common/periodic-task.js';
import type { Logger } from '../../logging/logger.js';
import { ATTR, NO_TELEMETRY, type Telemetry } from '../../telemetry/telemetry.js';
import type { Claim, OperationRepository, OperationRow, WorkerRow } from '../../store/types.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { isConnectionRefused, type WorkerClient } from './worker-client.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface DispatcherDeps {
  readonly operations: OperationRepository;
  readonly registry: WorkerRegistry;
  readonly client: WorkerClient;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Seconds an operation waited between becoming pending and running. */
  readonly observeLatency?: (seconds: number) => void;
  /** A span per dispatch attempt, whose trace context the start request carries to the worker. */
  readonly telemetry?: Telemetry;
}

export interface DispatcherOptions {
  /** Safety-net interval of the periodic pass, in ms. */
  readonly intervalMs: number;
  /** Bound on the status question asked after a start request went unanswered, in ms (short: it is one look). */
  readonly statusCheckTimeoutMs: number;
  /** Pairs claimed per worker type in one statement (their start requests go out in parallel). Default 32. */
  readonly batchSize?: number;
  readonly timers?: Timers;
}

/** When an operation became pending (again): set in its metadata by whoever queues it. */
export const QUEUED_AT_KEY = 'queued_at';

type Attempt = 'started' | 'skipped' | 'worker-failed';

const DEFAULT_BATCH_SIZE = 32;
/** Pause before claiming again after a contended claim (ClaimResult.contended): statements hold rows for about this long. */
const CONTENDED_RETRY_MS = 2;
/** Contended claims looked at again per pass; past that, the next event or the safety net looks. */
const MAX_CONTENDED_RETRIES = 50;

export class Dispatcher {
  readonly task: PeriodicTask;
  private pass: Promise<number> | null = null;
  private again = false;
  /** Wakes a pass waiting for its start requests (one settled, or a trigger came). */
  private nudge: (() => void) | null = null;
  /** Workers whose start request failed in the pass in progress: not claimed again before the next pass. */
  private failedWorkers: Set<string> | null = null;
  /** Workers whose start request, sent outside a pass, failed: the next pass does not claim them. */
  private readonly failedOutside = new Set<string>();
  /** Start requests of pairs claimed outside a pass (with their submission), until they settle. */
  private readonly detached = new Set<Promise<void>>();
  /** Claim statements answered with an operation left pending so far, and those not answered yet (watchClaims). */
  private claimsLeavingPending = 0;
  private claimsRunning = 0;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly options: DispatcherOptions,
  ) {
    this.task = new PeriodicTask({
      name: 'dispatcher',
      intervalMs: options.intervalMs,
      run: async () => void (await this.dispatchPending()),
      onError: (error) => deps.logger.error({ err: error }, 'dispatch pass failed'),
      timers: options.timers,
    });
  }

  /** Wakes the dispatcher without waiting (errors are logged). */
  trigger(): void {
    this.dispatchPending().catch((error: unknown) => this.deps.logger.error({ err: error }, 'dispatch pass failed'));
  }

  /** Waits for the pass in progress (and the re-runs it was asked for) and for detached starts, without asking for a pass. */
  async whenIdle(): Promise<void> {
    while (this.pass || this.detached.size > 0) {
      await this.pass;
      await Promise.all(this.detached);
    }
  }

  /**
   * Watches this dispatcher's claim statements from now on: the function returned says whether one may have missed
   * a worker freed meanwhile, i.e. one answered since with an operation left pending, or one still unanswered. An
   * outcome's statement that saw nothing pending asks it (OperationsService.recordOutcome). A claim that left
   * nothing pending missed nothing, which keeps claims from waking claims one outcome after another.
   */
  watchClaims(): () => boolean {
    const leftPending = this.claimsLeavingPending;
    return () => this.claimsRunning > 0 || this.claimsLeavingPending !== leftPending;
  }

  /**
   * Sends the start request of a pair claimed elsewhere (a submission claims its worker in the same statement,
   * OperationsService.submit), in the background. Like a pass's starts it waits for the event loop to turn first,
   * so that the submission's answer is written before; a failed start makes the operation pending again and asks
   * for a pass, as in a pass.
   */
  dispatchClaimed(claim: Claim): void {
    const attempt: Promise<void> = sleep(0)
      .then(() => this.dispatchOne(claim))
      .then(
        (result) => {
          if (result !== 'started') this.trigger();
        },
        (error: unknown) => this.deps.logger.error({ err: error, operation_id: claim.operation.operationId }, 'dispatch of a submitted operation failed'),
      )
      .finally(() => this.detached.delete(attempt));
    this.detached.add(attempt);
  }

  /** Runs passes until nothing more can be dispatched; returns how many operations started. A call during a pass joins it. */
  dispatchPending(): Promise<number> {
    if (this.pass) {
      this.again = true;
      this.nudge?.();
      return this.pass;
    }
    const pass = (async () => {
      // The request that woke the dispatcher (a submission, an outcome) writes its answer in this turn of the event
      // loop: the claim's round trip starts after it rather than before, so the caller waiting on that answer does
      // not wait for the claim's write (and, on a busy machine, for the database process it wakes) as well.
      await sleep(0);
      let started = 0;
      do {
        this.again = false;
        started += await this.dispatchAllTypes();
      } while (this.again);
      return started;
    })();
    this.pass = pass.finally(() => {
      this.pass = null;
    });
    return this.pass;
  }

  /**
   * Claims and starts until nothing more can be claimed. Start requests are not waited for before the next claim
   * (docs/architecture.md §5.4): a claimed pair is reserved in the database, so no later claim can take the same
   * operation or worker, and a slow worker holds up only its own start. The pass ends once no claim finds anything
   * and every start it sent has settled; a trigger or a failed start meanwhile makes it claim again. Workers whose
   * start failed are not claimed again in the pass.
   */
  private async dispatchAllTypes(): Promise<number> {
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const failedWorkers = (this.failedWorkers = new Set<string>(this.failedOutside));
    this.failedOutside.clear();
    const inFlight = new Set<Promise<void>>();
    let started = 0;
    let failure: { error: unknown } | null = null;
    let contendedRetries = 0;
    try {
      for (;;) {
        this.again = false;
        this.claimsRunning++;
        const { claims, contended, pendingLeft } = await this.deps.registry
          .claimOrContend(WorkerType.options, batchSize, [...failedWorkers])
          .finally(() => this.claimsRunning--);
        if (pendingLeft) this.claimsLeavingPending++;
        if (contended && contendedRetries++ < MAX_CONTENDED_RETRIES) {
          // Another statement (another backend's claim or outcome, a health write) held the rows this claim could
          // have paired: it may take them, or leave them to nobody (each held one side). Looking again once it is
          // done settles which, here rather than at the next event or safety-net pass.
          await sleep(CONTENDED_RETRY_MS);
          this.again = true;
        }
        for (const claim of claims) {
          const attempt: Promise<void> = this.dispatchOne(claim)
            .then(
              (result) => {
                if (result === 'started') started++;
                // A failure may have made an operation pending again, or a worker free again: claim once more.
                else this.again = true;
              },
              (error: unknown) => {
                failure ??= { error };
              },
            )
            .finally(() => {
              inFlight.delete(attempt);
              this.nudge?.();
            });
          inFlight.add(attempt);
        }
        // A full batch on some type may have left more behind: claim again at once.
        const full = WorkerType.options.some((type) => claims.filter((claim) => claim.worker.workerType === type).length >= batchSize);
        if (full && !failure) continue;
        while (!this.again && !failure && inFlight.size > 0) await new Promise<void>((resolve) => (this.nudge = resolve));
        this.nudge = null;
        if (failure || !this.again) break;
      }
      while (inFlight.size > 0) await Promise.all(inFlight);
    } finally {
      this.nudge = null;
      this.failedWorkers = null;
    }
    if (failure) throw (failure as { error: unknown }).error;
    return started;
  }

  private async dispatchOne(claim: Claim): Promise<Attempt> {
    const { operation, worker } = claim;
    const now = this.deps.clock.now();
    const span = (this.deps.telemetry ?? NO_TELEMETRY).startSpan(`dispatch ${operation.operationType}`, {
      kind: 'client',
      attributes: {
        [ATTR.operationId]: operation.operationId,
        [ATTR.operationType]: operation.operationType,
        [ATTR.workerId]: worker.workerId,
        [ATTR.workerType]: worker.workerType,
        'server.address': worker.endpointUrl,
      },
    });
    try {
      const attempt = await this.startClaimed(claim, now, span.traceHeaders());
      span.setAttributes({ [ATTR.dispatchResult]: attempt });
      return attempt;
    } catch (error) {
      span.fail(error);
      throw error;
    } finally {
      span.end();
    }
  }

  private async startClaimed(claim: Claim, now: number, traceHeaders: Record<string, string>): Promise<Attempt> {
    const { registry, client, checkpoints, logger } = this.deps;
    const { operation, worker, epoch } = claim;
    const operationId = operation.operationId;
    const body: WorkerStartBody = {
      operation_id: operationId,
      operation_type: operation.operationType,
      params: operation.params,
      checkpoint: claim.hasCheckpoint ? await checkpoints.latest(operationId) : null,
    };
    try {
      await client.start(worker.endpointUrl, body, traceHeaders);
    } catch (error) {
      if (!(await this.startedDespite(operation, worker, error))) return this.handleStartFailure(claim, error);
    }
    // Told before the reservation's end, which waits for others to share its statement (up to 20 ms): by then a
    // short operation may have finished, and its log line would come first.
    this.deps.observeLatency?.(Math.max(0, now - queuedAt(operation)) / 1000);
    logger.info({ operation_id: operationId, worker_id: worker.workerId, from_units: body.checkpoint?.units ?? null }, 'operation dispatched');
    const wanted = await registry.endReservation(worker.workerId, operationId, epoch);
    if (wanted) return 'started';
    await this.unwanted(operationId, worker);
    return 'skipped';
  }

  /**
   * After a start request that got no answer: whether the worker may run the operation anyway. Only a refused
   * connection, or the worker itself saying it does not know the operation, makes it safe to queue it again;
   * when the worker cannot say either way it is left with the worker (the health checker and the orphan
   * detector settle it) rather than risk running it twice.
   */
  private async startedDespite(operation: OperationRow, worker: WorkerRow, error: unknown): Promise<boolean> {
    if (!(error instanceof UnreachableError) || isConnectionRefused(error)) return false;
    const { client, registry, logger } = this.deps;
    const operationId = operation.operationId;
    try {
      const status = await client.status(worker.endpointUrl, operationId, this.options.statusCheckTimeoutMs);
      if (!status) return false;
      logger.warn({ operation_id: operationId, worker_id: worker.workerId, status: status.status }, 'start request unanswered, but the worker runs the operation');
      return true;
    } catch (statusError) {
      if (isConnectionRefused(statusError)) return false;
      await registry.recordFailure(worker.workerId);
      logger.warn(
        { operation_id: operationId, worker_id: worker.workerId, reason: error.message, status_error: errorText(statusError) },
        'start request unanswered and the worker cannot say whether it runs the operation; leaving it with the worker',
      );
      return true;
    }
  }

  /**
   * After a successful start: the operation was cancelled (or otherwise moved on) while the request was in
   * flight, when a cancel could not reach the worker yet. The worker is told to stop it.
   */
  private async unwanted(operationId: string, worker: WorkerRow): Promise<void> {
    const { operations, client, logger } = this.deps;
    const row = await operations.get(operationId);
    logger.warn({ operation_id: operationId, worker_id: worker.workerId, status: row?.status ?? 'deleted' }, 'operation changed while it was being started; cancelling it on the worker');
    await client.cancel(worker.endpointUrl, operationId).catch((error: unknown) => {
      logger.warn({ operation_id: operationId, worker_id: worker.workerId, err: error }, 'could not tell the worker to cancel');
    });
  }

  private async handleStartFailure(claim: Claim, error: unknown): Promise<Attempt> {
    const { operations, registry, logger } = this.deps;
    const { operation, worker, epoch } = claim;
    const operationId = operation.operationId;
    const status = error instanceof HttpError ? error.status : null;
    const reason = errorText(error);
    if (status !== null && status >= 400 && status < 500 && status !== 409 && status !== 401 && status !== 403) {
      // The worker understood the request and refuses this operation: running it elsewhere would fail the same way.
      await operations.update(
        operationId,
        { status: 'failed', completedAt: new Date(this.deps.clock.now()), errorMessage: `worker ${worker.workerId} rejected the operation: ${reason}` },
        ['running'],
      );
      await registry.cancelReservation(worker.workerId, operationId, false, epoch);
      logger.warn({ operation_id: operationId, worker_id: worker.workerId, reason }, 'operation rejected by the worker');
      return 'skipped';
    }
    // Before the worker is free again, so that the pass (or the next one, for a start sent outside a pass) does not
    // claim it again at once (claims run beside starts).
    (this.failedWorkers ?? this.failedOutside).add(worker.workerId);
    await operations.update(
      operationId,
      { status: 'pending', workerId: null, startedAt: null },
      ['running'],
    );
    await registry.cancelReservation(worker.workerId, operationId, status === 409, epoch);
    if (status !== 409) await registry.recordFailure(worker.workerId);
    logger.warn({ operation_id: operationId, worker_id: worker.workerId, reason }, 'dispatch failed; operation is pending again');
    return 'worker-failed';
  }
}

/** When the operation became pending (again), in ms: the start of its dispatch latency. */
export function queuedAt(operation: OperationRow): number {
  const value = operation.metadata[QUEUED_AT_KEY];
  const parsed = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(parsed) ? operation.createdAt.getTime() : parsed;
}
