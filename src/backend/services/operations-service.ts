/**
 * Operations as users and workers see them: submission (bounded by the maximum
 * number kept), reads with a progress snapshot refreshed from the worker, cancel,
 * resume, and the worker's side: checkpoints, outcomes, releases, and what a
 * re-registering worker reports.
 */
import { randomUUID } from 'node:crypto';
import {
  ACTIVE_STATUSES,
  isTerminal,
  type CompletedOperationReport,
  type JsonObject,
  type OperationOutcome,
  type OperationRelease,
  type OperationStatus,
  type OperationType,
  type WorkerStartBody,
  type WorkerType,
} from '../../api/contract.js';
import type { Clock } from '../../common/clock.js';
import { conflict, forbidden, KtrdrError, notFound } from '../../common/errors.js';
import type { Logger } from '../../logging/logger.js';
import type { CheckpointRow, Claim, OperationFilter, OperationPatch, OperationRow, OutcomeRecording, Store, WorkerRow } from '../../store/types.js';
import { CheckpointWriteError, type CheckpointStore, type NewCheckpoint } from './checkpoint-store.js';
import { QUEUED_AT_KEY } from './dispatcher.js';
import { ORPHANED_WORKER_KEY } from './orphan-detector.js';
import type { WorkerClient } from './worker-client.js';
import type { Registration, WorkerRegistry } from './worker-registry.js';

export interface OperationsServiceOptions {
  /** A progress snapshot older than this is refreshed from the worker; 0 refreshes on every read. */
  readonly cacheTtlMs: number;
  readonly maxOperations: number;
}

export interface OperationsServiceDeps {
  readonly store: Pick<Store, 'operations'>;
  readonly registry: WorkerRegistry;
  readonly client: WorkerClient;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Wakes the dispatcher (something became pending, or a worker became free). */
  readonly wake: () => void;
  /**
   * Wakes the dispatchers of every backend sharing the database, this one's included: for a submission left
   * pending, which an outcome running meanwhile on another backend may have missed (docs/architecture.md §5.4).
   * Defaults to `wake`.
   */
  readonly wakeEverywhere?: () => void;
  /** Told of each operation handed to a worker with its outcome's answer (the dispatch latency metric). */
  readonly dispatched?: (operation: OperationRow) => void;
  /**
   * Sends the start request of an operation claimed with its submission (Dispatcher.dispatchClaimed). Without it,
   * submissions claim nothing and wake the dispatcher instead.
   */
  readonly dispatchClaimed?: (claim: Claim) => void;
  /**
   * Starts watching the dispatcher's claims (Dispatcher.watchClaims): the function returned says whether a claim
   * ran at any time since. Without it, every outcome that frees a worker wakes the dispatcher.
   */
  readonly watchClaims?: () => () => boolean;
}

export interface Submission {
  readonly operationType: OperationType;
  readonly workerType: WorkerType;
  readonly params: JsonObject;
  readonly metadata?: JsonObject;
}

export interface OperationList {
  readonly rows: OperationRow[];
  readonly total: number;
  readonly activeCount: number;
}

/** Operation metadata key: why the latest checkpoint could not be stored (cleared by the next one stored). */
export const CHECKPOINT_ERROR_KEY = 'checkpoint_error';

