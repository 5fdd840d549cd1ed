/**
 * Fails running operations that nobody runs any more. An operation is claimed
 * only by a registered worker that passes its health checks and reports it as
 * its current operation; one left unclaimed for the timeout is failed with a
 * reason naming the worker it was last given to.
 */
import type { Clock } from '../../common/clock.js';
import { PeriodicTask, type Timers } from '../../common/periodic-task.js';
import type { Logger } from '../../logging/logger.js';
import type { OperationRepository } from '../../store/types.js';
import type { WorkerRegistry } from './worker-registry.js';

/**
 * Metadata key of an operation failed as an orphan: the worker it was lost with. That worker may only have been
 * out of touch; its outcome, when it arrives, still counts (see OperationsService.recordOutcome).
 */
export const ORPHANED_WORKER_KEY = 'orphaned_worker_id';

export interface OrphanDetectorOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly timers?: Timers;
}

export interface OrphanDetectorDeps {
  readonly operations: OperationRepository;
  readonly registry: WorkerRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class OrphanDetector {
  readonly task: PeriodicTask;
  /** When each running operation was first seen unclaimed. */
  private readonly unclaimedSince = new Map<string, number>();

  constructor(
    private readonly deps: OrphanDetectorDeps,
    private readonly options: OrphanDetectorOptions,
  ) {
    this.task = new PeriodicTask({
      name: 'orphan-detector',
      intervalMs: options.intervalMs,
      run: async () => void (await this.check()),
      onError: (error) => deps.logger.error({ err: error }, 'orphan check failed'),
      timers: options.timers,
    });
  }

  /** Returns the ids of the operations failed as orphans in this pass. */
  async check(): Promise<string[]> {
    const { operations, registry, clock, logger } = this.deps;
    const now = clock.now();
    const [running, workers] = await Promise.all([operations.running(), registry.list()]);
    const claimed = new Set(
      workers.filter((worker) => worker.status !== 'temporarily_unavailable' && worker.currentOperationId).map((worker) => worker.currentOperationId as string),
    );
    const runningIds = new Set(running.map((row) => row.operationId));
    for (const id of this.unclaimedSince.keys()) if (!runningIds.has(id) || claimed.has(id)) this.unclaimedSince.delete(id);

    const failed: string[] = [];
    for (const row of running) {
      if (claimed.has(row.operationId)) continue;
      const since = this.unclaimedSince.get(row.operationId) ?? now;
      this.unclaimedSince.set(row.operationId, since);
      if (now - since < this.options.timeoutMs) continue;
      const reason = `worker ${row.workerId ?? '(unknown)'} lost: no healthy registered worker claims this operation for ${formatSeconds(this.options.timeoutMs)}`;
      const metadata = row.workerId ? { ...row.metadata, [ORPHANED_WORKER_KEY]: row.workerId } : row.metadata;
      const updated = await operations.update(row.operationId, { status: 'failed', errorMessage: reason, completedAt: new Date(now), metadata }, ['running']);
      this.unclaimedSince.delete(row.operationId);
      if (updated) {
        failed.push(row.operationId);
        logger.warn({ operation_id: row.operationId, worker_id: row.workerId }, reason);
      }
    }
    return failed;
  }
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
}
