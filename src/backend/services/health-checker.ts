/**
 * Calls every registered worker's GET /health on an interval. Consecutive
 * failures make a worker temporarily_unavailable (the registry's threshold); a
 * worker unhealthy for longer than the removal threshold is removed. A healthy
 * answer also updates which operation the worker claims to run; a worker running
 * an operation that is not its own (cancelled or finished meanwhile, deleted, or
 * given to another worker) is told to cancel it, and that is no claim. A worker that
 * answers without the operation it has been reserved for beyond the reservation
 * timeout, and does not know it at all, never got its start request (the backend that claimed it died first):
 * that operation goes back to pending (docs/architecture.md §9).
 * The answers are written in batches (one statement for all the answers that
 * arrived while the previous batch was being written), each a conditional UPDATE
 * on the rows: nothing here holds up a claim (docs/architecture.md §5.4).
 * A pass sends at most HEALTH_PASS_CONCURRENCY requests at a time, each next one
 * after the event loop has turned: 2,000 requests sent at once, and their answers
 * arriving together, held a claim's few events behind them for most of a second
 * (docs/architecture.md §5.3).
 */
import type { Clock } from '../../common/clock.js';
import { errorText } from '../../common/errors.js';
import { PeriodicTask, realTimers, type Timers } from '../../common/periodic-task.js';
import type { Logger } from '../../logging/logger.js';
import type { WorkerHealth } from '../../api/contract.js';
import type { OperationRepository, WorkerRow, WorkerState } from '../../store/types.js';
import type { WorkerClient } from './worker-client.js';
import type { HealthAnswer, WorkerRegistry } from './worker-registry.js';

/**
 * Health requests a pass has in flight at once. A worker answers a health check in about a millisecond, so 16 at a
 * time check 2,000 workers in under half a second of wall time while the event loop stays free for claims
 * and API requests between them.
 */
export const HEALTH_PASS_CONCURRENCY = 16;

/**
 * A request unanswered after this long stops counting against HEALTH_PASS_CONCURRENCY (it costs nothing while it
 * waits): unreachable workers that only time out then do not stretch a pass to workers × timeout / concurrency.
 */
export const HEALTH_SLOW_REQUEST_MS = 250;

export interface HealthCheckerOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly removalThresholdMs: number;
  /** Most answers written by one statement. Default 200. */
  readonly batchSize?: number;
  /** Requests in flight at once (HEALTH_PASS_CONCURRENCY). */
  readonly concurrency?: number;
  readonly timers?: Timers;
}

export interface HealthCheckerDeps {
  readonly registry: WorkerRegistry;
  readonly operations: Pick<OperationRepository, 'get'>;
  readonly client: WorkerClient;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called when a pass found a worker able to take work (wakes the dispatcher). */
  readonly onWorkerAvailable: () => void;
}

export class HealthChecker {
  readonly task: PeriodicTask;

  constructor(
    private readonly deps: HealthCheckerDeps,
    private readonly options: HealthCheckerOptions,
  ) {
    this.task = new PeriodicTask({
      name: 'health-checker',
      intervalMs: options.intervalMs,
      run: () => this.checkAll(),
      onError: (error) => deps.logger.error({ err: error }, 'health check pass failed'),
      timers: options.timers,
    });
  }

  async checkAll(): Promise<void> {
    const workers = await this.deps.registry.states();
    const batchSize = this.options.batchSize ?? 200;
    const healthy = new Batcher<HealthAnswer, WorkerRow>(batchSize, (answers) => this.deps.registry.recordHealthyMany(answers));
    const failed = new Batcher<string, WorkerRow>(batchSize, (ids) => this.deps.registry.recordFailures(ids));
    const pass = { requeued: 0 };
    const slots = new Slots(this.options.concurrency ?? HEALTH_PASS_CONCURRENCY, HEALTH_SLOW_REQUEST_MS, this.options.timers ?? realTimers);
    const results = await Promise.all(workers.map((worker) => this.check(worker, healthy, failed, pass, slots)));
    if (pass.requeued > 0 || results.some((row) => row?.status === 'available')) this.deps.onWorkerAvailable();
  }

