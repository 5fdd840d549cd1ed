/**
 * The backend's persistent state behind one interface, with two drivers
 * (PGlite embedded, PostgreSQL) sharing the same SQL and migrations.
 * Times are `Date`s here; the HTTP layer renders them as ISO strings.
 */
import type { Notifications } from './notifications.js';
import type { JsonObject, OperationStatus, OperationType, Progress, WorkerStatus, WorkerType } from '../api/contract.js';

export interface OperationRow {
  readonly operationId: string;
  readonly operationType: OperationType;
  readonly workerType: WorkerType;
  readonly status: OperationStatus;
  /** Request parameters the workload needs to run (and re-run) the operation. */
  readonly params: JsonObject;
  readonly metadata: JsonObject;
  readonly progress: Progress;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly errorMessage: string | null;
  readonly resultSummary: JsonObject | null;
  readonly workerId: string | null;
  /** Insertion order: the FIFO key of the pending queue. */
  readonly seq: number;
}

export interface NewOperation {
  readonly operationId: string;
  readonly operationType: OperationType;
  readonly workerType: WorkerType;
  readonly params: JsonObject;
  readonly metadata: JsonObject;
  readonly createdAt: Date;
}

export type OperationPatch = Partial<
  Pick<OperationRow, 'status' | 'metadata' | 'progress' | 'startedAt' | 'completedAt' | 'errorMessage' | 'resultSummary' | 'workerId'>
>;

export interface BoundedCreation {
  /** The new operation; null when the limit is reached by active operations alone. */
  readonly row: OperationRow | null;
  /** Terminal operations deleted to make room. */
  readonly evicted: readonly string[];
  /** The new operation claimed by an idle worker in the same statement (asked for with `claimAt`). */
  readonly claim?: Claim | null;
}

export interface OperationFilter {
  readonly status?: OperationStatus;
  readonly operationType?: OperationType;
  readonly limit?: number;
}

export interface OperationRepository {
  create(operation: NewOperation): Promise<OperationRow>;
  /**
   * Creates `operation` keeping at most `maxOperations`, atomically (even across processes): the oldest
   * terminal operations in the way are deleted; when every kept operation is active nothing is created. With
   * `claimAt`, the longest idle dispatchable worker of its type claims it in the same statement (started at
   * `claimAt`), as WorkerRepository.claim would, unless an older operation of its type is pending (FIFO).
   */
  createWithinLimit(operation: NewOperation, maxOperations: number, claimAt?: Date): Promise<BoundedCreation>;
  get(operationId: string): Promise<OperationRow | null>;
  /** Newest first. `total` counts every match, not only the page. */
  list(filter?: OperationFilter): Promise<{ rows: OperationRow[]; total: number }>;
  countByStatus(): Promise<Record<OperationStatus, number>>;
  /**
   * Applies `patch` only when the current status is one of `fromStatuses`
   * (compare-and-set, so two actors never both win); null when it did not apply.
   */
  update(operationId: string, patch: OperationPatch, fromStatuses?: readonly OperationStatus[]): Promise<OperationRow | null>;
  /** Pending operations, oldest first (FIFO), optionally of one worker type. */
  pending(workerType?: WorkerType, limit?: number): Promise<OperationRow[]>;
  /** Running operations (for the orphan detector). */
  running(): Promise<OperationRow[]>;
  /** Deletes terminal operations completed before `cutoff` (only those with one of `statuses` when given); returns their ids. */
  deleteTerminalBefore(cutoff: Date, statuses?: readonly OperationStatus[]): Promise<string[]>;
  /** Deletes the `count` oldest terminal operations; returns their ids. */
  deleteOldestTerminal(count: number): Promise<string[]>;
  count(): Promise<number>;
  saveResults(operationId: string, results: unknown): Promise<void>;
  getResults(operationId: string): Promise<unknown | null>;
  /**
   * A worker's terminal outcome, in one statement: the worker is freed when it runs the operation, and the
   * operation finished (with its results; its checkpoints' rows deleted when it completed) when it is running on
   * that worker. Nothing changes unless the operation is assigned to the worker, or was when its orphan mark
   * (metadata `orphanKey`) names it.
   */
  recordOutcome(outcome: WorkerOutcome): Promise<OutcomeRecording>;
}

