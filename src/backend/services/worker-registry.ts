/**
 * The registry of workers: registration (idempotent, replacing a stale worker id
 * on the same endpoint, never moving a live worker id to another endpoint), the status of each worker and the operation it runs.
 * Rows live in the store so that workers' last known state survives a backend
 * restart; every change goes through one queue so that the health checker, the
 * dispatcher and the routes never overwrite each other's read-modify-write.
 */
import type { CompletedOperationReport, JsonObject, WorkerHealth, WorkerStatus, WorkerType } from '../../api/contract.js';
import type { Clock } from '../../common/clock.js';
import { conflict, KtrdrError, notFound } from '../../common/errors.js';
import type { WorkerRepository, WorkerRow } from '../../store/types.js';

export interface Registration {
  readonly workerId: string;
  readonly workerType: WorkerType;
  readonly endpointUrl: string;
  readonly capabilities?: JsonObject;
  readonly metadata?: JsonObject;
  readonly currentOperationId?: string | null;
  readonly completedOperations?: readonly CompletedOperationReport[];
}

/** Called after each registration with what the worker reported (reconciliation with operations). */
export type RegistrationHook = (worker: WorkerRow, registration: Registration) => Promise<void>;

export interface WorkerRegistryOptions {
  /** Consecutive failed health checks after which a worker is temporarily_unavailable. */
  readonly failureThreshold: number;
  /** Seconds a refused registration should wait (Retry-After) while shutting down. */
  readonly retryAfterSeconds: number;
  /**
   * Whether `workerId` still answers at `endpointUrl` (its /health, with a short timeout). A registration that would
   * move a live worker id elsewhere is refused: it would hand that worker's operations to whoever registered.
   */
  readonly isLiveAt: (endpointUrl: string, workerId: string) => Promise<boolean>;
}

export interface WorkerFilter {
  readonly workerType?: WorkerType;
  readonly status?: WorkerStatus;
}

export class WorkerRegistry {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly hooks: RegistrationHook[] = [];
  /** Workers with a start request in flight: a health check must not declare them idle meanwhile. */
  private readonly reserved = new Set<string>();
  /** Workers that handed their operation back because they are stopping: never dispatched to again. */
  private readonly draining = new Set<string>();
  private readonly lastDispatchedAt = new Map<string, number>();
  /**
   * Bumped whenever the backend assigns a worker an operation (dispatch, registration). A health answer to a
   * request sent before the latest assignment describes the worker as it was and must not undo it.
   */
  private readonly assignmentEpoch = new Map<string, number>();
  /** One counter for all workers, so that a worker removed and registered again never reuses an epoch. */
  private lastEpoch = 0;
  private refusing = false;

  constructor(
    private readonly repository: WorkerRepository,
    private readonly clock: Clock,
    private readonly options: WorkerRegistryOptions,
  ) {}

  onRegistration(hook: RegistrationHook): void {
    this.hooks.push(hook);
  }

  /** From now on registrations get SHUTTING_DOWN (503 + Retry-After). */
  refuseRegistrations(): void {
    this.refusing = true;
  }

  async register(registration: Registration): Promise<WorkerRow> {
    if (this.refusing) {
      throw new KtrdrError('SHUTTING_DOWN', 'the backend is shutting down and accepts no registrations; retry later', {
        retry_after_seconds: this.options.retryAfterSeconds,
      });
    }
    const endpointUrl = registration.endpointUrl.replace(/\/+$/, '');
    // Probed outside the queue (a slow endpoint must not hold up every other registry change), checked again inside.
    const before = await this.repository.get(registration.workerId);
    const deadEndpoint = before && before.endpointUrl !== endpointUrl ? await this.refuseMoveIfLive(before, endpointUrl) : null;
    const row = await this.exclusive(async () => {
      const existing = await this.repository.get(registration.workerId);
      if (existing && existing.endpointUrl !== endpointUrl && existing.endpointUrl !== deadEndpoint) {
        throw conflict(`worker '${registration.workerId}' changed endpoint while registering at ${endpointUrl}; try again`);
      }
      for (const other of await this.repository.list()) {
        // A worker restarted under a new id on the same endpoint: the old id is gone for good.
        if (other.endpointUrl === endpointUrl && other.workerId !== registration.workerId) await this.forget(other.workerId);
      }
      const current = registration.currentOperationId ?? null;
      const now = this.now();
      this.draining.delete(registration.workerId);
      this.bumpAssignmentEpoch(registration.workerId);
      return this.repository.upsert({
        workerId: registration.workerId,
        workerType: registration.workerType,
        endpointUrl,
        status: current ? 'busy' : 'available',
        currentOperationId: current,
        capabilities: registration.capabilities ?? {},
        metadata: registration.metadata ?? {},
        registeredAt: existing?.registeredAt ?? now,
        lastHealthCheck: existing?.lastHealthCheck ?? null,
        lastHealthyAt: now,
        healthCheckFailures: 0,
      });
    });
    for (const hook of this.hooks) await hook(row, registration);
    return (await this.repository.get(row.workerId)) ?? row;
  }

