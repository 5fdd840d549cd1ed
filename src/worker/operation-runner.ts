/**
 * Runs one workload at a time: validates its parameters, keeps its progress
 * snapshot, applies the checkpoint policy to the units it reports, uploads
 * checkpoints, and reports the terminal outcome. It remembers the last few
 * finished operations so that the backend can still ask how they ended.
 */
import type {
  CheckpointUpload,
  JsonObject,
  OperationOutcome,
  OperationStatus,
  OperationType,
  Progress,
  WorkerOperationStatus,
  WorkerStartBody,
  WorkerType,
} from '../api/contract.js';
import { emptyProgress } from '../api/worker-contract.js';
import { isoNow, type Clock } from '../common/clock.js';
import { conflict, errorText, KtrdrError } from '../common/errors.js';
import type { Logger } from '../logging/logger.js';
import { abortReasonOf, OperationAborted } from '../workloads/abort.js';
import type { AbortReason, ProgressUpdate, Workload, WorkloadServices } from '../workloads/types.js';
import { NO_SERVICES } from './backend-data.js';
import { CheckpointPolicy } from './checkpoint-policy.js';
import type { TelemetrySpan } from '../telemetry/telemetry.js';
import { OperationTelemetry, type TrackedRun } from './operation-telemetry.js';
import { formatZodIssues } from './zod-issues.js';

/** Where checkpoints and outcomes go (the backend link, or a fake in tests). */
export interface OperationReporter {
  /** `final`: the last checkpoint of a run that failed or was cancelled, kept until delivered (ahead of the outcome). */
  uploadCheckpoint(operationId: string, upload: Omit<CheckpointUpload, 'worker_id'>, options?: { final?: boolean }): Promise<unknown>;
  reportOutcome(operationId: string, outcome: Omit<OperationOutcome, 'worker_id'>): Promise<unknown>;
  /** Hands an operation back to the backend (pending again); absent in tests that never need it. */
  release?(operationId: string, release: { reason: string }): Promise<unknown>;
}

export interface OperationRunnerOptions {
  readonly workerId: string;
  readonly workerType: WorkerType;
  /**
   * What it runs (those its worker type may run are kept). A promise while the code still loads: the worker
   * entry point loads it after registering (docs/architecture.md §1), and the start route waits for `ready`.
   */
  readonly workloads: readonly Workload[] | Promise<readonly Workload[]>;
  readonly reporter: OperationReporter;
  /** Bars and models for the workloads (the backend); none by default. */
  readonly services?: WorkloadServices;
  /** KTRDR_CHECKPOINT_EPOCH_INTERVAL. */
  readonly checkpointUnitInterval: number;
  /** KTRDR_CHECKPOINT_TIME_INTERVAL_SECONDS, in ms. */
  readonly checkpointTimeIntervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How many finished operations GET /operations/{id}/status still answers for. */
  readonly historySize?: number;
  /** A span and metrics per run (OpenTelemetry); none by default. */
  readonly telemetry?: OperationTelemetry;
}

/** An operation stopped by a shutdown, to be handed back to the backend. */
export interface StoppedOperation {
  readonly operationId: string;
  readonly progress: Progress;
  /** Units of the shutdown checkpoint, or null when none was taken. */
  readonly checkpointUnits: number | null;
}

interface RunningOperation {
  readonly operationId: string;
  readonly operationType: OperationType;
  status: OperationStatus;
  progress: Progress;
  readonly controller: AbortController;
  /** Settles when the run is over (outcome decided, final checkpoint uploaded). */
  done: Promise<StoppedOperation | null>;
}

const DEFAULT_HISTORY_SIZE = 20;

export class OperationRunner {
  private workloads: ReadonlyMap<OperationType, Workload> | null = null;
  /** Settles once the workloads are loaded (at once when they were given loaded); rejects when they failed to load. */
  readonly ready: Promise<void>;
  private current: RunningOperation | null = null;
  private readonly finished = new Map<string, WorkerOperationStatus>();
  private readonly reports = new Set<Promise<unknown>>();
  private accepting = true;
  private readonly telemetry: OperationTelemetry;