  private async check(
    worker: WorkerState,
    healthy: Batcher<HealthAnswer, WorkerRow>,
    failed: Batcher<string, WorkerRow>,
    pass: { requeued: number },
    slots: Slots,
  ): Promise<WorkerRow | null> {
    const { registry, client, logger } = this.deps;
    let reason: string;
    // The epoch as listed, before the request: an assignment made after this makes the answer stale.
    const epoch = worker.assignmentEpoch;
    try {
      const health = await slots.run(() => client.health(worker.endpointUrl, this.options.timeoutMs));
      if (health.worker_id === worker.workerId && health.healthy) {
        // Before the answer is recorded: recording it clears the stale reservation this relies on.
        if (await this.requeueUnstarted(worker, health, epoch)) pass.requeued++;
        const owned = await this.ownsReportedOperation(worker, health, epoch);
        const rows = await healthy.add({ workerId: worker.workerId, health, requestEpoch: epoch, claim: owned });
        const row = rows.find((candidate) => candidate.workerId === worker.workerId) ?? null;
        if (worker.status === 'temporarily_unavailable' && row) logger.info({ worker_id: worker.workerId }, 'worker is healthy again');
        return row;
      }
      reason = health.worker_id === worker.workerId ? 'reports itself unhealthy' : `endpoint now answers as worker '${health.worker_id}'`;
    } catch (error) {
      reason = errorText(error);
    }
    const row = (await failed.add(worker.workerId)).find((candidate) => candidate.workerId === worker.workerId);
    if (!row) return null;
    if (row.status === 'temporarily_unavailable' && worker.status !== 'temporarily_unavailable') {
      logger.warn({ worker_id: row.workerId, failures: row.healthCheckFailures, reason }, 'worker is temporarily unavailable');
    }
    const healthySince = (row.lastHealthyAt ?? row.registeredAt).getTime();
    if (row.status === 'temporarily_unavailable' && this.deps.clock.now() - healthySince >= this.options.removalThresholdMs) {
      await registry.remove(row.workerId);
      logger.warn({ worker_id: row.workerId, reason }, 'worker removed: unhealthy beyond the removal threshold');
      return null;
    }
    return row;
  }

  /**
   * The worker, alive, says it does not run the operation it is reserved for, and the reservation is older than
   * the reservation timeout (no start answer ended it): the backend that claimed the pair died before its start
   * request reached the worker, so nobody runs the operation and it is queued again. The statement is a
   * compare-and-set on the assignment epoch listed before the health request (so the answer is not older than
   * the assignment) and on the operation running on this worker: two backends doing it at once cannot both act.
   * A worker that says it runs the operation, or that knows it (it ran it and its outcome is on its way), keeps
   * it; one that does not answer never gets here.
   */
  private async requeueUnstarted(worker: WorkerState, health: WorkerHealth, epoch: number): Promise<boolean> {
    const operationId = worker.currentOperationId;
    if (!worker.reserved || !operationId || !this.deps.registry.isReservationStale(worker.lastDispatchedAt)) return false;
    const busy = health.worker_status === 'busy';
    // Busy without saying with what: it may be this operation.
    if (busy && (health.current_operation === null || health.current_operation === operationId)) return false;
    // Idle is not enough: the start may have reached it and the operation finished with its outcome still in
    // its outbox (its backend is the one that died). Only the worker saying it does not know it at all is.
    if (!(await this.unknownTo(worker, operationId))) return false;
    const row = await this.deps.registry.requeueUnstarted(worker.workerId, operationId, epoch, busy);
    if (!row) return false;
    this.deps.logger.warn(
      { operation_id: operationId, worker_id: worker.workerId },
      `operation ${operationId} requeued: its start never reached worker ${worker.workerId} (the backend that claimed it is gone)`,
    );
    return true;
  }