  /** Returns the old endpoint when the worker no longer answers there; throws CONFLICT while it does. */
  private async refuseMoveIfLive(existing: WorkerRow, endpointUrl: string): Promise<string> {
    if (await this.options.isLiveAt(existing.endpointUrl, existing.workerId)) {
      throw conflict(
        `worker '${existing.workerId}' is registered at ${existing.endpointUrl} and still answers there; a registration at ${endpointUrl} is refused until it stops (or register under another KTRDR_WORKER_ID)`,
      );
    }
    return existing.endpointUrl;
  }

  async get(workerId: string): Promise<WorkerRow | null> {
    return this.repository.get(workerId);
  }

  async require(workerId: string): Promise<WorkerRow> {
    const row = await this.repository.get(workerId);
    if (!row) throw notFound('worker', workerId);
    return row;
  }

  async list(filter: WorkerFilter = {}): Promise<WorkerRow[]> {
    const rows = await this.repository.list();
    return rows
      .filter((row) => (!filter.workerType || row.workerType === filter.workerType) && (!filter.status || row.status === filter.status))
      .sort((a, b) => a.workerId.localeCompare(b.workerId));
  }

  async countByStatus(): Promise<Record<WorkerStatus, number>> {
    const counts: Record<WorkerStatus, number> = { available: 0, busy: 0, temporarily_unavailable: 0 };
    for (const row of await this.repository.list()) counts[row.status]++;
    return counts;
  }

  async remove(workerId: string): Promise<boolean> {
    return this.exclusive(() => this.forget(workerId));
  }

  /** Workers of a type that can take an operation now, the longest idle first. */
  async available(workerType: WorkerType): Promise<WorkerRow[]> {
    const rows = await this.list({ workerType, status: 'available' });
    return rows
      .filter((row) => row.currentOperationId === null && !this.reserved.has(row.workerId) && !this.draining.has(row.workerId))
      .sort((a, b) => (this.lastDispatchedAt.get(a.workerId) ?? 0) - (this.lastDispatchedAt.get(b.workerId) ?? 0));
  }

  /** Marks an available worker busy with `operationId` before the start request; false when it is no longer available. */
  async reserve(workerId: string, operationId: string): Promise<boolean> {
    return this.exclusive(async () => {
      const row = await this.repository.get(workerId);
      if (!row || row.status !== 'available' || row.currentOperationId !== null || this.reserved.has(workerId) || this.draining.has(workerId)) {
        return false;
      }
      this.reserved.add(workerId);
      this.lastDispatchedAt.set(workerId, this.clock.now());
      this.bumpAssignmentEpoch(workerId);
      await this.repository.upsert({ ...row, status: 'busy', currentOperationId: operationId });
      return true;
    });
  }

  /** The start request was answered: the worker runs the operation. */
  endReservation(workerId: string): void {
    this.reserved.delete(workerId);
  }

  /**
   * The start request failed: the worker does not run `operationId`. `busyElsewhere` when it said it is busy
   * (it runs something the backend does not know about; the next health check says what).
   */
  async cancelReservation(workerId: string, operationId: string, busyElsewhere: boolean): Promise<void> {
    await this.exclusive(async () => {
      this.reserved.delete(workerId);
      const row = await this.repository.get(workerId);
      if (!row || row.currentOperationId !== operationId) return;
      await this.repository.upsert({ ...row, status: busyElsewhere ? 'busy' : 'available', currentOperationId: null });
    });
  }