export interface WorkerOutcome {
  readonly operationId: string;
  readonly workerId: string;
  readonly status: 'completed' | 'failed' | 'cancelled';
  readonly errorMessage: string | null;
  readonly resultSummary: JsonObject | null;
  /** Saved with the outcome when present (a JSON value). */
  readonly results?: unknown;
  readonly progress?: Progress;
  /** The worker's completion time, at most now; raised to the operation's start (or creation) when earlier. */
  readonly completedAt: Date;
  /** The metadata key naming the worker an orphaned operation was lost with. */
  readonly orphanKey: string;
  /** The worker is idle and takes its next operation with the answer (claimed in the same statement). */
  readonly takeNext: boolean;
  readonly now: Date;
}

export interface OutcomeRecording {
  /** The operation before the outcome (null: there is no such operation). */
  readonly before: OperationRow | null;
  /** The worker ran the operation and is free now. */
  readonly released: boolean;
  /** The finished operation, when it was running on the worker; null when nothing but the release applied. */
  readonly finished: OperationRow | null;
  /** Files of the checkpoints whose rows went with a completed operation. */
  readonly droppedCheckpoints: readonly string[];
  /** The worker's next operation, claimed for it (running there, the worker busy and reserved with `epoch`). */
  readonly next: { readonly operation: OperationRow; readonly epoch: number; readonly hasCheckpoint: boolean } | null;
  /**
   * The worker was released and, in the statement's snapshot, an operation of its type is still pending (besides
   * `next`): a claim may pair them. False says nothing of operations submitted while the statement ran.
   */
  readonly pendingLeft: boolean;
}

export interface WorkerRow {
  readonly workerId: string;
  readonly workerType: WorkerType;
  readonly endpointUrl: string;
  readonly status: WorkerStatus;
  readonly currentOperationId: string | null;
  readonly capabilities: JsonObject;
  readonly metadata: JsonObject;
  readonly registeredAt: Date;
  readonly lastHealthCheck: Date | null;
  readonly lastHealthyAt: Date | null;
  readonly healthCheckFailures: number;
}

/** A worker with the dispatch state every backend sharing the database sees (docs/architecture.md §5.4). */
export interface WorkerState extends WorkerRow {
  /** A start request is in flight (a health answer must not declare the worker idle meanwhile). */
  readonly reserved: boolean;
  /** It handed its operation back because it is stopping: never dispatched to again until it registers. */
  readonly draining: boolean;
  /** Bumped (from one sequence, never reused) whenever the worker is assigned an operation or registers. */
  readonly assignmentEpoch: number;
  readonly lastDispatchedAt: Date | null;
}

export interface WorkerRegistration {
  readonly workerId: string;
  readonly workerType: WorkerType;
  readonly endpointUrl: string;
  readonly currentOperationId: string | null;
  readonly capabilities: JsonObject;
  readonly metadata: JsonObject;
  readonly now: Date;
  /** The endpoint the worker id may move from (found dead); null: it must not be registered anywhere else. */
  readonly movedFrom: string | null;
}

/** Saved, or refused because the worker id is registered at `previousEndpoint` (another endpoint). */
export type RegistrationOutcome = { readonly row: WorkerRow } | { readonly previousEndpoint: string };

/** One operation claimed for one worker, both already marked (running / busy and reserved). */
export interface Claim {
  readonly operation: OperationRow;
  readonly worker: WorkerRow;
  readonly epoch: number;
  /** Whether the operation has a checkpoint to resume from (saves looking for one when it has none). */
  readonly hasCheckpoint: boolean;
}

export interface ClaimResult {
  readonly claims: Claim[];
  /**
   * Nothing was paired although the statement's snapshot holds a pending operation and a dispatchable worker (not
   * excluded) of one type: concurrent statements held their rows (SKIP LOCKED). Claiming again shortly either pairs
   * them or finds the other statement took them.
   */
  readonly contended: boolean;
  /** An operation of the types asked for is still pending, unpaired, in the statement's snapshot. */
  readonly pendingLeft: boolean;
}

/** A healthy answer to a health request sent when the worker's epoch was `requestEpoch` (null: unknown). */
export interface HealthyReport {
  readonly workerId: string;
  readonly requestEpoch: number | null;
  readonly busy: boolean;
  /** What the worker runs and claims (null when idle or when what it runs is not its own). */
  readonly claimedOperationId: string | null;
}