const REPORTED_STATUS = { COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled' } as const;

export class OperationsService {
  /** When each running operation's progress was last read from its worker. */
  private readonly refreshedAt = new Map<string, number>();

  constructor(
    private readonly deps: OperationsServiceDeps,
    private readonly options: OperationsServiceOptions,
  ) {}

  private get operations() {
    return this.deps.store.operations;
  }

  /** Keeps at most maxOperations: the oldest terminal ones go first; when all are active the submission is refused. */
  async submit(submission: Submission): Promise<OperationRow> {
    const max = this.options.maxOperations;
    const { dispatchClaimed } = this.deps;
    // One reading of the clock: an operation claimed with its submission started when it was created.
    const now = this.now();
    const { row, evicted, claim } = await this.operations.createWithinLimit(
      {
        operationId: `op_${submission.operationType}_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
        operationType: submission.operationType,
        workerType: submission.workerType,
        params: submission.params,
        metadata: submission.metadata ?? {},
        createdAt: now,
      },
      max,
      dispatchClaimed ? now : undefined,
    );
    for (const operationId of evicted) await this.forget(operationId);
    if (!row) {
      throw new KtrdrError(
        'TOO_MANY_OPERATIONS',
        `too many operations: all ${max} kept operations are active (KTRDR_OPS_MAX_OPERATIONS=${max}); wait for some to finish or cancel some`,
        { max_operations: max },
      );
    }
    this.deps.logger.info({ operation_id: row.operationId, operation_type: row.operationType }, 'operation submitted');
    // Claimed with its submission: its start request goes out once this answer is written; otherwise it is pending,
    // and every dispatcher sharing the database hears of it.
    if (claim && dispatchClaimed) dispatchClaimed(claim);
    else (this.deps.wakeEverywhere ?? this.deps.wake)();
    return row;
  }

  async get(operationId: string): Promise<OperationRow> {
    const row = await this.require(operationId);
    if (row.status !== 'running' || !row.workerId) {
      this.refreshedAt.delete(operationId);
      return row;
    }
    const last = this.refreshedAt.get(operationId);
    if (this.options.cacheTtlMs > 0 && last !== undefined && this.deps.clock.now() - last < this.options.cacheTtlMs) return row;
    return (await this.refreshFromWorker(row)) ?? row;
  }

  private async refreshFromWorker(row: OperationRow): Promise<OperationRow | null> {
    const worker = await this.deps.registry.get(row.workerId as string);
    if (!worker) return null;
    try {
      const status = await this.deps.client.status(worker.endpointUrl, row.operationId);
      this.refreshedAt.set(row.operationId, this.deps.clock.now());
      if (!status) return null;
      return await this.operations.update(row.operationId, { progress: status.progress }, ['running']);
    } catch (error) {
      // A stale snapshot is better than an error; the health checker and orphan detector deal with lost workers.
      this.deps.logger.debug({ operation_id: row.operationId, err: error }, 'progress refresh failed');
      return null;
    }
  }

  /** Running operations carry the progress their worker reports (refreshed as `get` does), not a stale snapshot. */
  async list(filter: OperationFilter): Promise<OperationList> {
    const [{ rows, total }, counts] = await Promise.all([this.operations.list(filter), this.operations.countByStatus()]);
    const fresh = await Promise.all(rows.map((row) => (row.status === 'running' && row.workerId ? this.get(row.operationId).catch(() => row) : row)));
    return { rows: fresh, total, activeCount: ACTIVE_STATUSES.reduce((sum, status) => sum + (counts[status] ?? 0), 0) };
  }

  /**
   * Deletes terminal operations (with their checkpoints and results) completed more than `olderThanMs` ago,
   * optionally only those with one of `statuses`; returns their ids. Active operations are never pruned.
   */
  async prune(olderThanMs: number, statuses?: readonly OperationStatus[]): Promise<string[]> {
    // "Older than 0" includes what ended this very millisecond.
    const deleted = await this.operations.deleteTerminalBefore(new Date(this.deps.clock.now() - olderThanMs + 1), statuses);
    for (const operationId of deleted) await this.forget(operationId);
    this.deps.logger.info({ operations: deleted.length }, 'operations pruned on request');
    return deleted;
  }

  /** Active backtests of a model (a model they use must not be deleted under them). */
  async activeBacktestsOf(modelId: string): Promise<string[]> {
    const active = await Promise.all(ACTIVE_STATUSES.map((status) => this.operations.list({ status, operationType: 'backtesting', limit: 10_000 })));
    return active.flatMap(({ rows }) => rows.filter((row) => row.metadata.model_id === modelId || row.params.model_id === modelId).map((row) => row.operationId));
  }

  async cancel(operationId: string): Promise<OperationRow> {
    const row = await this.require(operationId);
    if (isTerminal(row.status)) throw conflict(`operation '${operationId}' is already ${row.status} and cannot be cancelled`);
    let current = row;
    if (row.status === 'running' && row.workerId) {
      // The last progress the worker reports is kept: a cancelled operation shows how far it got, not 0 %.
      current = (await this.refreshFromWorker(row)) ?? row;
      const worker = await this.deps.registry.get(row.workerId);
      if (worker) {
        await this.deps.client.cancel(worker.endpointUrl, operationId).catch((error: unknown) => {
          this.deps.logger.warn({ operation_id: operationId, worker_id: worker.workerId, err: error }, 'could not tell the worker to cancel');
        });
      }
    }
    const cancelled = await this.finish(current, { status: 'cancelled', errorMessage: 'cancelled by request' });
    if (!cancelled) return this.require(operationId);
    return cancelled;
  }

  async resume(operationId: string): Promise<OperationRow> {
    const row = await this.require(operationId);
    if (row.status !== 'failed' && row.status !== 'cancelled') {
      throw conflict(`operation '${operationId}' is ${row.status}; only failed or cancelled operations can be resumed`);
    }
    const resumed = await this.operations.update(
      operationId,
      {
        status: 'pending',
        workerId: null,
        startedAt: null,
        completedAt: null,
        errorMessage: null,
        resultSummary: null,
        metadata: {
          ...withoutOrphanMark(row.metadata),
          [QUEUED_AT_KEY]: this.now().toISOString(),
          resume_count: Number(row.metadata.resume_count ?? 0) + 1,
        },
      },
      ['failed', 'cancelled'],
    );
    if (!resumed) throw conflict(`operation '${operationId}' changed while being resumed; try again`);
    this.deps.logger.info({ operation_id: operationId }, 'operation resumed');
    this.deps.wake();
    return resumed;
  }

  async results(operationId: string): Promise<{ row: OperationRow; results: unknown }> {
    const row = await this.require(operationId);
    return { row, results: await this.operations.getResults(operationId) };
  }

  async checkpoints(operationId: string): Promise<CheckpointRow[]> {
    await this.require(operationId);
    return this.deps.checkpoints.list(operationId);
  }

  async addCheckpoint(operationId: string, workerId: string, checkpoint: NewCheckpoint): Promise<CheckpointRow> {
    const row = await this.require(operationId);
    requireAssigned(row, workerId, 'a checkpoint');
    if (row.status === 'completed') throw conflict(`operation '${operationId}' is completed; it takes no more checkpoints`);
    let saved: CheckpointRow;
    try {
      saved = await this.deps.checkpoints.save(operationId, checkpoint);
    } catch (error) {
      if (error instanceof CheckpointWriteError) await this.noteCheckpointError(row, error);
      throw error;
    }
    if (CHECKPOINT_ERROR_KEY in row.metadata) await this.noteCheckpointError(row, null);
    return saved;
  }

  /**
   * Records (or, once a checkpoint is stored again, clears) why checkpoints are not being stored, on the
   * operation itself: the training goes on, and `ops show` says its progress is not protected.
   */
  private async noteCheckpointError(row: OperationRow, error: CheckpointWriteError | null): Promise<void> {
    const current = (await this.operations.get(row.operationId)) ?? row;
    const metadata = { ...current.metadata };
    if (error) metadata[CHECKPOINT_ERROR_KEY] = { message: error.message, units: error.units, at: this.now().toISOString() };
    else delete metadata[CHECKPOINT_ERROR_KEY];
    await this.operations.update(row.operationId, { metadata }, [current.status]);
  }

  /** Deletes one checkpoint of an operation, or all of them; returns how many went. */
  async removeCheckpoints(operationId: string, checkpointId?: string): Promise<number> {
    await this.require(operationId);
    if (checkpointId === undefined) {
      const removed = await this.deps.checkpoints.removeForOperation(operationId);
      this.deps.logger.info({ operation_id: operationId, removed }, 'checkpoints deleted on request');
      return removed;
    }
    if (!(await this.deps.checkpoints.remove(operationId, checkpointId))) throw notFound(`checkpoint of operation '${operationId}'`, checkpointId);
    this.deps.logger.info({ operation_id: operationId, checkpoint_id: checkpointId }, 'checkpoint deleted on request');
    return 1;
  }

  /** For uploads about an operation (models): refused unless the operation is assigned to `workerId`. */
  async requireAssignedTo(operationId: string | null, workerId: string, what: string): Promise<void> {
    if (operationId === null) throw forbidden(`${what} names no operation; a worker uploads only what an operation assigned to it produced`);
    requireAssigned(await this.require(operationId), workerId, what);
  }

  /**
   * The worker's terminal outcome; idempotent (an already-terminal operation is left as it is). It counts only
   * from the worker the operation runs on, or from the worker it was lost with when the orphan detector failed
   * it (the worker was only out of touch: its real outcome replaces the orphan failure).
   */
  async recordOutcome(operationId: string, outcome: OperationOutcome): Promise<WorkerStartBody | null> {
    // The common case, an operation running on that worker, is one statement: release, results, finish and the
    // completed operation's checkpoint rows together, and the worker's next operation when it asked for it
    // (docs/architecture.md §5.4).
    const now = this.now();
    const claimedSince = this.deps.watchClaims?.();
    const recorded = await this.operations.recordOutcome({
      operationId,
      workerId: outcome.worker_id,
      status: outcome.status,
      errorMessage: outcome.error_message,
      resultSummary: outcome.result_summary,
      ...(outcome.results !== undefined ? { results: outcome.results } : {}),
      ...(outcome.progress ? { progress: outcome.progress } : {}),
      completedAt: reportedTime(outcome.completed_at, now),
      orphanKey: ORPHANED_WORKER_KEY,
      takeNext: outcome.take_next === true,
      now,
    });
    if (!recorded.before) throw notFound('operation', operationId);
    requireAssigned(recorded.before, outcome.worker_id, 'an outcome');
    // Only a worker that was busy with it became free: an outcome repeated or overtaken wakes nobody, and neither
    // does one whose worker took its next operation at once (nothing became claimable). Nor one that saw nothing
    // pending, unless a claim of this backend ran meanwhile: a submission committed while the statement ran is not
    // in its snapshot, but the wake-up it sent (here, or by NOTIFY) runs a claim here after its commit; a claim
    // that starts after this statement sees the worker free, and one that ran beside it is the one that may have
    // missed it, so it runs again (docs/architecture.md §5.4).
    if (recorded.released && !recorded.next && (recorded.pendingLeft || !claimedSince || claimedSince())) this.deps.wake();
    const next = recorded.next ? await this.assigned(recorded.next, outcome.worker_id) : null;
    if (recorded.finished) {
      await this.finished(recorded.finished, () => this.deps.checkpoints.removeOperationFiles(operationId, recorded.droppedCheckpoints));
      return next;
    }
    // Not running on that worker (an orphan failure its outcome replaces, a repeat, or a cancel that came first):
    // decided on the row as it is now.
    const row = await this.require(operationId);
    const from = outcomeAcceptedFrom(row, outcome.worker_id, outcome.status);
    if (!from) {
      if (!isTerminal(row.status)) {
        this.deps.logger.warn(
          { operation_id: operationId, worker_id: outcome.worker_id, status: row.status, owner: row.workerId },
          'outcome from a worker the operation does not run on ignored',
        );
      }
      return next;
    }
    if (outcome.results !== undefined) await this.operations.saveResults(operationId, outcome.results);
    const finished = await this.finish(
      row,
      {
        status: outcome.status,
        workerId: outcome.worker_id,
        errorMessage: outcome.error_message,
        resultSummary: outcome.result_summary,
        completedAt: completionTime(outcome.completed_at, row, this.now()),
        ...(outcome.progress ? { progress: outcome.progress } : {}),
        ...(from === 'failed' ? { metadata: withoutOrphanMark(row.metadata) } : {}),
      },
      [from],
    );
    if (finished && from === 'failed') {
      this.deps.logger.info({ operation_id: operationId, worker_id: outcome.worker_id, status: finished.status }, "the worker's outcome replaces the orphan failure");
    }
    return next;
  }

  /** The start body of an operation claimed for a worker with its outcome, as the dispatcher would send it. */
  private async assigned(next: NonNullable<OutcomeRecording['next']>, workerId: string): Promise<WorkerStartBody> {
    const { operation } = next;
    const checkpoint = next.hasCheckpoint ? await this.deps.checkpoints.latest(operation.operationId) : null;
    this.deps.dispatched?.(operation);
    this.deps.logger.info(
      { operation_id: operation.operationId, worker_id: workerId, from_units: checkpoint?.units ?? null, with: 'outcome answer' },
      'operation dispatched',
    );
    return { operation_id: operation.operationId, operation_type: operation.operationType, params: operation.params, checkpoint };
  }

  /** A stopping worker hands a running operation back: pending again, resumed from its latest checkpoint elsewhere. */
  async release(operationId: string, release: OperationRelease): Promise<void> {
    const row = await this.require(operationId);
    requireAssigned(row, release.worker_id, 'a release');
    // Checked before draining: a refused release must leave the worker dispatchable.
    if (row.status !== 'running' || row.workerId !== release.worker_id) {
      throw conflict(`operation '${operationId}' is ${row.status}${row.workerId ? ` on worker '${row.workerId}'` : ''}; worker '${release.worker_id}' cannot release it`);
    }
    await this.deps.registry.drain(release.worker_id);
    await this.deps.registry.releaseOperation(release.worker_id, operationId);
    this.refreshedAt.delete(operationId);
    await this.operations.update(
      operationId,
      {
        status: 'pending',
        workerId: null,
        startedAt: null,
        metadata: { ...row.metadata, [QUEUED_AT_KEY]: this.now().toISOString(), released_by: release.worker_id, release_reason: release.reason },
        ...(release.progress ? { progress: release.progress } : {}),
      },
      ['running'],
    );
    this.deps.logger.info({ operation_id: operationId, worker_id: release.worker_id, reason: release.reason }, 'operation handed back; pending again');
    this.deps.wake();
  }

  /** What a (re-)registering worker reports: outcomes the backend missed, and the operation it runs now. */
  async reconcileRegistration(worker: WorkerRow, registration: Registration): Promise<void> {
    for (const report of registration.completedOperations ?? []) await this.applyReport(worker.workerId, report);
    const current = registration.currentOperationId;
    if (!current) return;
    const row = await this.operations.get(current);
    // Adopted only when nobody else runs it: pending, or running here (or nowhere in particular).
    const adoptable = row?.status === 'pending' || (row?.status === 'running' && (row.workerId === null || row.workerId === worker.workerId));
    if (row && adoptable) {
      const adopted = await this.operations.update(
        current,
        { status: 'running', workerId: worker.workerId, startedAt: row.startedAt ?? this.now() },
        [row.status],
      );
      if (adopted) {
        await this.deps.registry.markBusy(worker.workerId, current);
        return;
      }
    }
    // The backend no longer wants it here (cancelled, failed as an orphan, deleted, or running on another worker):
    // tell the worker to stop, and do not count its report as a claim.
    const latest = await this.operations.get(current);
    const state = latest ? `${latest.status}${latest.workerId ? ` on worker ${latest.workerId}` : ''}` : 'unknown';
    this.deps.logger.warn({ operation_id: current, worker_id: worker.workerId, state }, 'worker runs an operation that is not its own; cancelling it');
    await this.deps.registry.disown(worker.workerId, current);
    await this.deps.client.cancel(worker.endpointUrl, current).catch(() => false);
  }

  private async applyReport(workerId: string, report: CompletedOperationReport): Promise<void> {
    const row = await this.operations.get(report.operation_id);
    if (!row || !outcomeAcceptedFrom(row, workerId, REPORTED_STATUS[report.status])) return;
    await this.recordOutcome(report.operation_id, {
      worker_id: workerId,
      status: REPORTED_STATUS[report.status],
      result_summary: report.result ?? null,
      error_message: report.error_message ?? null,
      completed_at: report.completed_at ?? this.now().toISOString(),
    });
  }

  /** Moves an operation in one of `fromStatuses` to a terminal status (compare-and-set) and tidies what it no longer needs. */
  private async finish(
    row: OperationRow,
    patch: OperationPatch & { status: OperationStatus },
    fromStatuses: readonly OperationStatus[] = ACTIVE_STATUSES,
  ): Promise<OperationRow | null> {
    const progress = patch.status === 'completed' ? { ...(patch.progress ?? row.progress), percentage: 100 } : patch.progress;
    const finished = await this.operations.update(
      row.operationId,
      { completedAt: this.now(), ...patch, ...(progress ? { progress } : {}) },
      fromStatuses,
    );
    if (!finished) return null;
    await this.finished(finished, () => this.deps.checkpoints.removeForOperation(row.operationId));
    return finished;
  }

  /** What follows an operation's end: its progress cache entry goes, and a completed one's checkpoints (`removeCheckpoints`). */
  private async finished(finished: OperationRow, removeCheckpoints: () => Promise<unknown>): Promise<void> {
    this.refreshedAt.delete(finished.operationId);
    if (finished.status === 'completed') await removeCheckpoints();
    this.deps.logger.info({ operation_id: finished.operationId, status: finished.status, worker_id: finished.workerId }, 'operation finished');
  }

  /** Called for operations deleted by retention. */
  async forget(operationId: string): Promise<void> {
    this.refreshedAt.delete(operationId);
    await this.deps.checkpoints.removeForOperation(operationId);
  }

  async require(operationId: string): Promise<OperationRow> {
    const row = await this.operations.get(operationId);
    if (!row) throw notFound('operation', operationId);
    return row;
  }

  private now(): Date {
    return new Date(this.deps.clock.now());
  }
}

/**
 * The status an outcome from `workerId` may move `row` from, or null when it must be ignored: the operation runs
 * on that worker, or the orphan detector failed it while it ran there and the worker says how it really ended
 * (not 'cancelled': that is only the backend's own cancel of an operation it had given up on).
 */
function outcomeAcceptedFrom(row: OperationRow, workerId: string, status: OperationOutcome['status']): 'running' | 'failed' | null {
  if (row.status === 'running' && row.workerId === workerId) return 'running';
  if (row.status === 'failed' && row.metadata[ORPHANED_WORKER_KEY] === workerId && status !== 'cancelled') return 'failed';
  return null;
}

/**
 * Callbacks about an operation count only from the worker it is assigned to, or was when the orphan detector failed
 * it (that worker's late outcome, checkpoint or model is still its own); anyone else gets 403.
 */
function requireAssigned(row: OperationRow, workerId: string, what: string): void {
  if (row.workerId === workerId || row.metadata[ORPHANED_WORKER_KEY] === workerId) return;
  const owner = row.workerId ? `worker '${row.workerId}'` : 'no worker';
  throw forbidden(`${what} from worker '${workerId}' for operation '${row.operationId}' is refused: the operation is ${row.status} and assigned to ${owner}`);
}

function withoutOrphanMark(metadata: JsonObject): JsonObject {
  const rest = { ...metadata };
  delete rest[ORPHANED_WORKER_KEY];
  return rest;
}

/**
 * When the operation finished, as recorded: the worker's time, kept within [started, now]. A worker's clock
 * (or a hostile worker) must not decide retention: a year 2001 would delete the operation at the next clean-up,
 * a year 9999 would keep it forever.
 */
export function completionTime(reported: string, row: Pick<OperationRow, 'startedAt' | 'createdAt'>, now: Date): Date {
  const parsed = reportedTime(reported, now);
  const earliest = row.startedAt ?? row.createdAt;
  return parsed < earliest ? earliest : parsed;
}

/** The worker's time, or now when it is not a time or lies ahead (completionTime without the lower bound). */
function reportedTime(reported: string, now: Date): Date {
  const parsed = parseDate(reported);
  return parsed === null || parsed > now ? now : parsed;
}

function parseDate(value: string): Date | null {
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : new Date(parsed);
}