  constructor(private readonly options: OperationRunnerOptions) {
    this.telemetry = options.telemetry ?? OperationTelemetry.none(options, options.clock);
    const keep = (workloads: readonly Workload[]): void => {
      const usable = workloads.filter((workload) => workload.workerTypes.includes(options.workerType));
      this.workloads = new Map(usable.map((workload) => [workload.type, workload]));
    };
    if (options.workloads instanceof Promise) {
      this.ready = options.workloads.then(keep);
      this.ready.catch(() => {}); // the entry point handles a failed load; nobody else may be waiting yet
    } else {
      keep(options.workloads);
      this.ready = Promise.resolve();
    }
  }

  get currentOperationId(): string | null {
    return this.current?.operationId ?? null;
  }

  get isBusy(): boolean {
    return this.current !== null;
  }

  /**
   * Starts `request` in the background. Throws a VALIDATION_ERROR naming the
   * field for parameters the workload refuses, CONFLICT when another operation
   * runs (one at a time) and SHUTTING_DOWN once the worker is stopping. A
   * repeated start of the operation already running is accepted (a dispatch
   * retried after a lost answer must not run it twice).
   */
  start(request: WorkerStartBody, trace: { parent?: TelemetrySpan | null } = {}): { operationId: string } {
    if (!this.accepting) throw new KtrdrError('SHUTTING_DOWN', `worker ${this.options.workerId} is shutting down and takes no new operation`);
    if (this.current) {
      if (this.current.operationId === request.operation_id) return { operationId: request.operation_id };
      throw conflict(`worker ${this.options.workerId} is busy with operation ${this.current.operationId}; it runs one operation at a time`);
    }
    if (!this.workloads) throw new Error(`worker ${this.options.workerId}: start called before its workloads were loaded (await runner.ready)`);
    const workload = this.workloads.get(request.operation_type);
    if (!workload) {
      throw new KtrdrError(
        'VALIDATION_ERROR',
        `body.operation_type: a ${this.options.workerType} worker cannot run '${request.operation_type}' operations (it runs: ${[...this.workloads.keys()].join(', ') || 'none'})`,
      );
    }
    const parsed = workload.paramsSchema.safeParse(request.params);
    if (!parsed.success) throw new KtrdrError('VALIDATION_ERROR', formatZodIssues(parsed.error.issues, 'body.params'), parsed.error.issues);

    const operation: RunningOperation = {
      operationId: request.operation_id,
      operationType: request.operation_type,
      status: 'running',
      progress: emptyProgress(),
      controller: new AbortController(),
      done: Promise.resolve(null),
    };
    this.finished.delete(operation.operationId);
    this.current = operation;
    const resumeFrom = request.checkpoint ? { units: request.checkpoint.units, state: request.checkpoint.state } : null;
    const tracked = this.telemetry.begin(
      { operationId: operation.operationId, operationType: operation.operationType, resumedFromUnits: resumeFrom?.units ?? null },
      trace.parent ?? null,
    );
    operation.done = this.execute(operation, workload, parsed.data, resumeFrom, request.checkpoint?.checkpoint_id ?? null, tracked);
    this.options.logger.info(
      `operation ${operation.operationId} (${operation.operationType}) started${resumeFrom ? ` from checkpoint at ${resumeFrom.units} units` : ''}`,
    );
    return { operationId: operation.operationId };
  }

  /** Whether it would take an operation now (idle and not stopping): an outcome may then ask for the next one. */
  get takesNext(): boolean {
    return this.accepting && this.current === null;
  }