export interface WorkerRepository {
  upsert(worker: WorkerRow): Promise<WorkerRow>;
  get(workerId: string): Promise<WorkerRow | null>;
  list(): Promise<WorkerRow[]>;
  delete(workerId: string): Promise<boolean>;
  /** Every worker with its dispatch state. */
  states(): Promise<WorkerState[]>;
  countByStatus(): Promise<Record<WorkerStatus, number>>;
  /**
   * Registers in one statement: removes another worker id registered at the same endpoint, keeps the first
   * registration time, clears reservation, draining and failures, and takes a new assignment epoch.
   */
  register(registration: WorkerRegistration): Promise<RegistrationOutcome>;
  /**
   * Pairs, per worker type, the oldest pending operations with the longest-idle dispatchable workers (up to
   * `limitPerType` pairs each, never `exclude`), marking both in the same statement. Rows locked by a concurrent
   * claim are skipped, so two claims never pair the same worker or operation.
   */
  claim(workerTypes: readonly WorkerType[], limitPerType: number, now: Date, exclude: readonly string[]): Promise<ClaimResult>;
  /**
   * The start request was answered: ends the reservation of that assignment (epoch), and says whether the
   * operation still wants that worker (not cancelled, not moved elsewhere meanwhile).
   */
  endReservation(workerId: string, operationId: string, epoch: number): Promise<boolean>;
  /** The start request failed: the worker does not run `operationId` (`busyElsewhere`: it runs something else). */
  cancelReservation(workerId: string, operationId: string, epoch: number, busyElsewhere: boolean): Promise<void>;
  /** The worker no longer runs `operationId`; false when it was not recorded as running it. */
  release(workerId: string, operationId: string): Promise<boolean>;
  /** The worker runs `operationId` (it said so at registration): a new assignment. */
  markBusy(workerId: string, operationId: string): Promise<void>;
  /** The worker runs `operationId`, which is not its own: busy, claiming nothing. */
  disown(workerId: string, operationId: string): Promise<void>;
  drain(workerId: string): Promise<void>;
  assignmentEpoch(workerId: string): Promise<number | null>;
  /**
   * Healthy answers, in one statement. A reservation made at or after `reservedSince` is a start request still in
   * flight (the worker stays busy with it); an older one is a backend that died mid-start, and the answer decides.
   */
  recordHealthy(reports: readonly HealthyReport[], now: Date, reservedSince: Date): Promise<WorkerRow[]>;
  /**
   * The start request of assignment `epoch` never reached the worker (its backend died) and the worker says it
   * does not run `operationId`: in one statement, while the worker row still holds that assignment reserved since
   * before `reservedBefore` and the operation is running on the worker, the operation goes back to pending
   * (worker cleared, `queued_at` = `now`) and the worker is freed (busy when `busyElsewhere`). Returns the
   * pending operation, or null when nothing matched (another backend did it, or the assignment moved on).
   */
  requeueUnstarted(workerId: string, operationId: string, epoch: number, reservedBefore: Date, now: Date, busyElsewhere: boolean): Promise<OperationRow | null>;
  /** Failed health checks (or start requests), in one statement; `threshold` failures make a worker temporarily_unavailable. */
  recordFailures(workerIds: readonly string[], now: Date, threshold: number): Promise<WorkerRow[]>;
}

export interface CheckpointRow {
  readonly checkpointId: string;
  readonly operationId: string;
  /** Units of work done when it was taken (epochs, bars, steps). */
  readonly units: number;
  /** File under KTRDR_CHECKPOINT_DIR holding the state. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly reason: string;
  readonly createdAt: Date;
}

export interface CheckpointRepository {
  add(checkpoint: CheckpointRow): Promise<void>;
  latest(operationId: string): Promise<CheckpointRow | null>;
  forOperation(operationId: string): Promise<CheckpointRow[]>;
  /** Removes the rows and returns them (the caller removes the files). */
  deleteForOperation(operationId: string): Promise<CheckpointRow[]>;
  /** Deletes one checkpoint of an operation; null when it has no such checkpoint. */
  deleteOne(operationId: string, checkpointId: string): Promise<CheckpointRow | null>;
  deleteBefore(cutoff: Date): Promise<CheckpointRow[]>;
}

export interface Store {
  readonly driver: 'pglite' | 'postgres';
  readonly operations: OperationRepository;
  readonly workers: WorkerRepository;
  readonly checkpoints: CheckpointRepository;
  /** Wake-ups shared by every process using the database (started and stopped with the store). */
  readonly notifications: Notifications;
  /** Applies pending schema migrations (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
