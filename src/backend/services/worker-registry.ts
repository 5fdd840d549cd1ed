/**
 * The registry of workers: registration (idempotent, replacing a stale worker id
 * on the same endpoint, never moving a live worker id to another endpoint), the status of each worker and the operation it runs.
 * Everything lives in the workers table, the dispatch state included (reservation, draining, assignment epoch),
 * so that every backend sharing the database sees the same registry and it survives a restart. Every change is
 * one conditional statement on the row (compare-and-set on the operation it runs and its assignment epoch), never
 * a read-modify-write: there is no lock or queue in this process, and a health pass never holds up a claim
 * (docs/architecture.md §5.4).
 */
import type { CompletedOperationReport, JsonObject, WorkerHealth, WorkerStatus, WorkerType } from '../../api/contract.js';
import type { Clock } from '../../common/clock.js';
import { conflict, KtrdrError, notFound } from '../../common/errors.js';
import type { Claim, ClaimResult, HealthyReport, OperationRow, WorkerRepository, WorkerRow, WorkerState } from '../../store/types.js';

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
  /**
   * How long a reservation (a start request in flight) holds against health answers, in ms. One older than this
   * was left by a backend that stopped mid-start: the next health answer decides the worker's state. Default 60 s.
   */
  readonly reservationTimeoutMs?: number;
}

/** A healthy answer for recordHealthyMany. */
export interface HealthAnswer {
  readonly workerId: string;
  readonly health: WorkerHealth;
  /** assignmentEpochOf when the request was sent (see recordHealthy). */
  readonly requestEpoch?: number;
  readonly claim?: boolean;
}

export interface WorkerFilter {
  readonly workerType?: WorkerType;
  readonly status?: WorkerStatus;
}