  /**
   * Starts an operation the backend handed over with an outcome's answer (docs/architecture.md §5.4), as a start
   * request would: what the start route would refuse is settled here, since nobody waits for an answer. Parameters
   * the workload refuses fail the operation (running it elsewhere would fail the same way); a stopping worker hands
   * it back at once. Anything else (busy with another operation, which the backend's state rules out) is left to the
   * backend: its reservation goes stale and the health check puts it back to pending (§9).
   */
  async startAssigned(request: WorkerStartBody): Promise<void> {
    try {
      await this.ready;
      this.start(request);
    } catch (error) {
      const id = request.operation_id;
      const code = error instanceof KtrdrError ? error.code : null;
      if (code === 'VALIDATION_ERROR') {
        this.options.logger.warn(`operation ${id} refused: ${errorText(error)}`);
        await this.options.reporter.reportOutcome(id, {
          status: 'failed',
          result_summary: null,
          error_message: `worker ${this.options.workerId} rejected the operation: ${errorText(error)}`,
          completed_at: isoNow(this.options.clock),
        });
      } else if (code === 'SHUTTING_DOWN' && this.options.reporter.release) {
        this.options.logger.info(`operation ${id} handed back: it came with an outcome's answer while the worker stops`);
        await this.options.reporter.release(id, { reason: 'shutdown' });
      } else {
        this.options.logger.error(`operation ${id} handed over with an outcome's answer could not start: ${errorText(error)}`);
      }
    }
  }

  /** Asks the running operation to stop; false when `operationId` is not running here. */
  cancel(operationId: string): boolean {
    if (this.current?.operationId !== operationId) return false;
    this.current.controller.abort('cancel' satisfies AbortReason);
    return true;
  }

  /** Where an operation running (or recently finished) here stands; null when unknown. */
  status(operationId: string): WorkerOperationStatus | null {
    if (this.current?.operationId === operationId) {
      return { operation_id: operationId, status: this.current.status, progress: structuredClone(this.current.progress) };
    }
    return this.finished.get(operationId) ?? null;
  }

  /**
   * Refuses new operations, stops the running one at its next step with a
   * shutdown checkpoint, and returns it for hand-back (null when idle, or when
   * it ended on its own before noticing).
   */
  async shutdown(): Promise<StoppedOperation | null> {
    this.accepting = false;
    const operation = this.current;
    if (!operation) return null;
    operation.controller.abort('shutdown' satisfies AbortReason);
    return operation.done;
  }

  /** Waits for the running operation and for outcome reports in flight. */
  async settled(): Promise<void> {
    await this.current?.done;
    await Promise.allSettled([...this.reports]);
  }

