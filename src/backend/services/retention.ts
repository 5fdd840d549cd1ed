/**
 * Periodic clean-up: terminal operations older than the retention period (with
 * their checkpoints), and checkpoints older than their maximum age.
 */
import type { Clock } from '../../common/clock.js';
import { PeriodicTask, type Timers } from '../../common/periodic-task.js';
import type { Logger } from '../../logging/logger.js';
import type { OperationRepository } from '../../store/types.js';
import type { CheckpointStore } from './checkpoint-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionOptions {
  readonly intervalMs: number;
  readonly retentionDays: number;
  readonly checkpointMaxAgeDays: number;
  readonly timers?: Timers;
}

export interface RetentionDeps {
  readonly operations: OperationRepository;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface RetentionReport {
  readonly operationsDeleted: number;
  readonly checkpointsDeleted: number;
}

export class Retention {
  readonly task: PeriodicTask;

  constructor(
    private readonly deps: RetentionDeps,
    private readonly options: RetentionOptions,
  ) {
    this.task = new PeriodicTask({
      name: 'retention',
      intervalMs: options.intervalMs,
      run: async () => void (await this.cleanUp()),
      onError: (error) => deps.logger.error({ err: error }, 'retention clean-up failed'),
      timers: options.timers,
    });
  }

  async cleanUp(): Promise<RetentionReport> {
    const now = this.deps.clock.now();
    const deleted = await this.deps.operations.deleteTerminalBefore(new Date(now - this.options.retentionDays * DAY_MS));
    let checkpointsDeleted = 0;
    for (const operationId of deleted) checkpointsDeleted += await this.deps.checkpoints.removeForOperation(operationId);
    checkpointsDeleted += await this.deps.checkpoints.removeOlderThan(new Date(now - this.options.checkpointMaxAgeDays * DAY_MS));
    if (deleted.length > 0 || checkpointsDeleted > 0) {
      this.deps.logger.info({ operations: deleted.length, checkpoints: checkpointsDeleted }, 'retention clean-up');
    }
    return { operationsDeleted: deleted.length, checkpointsDeleted };
  }
}