  /** The worker no longer runs `operationId` (outcome pushed, or handed back). */
  async releaseOperation(workerId: string, operationId: string): Promise<void> {
    await this.exclusive(async () => {
      const row = await this.repository.get(workerId);
      if (!row || row.currentOperationId !== operationId) return;
      const status = row.status === 'temporarily_unavailable' ? row.status : 'available';
      await this.repository.upsert({ ...row, status, currentOperationId: null });
    });
  }

  /** A worker reported (at registration) that it runs `operationId`. */
  async markBusy(workerId: string, operationId: string): Promise<void> {
    await this.exclusive(async () => {
      const row = await this.repository.get(workerId);
      if (!row) return;
      this.bumpAssignmentEpoch(workerId);
      await this.repository.upsert({ ...row, status: row.status === 'temporarily_unavailable' ? row.status : 'busy', currentOperationId: operationId });
    });
  }

  /**
   * The worker reported `operationId` but it is not its own (it is being told to cancel it): no claim, and no
   * new operation until a health check finds it idle.
   */
  async disown(workerId: string, operationId: string): Promise<void> {
    await this.exclusive(async () => {
      const row = await this.repository.get(workerId);
      if (!row || row.currentOperationId !== operationId) return;
      await this.repository.upsert({ ...row, status: row.status === 'temporarily_unavailable' ? row.status : 'busy', currentOperationId: null });
    });
  }

  /** A stopping worker: it stays listed until it deregisters but gets no more operations. */
  drain(workerId: string): void {
    this.draining.add(workerId);
  }

  /** Taken before sending a health request; pass it to recordHealthy with the answer. */
  assignmentEpochOf(workerId: string): number {
    return this.assignmentEpoch.get(workerId) ?? 0;
  }

  /**
   * A health check answered: the worker's own report of what it runs is the claim the orphan detector trusts.
   * `requestEpoch` (assignmentEpochOf when the request was sent) tells an answer overtaken by a newer assignment:
   * it still proves the worker alive but says nothing about what it runs now. `claim` false: the worker is busy
   * with an operation that is not its to run (being cancelled), so it is neither available nor claiming it.
   */
  async recordHealthy(workerId: string, health: WorkerHealth, requestEpoch?: number, claim = true): Promise<WorkerRow | null> {
    return this.exclusive(async () => {
      const row = await this.repository.get(workerId);
      if (!row) return null;
      const now = this.now();
      const base = { ...row, lastHealthCheck: now, lastHealthyAt: now, healthCheckFailures: 0 };
      const stale = requestEpoch !== undefined && requestEpoch !== this.assignmentEpochOf(workerId);
      if (stale) {
        const status = row.status !== 'temporarily_unavailable' ? row.status : row.currentOperationId ? 'busy' : 'available';
        return this.repository.upsert({ ...base, status });
      }
      // A start request in flight: the worker may not know the operation yet.
      if (this.reserved.has(workerId)) return this.repository.upsert({ ...base, status: 'busy' });
      const busy = health.worker_status === 'busy';
      return this.repository.upsert({
        ...base,
        status: busy ? 'busy' : 'available',
        currentOperationId: busy && claim ? health.current_operation : null,
      });
    });
  }

  /** A health check (or a start request) got no answer. */
  async recordFailure(workerId: string): Promise<WorkerRow | null> {
    return this.exclusive(async () => {
      const row = await this.repository.get(workerId);
      if (!row) return null;
      const failures = row.healthCheckFailures + 1;
      const status = failures >= this.options.failureThreshold ? 'temporarily_unavailable' : row.status;
      return this.repository.upsert({ ...row, status, healthCheckFailures: failures, lastHealthCheck: this.now() });
    });
  }

  private async forget(workerId: string): Promise<boolean> {
    this.reserved.delete(workerId);
    this.draining.delete(workerId);
    this.lastDispatchedAt.delete(workerId);
    this.assignmentEpoch.delete(workerId);
    return this.repository.delete(workerId);
  }

  private bumpAssignmentEpoch(workerId: string): void {
    this.assignmentEpoch.set(workerId, ++this.lastEpoch);
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
