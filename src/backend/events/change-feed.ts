/**
 * The change feed behind GET /api/v1/events (docs/architecture.md §4.1). It compares what the services hold with
 * what it saw last time, every `intervalMs`, and sends the differences to its subscribers.
 *
 * Why polling the services and not hooks in them: operations and workers change in many places (submissions, the
 * dispatcher, health checks, worker callbacks, retention, the orphan detector, another backend sharing PostgreSQL),
 * and progress lives on the workers until read. One diff over what the API would answer catches every one of those
 * with no edit to the services, and a missed hook cannot silently freeze the page. The loop runs only while someone
 * listens, reads at most `operationLimit` newest operations, and refreshes progress like any GET would
 * (KTRDR_OPS_CACHE_TTL).
 */
import type { OperationRecord, WorkerRecord } from '../../api/contract.js';
import type { DashboardEvent } from '../../api/events.js';
import { isoNow, type Clock } from '../../common/clock.js';
import { PeriodicTask, type Timers } from '../../common/periodic-task.js';
import type { Logger } from '../../logging/logger.js';
import { renderOperation, renderWorker } from '../render.js';
import type { OperationsService } from '../services/operations-service.js';
import type { WorkerRegistry } from '../services/worker-registry.js';

export type Subscriber = (event: DashboardEvent) => void;

export interface ChangeFeedDeps {
  readonly registry: Pick<WorkerRegistry, 'list'>;
  readonly operations: Pick<OperationsService, 'list' | 'get'>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface ChangeFeedOptions {
  readonly intervalMs: number;
  /** A heartbeat goes out when nothing else was sent for this long. */
  readonly heartbeatMs: number;
  /** How many of the newest operations are watched. */
  readonly operationLimit?: number;
  readonly timers?: Timers;
}

const ACTIVE = new Set(['pending', 'running']);

/** The worker fields whose change is worth telling (not the per-check timestamps alone when nothing else moved). */
const workerKey = (w: WorkerRecord) => JSON.stringify([w.status, w.current_operation_id, w.health_check_failures, w.endpoint_url, w.last_healthy_at]);
const progressKey = (o: OperationRecord) => JSON.stringify([o.progress, o.worker_id, o.result_summary, o.error_message]);

export class ChangeFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly task: PeriodicTask;
  private workers: Map<string, WorkerRecord> | null = null;
  private operations: Map<string, OperationRecord> | null = null;
  private lastSentAt: number;
  private closed = false;

  constructor(
    private readonly deps: ChangeFeedDeps,
    private readonly options: ChangeFeedOptions,
  ) {
    this.lastSentAt = deps.clock.now();
    this.task = new PeriodicTask({
      name: 'events-change-feed',
      intervalMs: options.intervalMs,
      run: () => this.poll(),
      onError: (error) => deps.logger.warn({ err: error }, 'events: reading operations and workers failed; trying again'),
      ...(options.timers ? { timers: options.timers } : {}),
    });
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * Adds a listener (starting the loop for the first one) once a baseline exists, so that every change after this
   * resolves is sent; returns the function that removes it.
   */
  async subscribe(subscriber: Subscriber): Promise<() => void> {
    if (this.closed) throw new Error('events: the change feed is closed (the backend is stopping)');
    this.subscribers.add(subscriber);
    if (this.subscribers.size === 1) this.task.start();
    if (!this.workers || !this.operations) await this.task.runOnce();
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0 && !this.closed) {
        void this.task.stop();
        // A later first subscriber starts from a fresh baseline, not from what was true long ago.
        this.workers = null;
        this.operations = null;
      }
    };
  }

  /** One comparison now (tests call it instead of waiting for the interval). */
  runOnce(): Promise<void> {
    return this.task.runOnce();
  }

  /** Tells every subscriber the stream ends, then stops the loop. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.send({ type: 'shutdown', at: isoNow(this.deps.clock) });
    this.subscribers.clear();
    await this.task.stop();
  }

  private send(event: DashboardEvent): void {
    this.lastSentAt = this.deps.clock.now();
    for (const subscriber of [...this.subscribers]) {
      try {
        subscriber(event);
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'events: a subscriber failed; removing it');
        this.subscribers.delete(subscriber);
      }
    }
  }

  private async poll(): Promise<void> {
    if (this.subscribers.size === 0 || this.closed) return;
    const workers = new Map((await this.deps.registry.list()).map((row) => [row.workerId, renderWorker(row)] as const));
    const listed = await this.deps.operations.list({ limit: this.options.operationLimit ?? 200 });
    const operations = new Map<string, OperationRecord>();
    for (const row of listed.rows) {
      // Progress of a running operation lives on its worker; get() refreshes it (within the cache TTL).
      const fresh = row.status === 'running' ? await this.deps.operations.get(row.operationId).catch(() => row) : row;
      operations.set(fresh.operationId, renderOperation(fresh));
    }
    const events: DashboardEvent[] = [];
    if (this.workers) {
      for (const [id, worker] of workers) {
        const before = this.workers.get(id);
        if (!before) events.push({ type: 'worker.registered', worker });
        else if (workerKey(before) !== workerKey(worker)) events.push({ type: 'worker.updated', worker });
      }
      for (const id of this.workers.keys()) if (!workers.has(id)) events.push({ type: 'worker.removed', worker_id: id });
    }
    if (this.operations) {
      for (const [id, operation] of operations) {
        const before = this.operations.get(id);
        if (!before) events.push({ type: 'operation.created', operation });
        else if (before.status !== operation.status) events.push({ type: 'operation.status', operation, previous_status: before.status });
        else if (progressKey(before) !== progressKey(operation)) events.push({ type: 'operation.progress', operation });
      }
    }
    this.workers = workers;
    // Operations that fell out of the newest N stay known while active, so they are not reported again as new.
    for (const [id, before] of this.operations ?? []) if (!operations.has(id) && ACTIVE.has(before.status)) operations.set(id, before);
    this.operations = operations;
    for (const event of events) this.send(event);
    if (this.deps.clock.now() - this.lastSentAt >= this.options.heartbeatMs) this.send({ type: 'heartbeat', at: isoNow(this.deps.clock) });
  }
}