  /** Whether the worker answers that it does not know the operation; false when it knows it or cannot say. */
  private async unknownTo(worker: WorkerState, operationId: string): Promise<boolean> {
    try {
      const status = await this.deps.client.status(worker.endpointUrl, operationId, this.options.timeoutMs);
      if (status === null) return true;
      this.deps.logger.warn(
        { operation_id: operationId, worker_id: worker.workerId, status: status.status },
        'the worker knows the operation its stale reservation is for; not requeueing it (its outcome counts when it arrives)',
      );
    } catch (error) {
      this.deps.logger.warn({ operation_id: operationId, worker_id: worker.workerId, err: error }, 'could not ask the worker about the operation of its stale reservation');
    }
    return false;
  }

  /**
   * Whether the operation the worker says it runs is running there according to the store. When it is
   * terminal, deleted or running on another worker, the worker is told to cancel it: the cancel it got earlier
   * may have arrived before the start, or not at all. A pending one is not claimed but left alone: it may be
   * being adopted by the worker's registration, and if it is dispatched elsewhere the next pass cancels it here.
   * An answer overtaken by an assignment (see WorkerRegistry.recordHealthy) decides nothing.
   */
  private async ownsReportedOperation(worker: WorkerRow, health: WorkerHealth, epoch: number): Promise<boolean> {
    const operationId = health.current_operation;
    if (health.worker_status !== 'busy' || !operationId) return true;
    const row = await this.deps.operations.get(operationId);
    if ((await this.deps.registry.assignmentEpochOf(worker.workerId)) !== epoch) return true;
    if (row?.status === 'running' && row.workerId === worker.workerId) return true;
    if (row?.status === 'pending') return false;
    const state = row ? `${row.status}${row.workerId && row.workerId !== worker.workerId ? ` on worker ${row.workerId}` : ''}` : 'unknown';
    this.deps.logger.warn({ operation_id: operationId, worker_id: worker.workerId, state }, 'worker runs an operation that is not its own; cancelling it there');
    await this.deps.client.cancel(worker.endpointUrl, operationId).catch((error: unknown) => {
      this.deps.logger.warn({ operation_id: operationId, worker_id: worker.workerId, err: error }, 'could not tell the worker to cancel');
    });
    return false;
  }
}

/**
 * Runs at most `size` requests at once, queueing the others; each queued one starts from setImmediate, after the
 * I/O that came in meanwhile (a claim's answer among it) has been handled. A request still unanswered after
 * `slowMs` frees its slot early: it waits for its timeout at no cost, and the pass goes on.
 */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(
    size: number,
    private readonly slowMs: number,
    private readonly timers: Timers,
  ) {
    this.free = Math.max(1, size);
  }

  async run<T>(request: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.timers.clearTimeout(slow);
      const next = this.waiting.shift();
      if (next) setImmediate(next);
      else this.free++;
    };
    const slow = this.timers.setTimeout(release, this.slowMs);
    try {
      return await request();
    } finally {
      release();
    }
  }
}

/**
 * Collects items and writes them with `write`, many per call: an item added while a write is in progress (or
 * about to start) waits for it and goes with every other item added meanwhile (up to `size` per call). Each add resolves with the rows
 * of the call that carried it.
 */
class Batcher<T, R> {
  private queue: { item: T; resolve: (rows: R[]) => void; reject: (error: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly size: number,
    private readonly write: (items: T[]) => Promise<R[]>,
  ) {}

  add(item: T): Promise<R[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.writing) return;
      this.writing = true;
      // After the answers already in hand have queued too, so that they share the first statement.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.size);
      try {
        const rows = await this.write(batch.map((entry) => entry.item));
        for (const entry of batch) entry.resolve(rows);
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.writing = false;
  }
}