export class WorkerRegistry {
  private readonly hooks: RegistrationHook[] = [];
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
    const attempt = (movedFrom: string | null) =>
      this.repository.register({
        workerId: registration.workerId,
        workerType: registration.workerType,
        endpointUrl,
        currentOperationId: registration.currentOperationId ?? null,
        capabilities: registration.capabilities ?? {},
        metadata: registration.metadata ?? {},
        now: this.now(),
        movedFrom,
      });
    let outcome = await attempt(null);
    if ('previousEndpoint' in outcome) {
      // Registered elsewhere: probed outside any statement (a slow endpoint holds nothing up), then tried again
      // allowing a move from that endpoint only.
      const deadEndpoint = await this.refuseMoveIfLive(registration.workerId, outcome.previousEndpoint, endpointUrl);
      outcome = await attempt(deadEndpoint);
      if ('previousEndpoint' in outcome) {
        throw conflict(`worker '${registration.workerId}' changed endpoint while registering at ${endpointUrl}; try again`);
      }
    }
    const row = outcome.row;
    for (const hook of this.hooks) await hook(row, registration);
    // Only what the worker reported (an operation it runs, outcomes) lets a hook change the row.
    const reported = (registration.currentOperationId ?? null) !== null || (registration.completedOperations?.length ?? 0) > 0;
    return this.hooks.length === 0 || !reported ? row : ((await this.repository.get(row.workerId)) ?? row);
  }

  /** Returns the old endpoint when the worker no longer answers there; throws CONFLICT while it does. */
  private async refuseMoveIfLive(workerId: string, previousEndpoint: string, endpointUrl: string): Promise<string> {
    if (await this.options.isLiveAt(previousEndpoint, workerId)) {
      throw conflict(
        `worker '${workerId}' is registered at ${previousEndpoint} and still answers there; a registration at ${endpointUrl} is refused until it stops (or register under another KTRDR_WORKER_ID)`,
      );
    }
    return previousEndpoint;
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

  /** Every worker with its dispatch state (assignment epoch, reservation, draining). */
  async states(): Promise<WorkerState[]> {
    return this.repository.states();
  }

  async countByStatus(): Promise<Record<WorkerStatus, number>> {
    return this.repository.countByStatus();
  }

  async remove(workerId: string): Promise<boolean> {
    return this.repository.delete(workerId);
  }

  /**
   * Claims, in one statement, up to `limitPerType` pairs of (oldest pending operation, longest-idle worker) per
   * worker type: the operation running on the worker, the worker busy with it and reserved (a start request is
   * about to be sent). Safe against any number of concurrent claims, in this process or another backend.
   */
  async claim(workerTypes: readonly WorkerType[], limitPerType: number, exclude: readonly string[] = []): Promise<Claim[]> {
    return (await this.claimOrContend(workerTypes, limitPerType, exclude)).claims;
  }

  /** `claim`, also saying whether concurrent statements held the rows it could have paired (ClaimResult.contended). */
  async claimOrContend(workerTypes: readonly WorkerType[], limitPerType: number, exclude: readonly string[] = []): Promise<ClaimResult> {
    return this.repository.claim(workerTypes, limitPerType, this.now(), exclude);
  }

  /**
   * The start request of the assignment `epoch` was answered: the worker runs the operation. Returns whether the
   * operation still wants it (false: cancelled or moved on while the request was in flight).
   */
  async endReservation(workerId: string, operationId: string, epoch: number): Promise<boolean> {
    return this.repository.endReservation(workerId, operationId, epoch);
  }

  /**
   * The start request failed: the worker does not run `operationId`. `busyElsewhere` when it said it is busy
   * (it runs something the backend does not know about; the next health check says what).
   */
  async cancelReservation(workerId: string, operationId: string, busyElsewhere: boolean, epoch: number): Promise<void> {
    await this.repository.cancelReservation(workerId, operationId, epoch, busyElsewhere);
  }

  /** The worker no longer runs `operationId` (outcome pushed, or handed back); false when it was not recorded as running it. */
  async releaseOperation(workerId: string, operationId: string): Promise<boolean> {
    return this.repository.release(workerId, operationId);
  }

  /** A worker reported (at registration) that it runs `operationId`. */
  async markBusy(workerId: string, operationId: string): Promise<void> {
    await this.repository.markBusy(workerId, operationId);
  }

  /**
   * The worker reported `operationId` but it is not its own (it is being told to cancel it): no claim, and no
   * new operation until a health check finds it idle.
   */
  async disown(workerId: string, operationId: string): Promise<void> {
    await this.repository.disown(workerId, operationId);
  }

  /** A stopping worker: it stays listed until it deregisters but gets no more operations. */
  async drain(workerId: string): Promise<void> {
    await this.repository.drain(workerId);
  }

  /** Read before sending a health request; pass it to recordHealthy with the answer (0 for an unknown worker). */
  async assignmentEpochOf(workerId: string): Promise<number> {
    return (await this.repository.assignmentEpoch(workerId)) ?? 0;
  }

  /**
   * A health check answered: the worker's own report of what it runs is the claim the orphan detector trusts.
   * `requestEpoch` (assignmentEpochOf when the request was sent) tells an answer overtaken by a newer assignment:
   * it still proves the worker alive but says nothing about what it runs now. `claim` false: the worker is busy
   * with an operation that is not its to run (being cancelled), so it is neither available nor claiming it.
   */
  async recordHealthy(workerId: string, health: WorkerHealth, requestEpoch?: number, claim = true): Promise<WorkerRow | null> {
    const [row] = await this.recordHealthyMany([{ workerId, health, ...(requestEpoch === undefined ? {} : { requestEpoch }), claim }]);
    return row ?? null;
  }

  /** recordHealthy for many answers in one statement; returns the rows of the workers still registered. */
  async recordHealthyMany(answers: readonly HealthAnswer[]): Promise<WorkerRow[]> {
    const now = this.clock.now();
    const reports: HealthyReport[] = answers.map(({ workerId, health, requestEpoch, claim = true }) => {
      const busy = health.worker_status === 'busy';
      return { workerId, requestEpoch: requestEpoch ?? null, busy, claimedOperationId: busy && claim ? health.current_operation : null };
    });
    return this.repository.recordHealthy(reports, new Date(now), new Date(now - this.reservationTimeoutMs()));
  }

  /**
   * The worker answered a health check without `operationId` while its reservation for it (assignment `epoch`)
   * is older than the reservation timeout: the start request never reached it (the backend that claimed it died
   * before sending it). The operation goes back to pending and the worker is freed, in one compare-and-set
   * statement; returns the requeued operation, or null when the assignment changed or it is no longer running there.
   */
  async requeueUnstarted(workerId: string, operationId: string, epoch: number, busyElsewhere: boolean): Promise<OperationRow | null> {
    const now = this.clock.now();
    return this.repository.requeueUnstarted(workerId, operationId, epoch, new Date(now - this.reservationTimeoutMs()), new Date(now), busyElsewhere);
  }

  /** Whether a reservation dispatched at `dispatchedAt` is older than the reservation timeout. */
  isReservationStale(dispatchedAt: Date | null): boolean {
    return dispatchedAt !== null && dispatchedAt.getTime() < this.clock.now() - this.reservationTimeoutMs();
  }

  private reservationTimeoutMs(): number {
    return this.options.reservationTimeoutMs ?? 60_000;
  }

  /** A health check (or a start request) got no answer. */
  async recordFailure(workerId: string): Promise<WorkerRow | null> {
    const [row] = await this.recordFailures([workerId]);
    return row ?? null;
  }

  /** recordFailure for many workers in one statement. */
  async recordFailures(workerIds: readonly string[]): Promise<WorkerRow[]> {
    return this.repository.recordFailures(workerIds, this.now(), this.options.failureThreshold);
  }

  private now(): Date {
    return new Date(this.clock.now());
  }
}
