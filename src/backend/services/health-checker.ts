/**
 * Calls every registered worker's GET /health on an interval. Consecutive
 * failures make a worker temporarily_unavailable (the registry's threshold); a
 * worker unhealthy for longer than the removal threshold is removed. A healthy
 * answer also updates which operation the worker claims to run.
 */
import type { Clock } from '../../common/clock.js';
import { PeriodicTask, type Timers } from '../../common/periodic-task.js';
import type { Logger } from '../../logging/logger.js';
import type { WorkerRow } from '../../store/types.js';
import type { WorkerClient } from './worker-client.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface HealthCheckerOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly removalThresholdMs: number;
  readonly timers?: Timers;
}

export interface HealthCheckerDeps {
  readonly registry: WorkerRegistry;
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
    const workers = await this.deps.registry.list();
    const results = await Promise.all(workers.map((worker) => this.check(worker)));
    if (results.some((row) => row?.status === 'available')) this.deps.onWorkerAvailable();
  }

  private async check(worker: WorkerRow): Promise<WorkerRow | null> {
    const { registry, client, logger } = this.deps;
    let reason: string;
    try {
      const health = await client.health(worker.endpointUrl, this.options.timeoutMs);
      if (health.worker_id === worker.workerId && health.healthy) {
        const row = await registry.recordHealthy(worker.workerId, health);
        if (worker.status === 'temporarily_unavailable' && row) logger.info({ worker_id: worker.workerId }, 'worker is healthy again');
        return row;
      }
      reason = health.worker_id === worker.workerId ? 'reports itself unhealthy' : `endpoint now answers as worker '${health.worker_id}'`;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
    const row = await registry.recordFailure(worker.workerId);
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
}
