/**
 * The backend's persistent state behind one interface, with two drivers
 * (PGlite embedded, PostgreSQL) sharing the same SQL and migrations.
 * Times are `Date`s here; the HTTP layer renders them as ISO strings.
 */
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
   * terminal operations in the way are deleted; when every kept operation is active nothing is created.
   */
  createWithinLimit(operation: NewOperation, maxOperations: number): Promise<BoundedCreation>;
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

export interface WorkerRepository {
  upsert(worker: WorkerRow): Promise<WorkerRow>;
  get(workerId: string): Promise<WorkerRow | null>;
  list(): Promise<WorkerRow[]>;
  delete(workerId: string): Promise<boolean>;
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
  /** Applies pending schema migrations (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