  private async execute(
    operation: RunningOperation,
    workload: Workload,
    params: unknown,
    resumeFrom: { units: number; state: unknown } | null,
    checkpointId: string | null,
    tracked: TrackedRun,
  ): Promise<StoppedOperation | null> {
    const { reporter, clock } = this.options;
    const policy = new CheckpointPolicy({
      unitInterval: this.options.checkpointUnitInterval,
      timeIntervalMs: this.options.checkpointTimeIntervalMs,
      clock,
    });
    policy.begin(resumeFrom?.units ?? 0);
    // The latest unit reported in this run, so that a stop can checkpoint exactly there.
    let latest: { units: number; getState: () => unknown } | null = null;

    const checkpoint = async (units: number, state: unknown, reason: CheckpointUpload['reason'], final = false) => {
      await reporter.uploadCheckpoint(operation.operationId, { units, state, reason }, final ? { final } : undefined);
      policy.taken(units);
    };
    const finalCheckpoint = async (reason: CheckpointUpload['reason']): Promise<number | null> => {
      if (!latest) return null;
      try {
        // A shutdown checkpoint is handed over at once (the release that follows needs it); the others may wait.
        await checkpoint(latest.units, latest.getState(), reason, reason !== 'shutdown');
        return latest.units;
      } catch (error) {
        this.options.logger.warn(`final checkpoint of operation ${operation.operationId} failed: ${errorText(error)}`);
        return null;
      }
    };

    let outcome: Omit<OperationOutcome, 'worker_id'>;
    let stopped: StoppedOperation | null = null;
    let failure: unknown = null;
    try {
      const result = await workload.run({
        operationId: operation.operationId,
        params,
        resumeFrom,
        signal: operation.controller.signal,
        progress: (update: ProgressUpdate) => {
          operation.progress = { ...operation.progress, ...update, context: { ...operation.progress.context, ...update.context } };
        },
        unitDone: async (units, getState) => {
          latest = { units, getState };
          const trigger = policy.due(units);
          if (trigger) await checkpoint(units, getState(), trigger);
        },
        services: this.options.services ?? NO_SERVICES,
      });
      operation.status = 'completed';
      outcome = this.outcome(operation, 'completed', result.resultSummary, null, result.results);
    } catch (error) {
      const aborted = error instanceof OperationAborted || operation.controller.signal.aborted;
      const reason: AbortReason | null = aborted ? (error instanceof OperationAborted ? error.reason : abortReasonOf(operation.controller.signal)) : null;
      if (reason === 'shutdown') {
        const units = await finalCheckpoint('shutdown');
        operation.status = 'pending'; // handed back: the backend will run it again from the checkpoint
        stopped = { operationId: operation.operationId, progress: structuredClone(operation.progress), checkpointUnits: units };
        this.options.logger.info(`operation ${operation.operationId} stopped for shutdown${units === null ? '' : ` at ${units} units (checkpoint saved)`}`);
      } else if (reason === 'cancel') {
        await finalCheckpoint('cancel');
        operation.status = 'cancelled';
        this.options.logger.info(`operation ${operation.operationId} cancelled`);
      } else {
        await finalCheckpoint('failure');
        operation.status = 'failed';
        failure = error;
        this.options.logger.warn(`operation ${operation.operationId} failed: ${errorText(error)}`);
      }
      // A resumed run that fails before its first unit most likely could not use its checkpoint, and every
      // resume would fail the same way: say which checkpoint, and how to drop it.
      const unusableCheckpoint =
        resumeFrom && latest === null && checkpointId
          ? ` (resumed from checkpoint ${checkpointId} at ${resumeFrom.units} units; if that checkpoint is unusable, delete it with \`ktrdr ops checkpoints ${operation.operationId} --delete ${checkpointId}\` and resume again)`
          : '';
      outcome = this.outcome(
        operation,
        operation.status === 'cancelled' ? 'cancelled' : 'failed',
        null,
        operation.status === 'cancelled' ? 'cancelled by request' : `${errorText(error)}${unusableCheckpoint}`,
      );
    }

    tracked.end(stopped ? 'handed_back' : (operation.status as 'completed' | 'failed' | 'cancelled'), failure);
    this.remember(operation);
    this.current = null;
    if (stopped) return stopped;
    this.options.logger.info(`operation ${operation.operationId} ${operation.status}`);
    // Idle before reporting, so that the backend may dispatch the next operation as soon as it hears.
    this.track(reporter.reportOutcome(operation.operationId, outcome));
    return null;
  }

  private outcome(
    operation: RunningOperation,
    status: OperationOutcome['status'],
    resultSummary: JsonObject | null,
    errorMessage: string | null,
    results?: unknown,
  ): Omit<OperationOutcome, 'worker_id'> {
    return {
      status,
      result_summary: resultSummary,
      error_message: errorMessage,
      ...(results === undefined ? {} : { results }),
      progress: structuredClone(operation.progress),
      completed_at: isoNow(this.options.clock),
    };
  }

  private remember(operation: RunningOperation): void {
    this.finished.set(operation.operationId, {
      operation_id: operation.operationId,
      status: operation.status,
      progress: structuredClone(operation.progress),
    });
    const limit = this.options.historySize ?? DEFAULT_HISTORY_SIZE;
    for (const oldest of this.finished.keys()) {
      if (this.finished.size <= limit) break;
      this.finished.delete(oldest);
    }
  }

  private track(report: Promise<unknown>): void {
    const tracked = report.catch((error: unknown) => this.options.logger.error(`outcome report failed: ${errorText(error)}`));
    this.reports.add(tracked);
    void tracked.finally(() => this.reports.delete(tracked));
  }
}

