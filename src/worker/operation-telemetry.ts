/**
 * A span per operation run on a worker, child of the start request that the dispatcher sent (so one trace holds the
 * dispatch, the start request and the run), and the operation counters and durations (docs/architecture.md §8).
 */
import type { OperationType, WorkerType } from '../api/contract.js';
import type { Clock } from '../common/clock.js';
import { ATTR, NO_TELEMETRY, type Telemetry, type TelemetrySpan } from '../telemetry/telemetry.js';

/** How a run ended: `handed_back` is a run stopped by the worker's shutdown, to go on elsewhere. */
export type RunEnd = 'completed' | 'failed' | 'cancelled' | 'handed_back';

export interface RunInfo {
  readonly operationId: string;
  readonly operationType: OperationType;
  /** Units of the checkpoint the run resumes from, or null for a fresh start. */
  readonly resumedFromUnits: number | null;
}

export interface TrackedRun {
  end(how: RunEnd, error?: unknown): void;
}

export class OperationTelemetry {
  private readonly started;
  private readonly finished;
  private readonly duration;

  constructor(
    private readonly telemetry: Telemetry,
    private readonly worker: { readonly workerId: string; readonly workerType: WorkerType },
    private readonly clock: Clock,
  ) {
    this.started = telemetry.counter('ktrdr.operations.started', 'Operations started on this worker (resumes included)');
    this.finished = telemetry.counter('ktrdr.operations.finished', 'Operation runs ended on this worker, by how they ended');
    this.duration = telemetry.histogram('ktrdr.operation.duration', 'Duration of one operation run on a worker', 's');
  }

  static none(worker: { readonly workerId: string; readonly workerType: WorkerType }, clock: Clock): OperationTelemetry {
    return new OperationTelemetry(NO_TELEMETRY, worker, clock);
  }

  begin(run: RunInfo, parent: TelemetrySpan | null): TrackedRun {
    const startedAt = this.clock.now();
    const attributes = {
      [ATTR.operationType]: run.operationType,
      [ATTR.workerId]: this.worker.workerId,
      [ATTR.workerType]: this.worker.workerType,
    };
    const span = this.telemetry.startSpan(`operation ${run.operationType}`, {
      parent,
      attributes: { ...attributes, [ATTR.operationId]: run.operationId, [ATTR.resumedFromUnits]: run.resumedFromUnits },
    });
    this.started.add(1, { ...attributes, 'ktrdr.operation.resumed': run.resumedFromUnits !== null });
    let ended = false;
    return {
      end: (how, error) => {
        if (ended) return;
        ended = true;
        span.setAttributes({ [ATTR.operationStatus]: how });
        if (how === 'failed') span.fail(error ?? 'operation failed');
        span.end();
        // Counted by type and ending, not by operation id: ids would make one series per operation.
        this.finished.add(1, { ...attributes, [ATTR.operationStatus]: how });
        this.duration.record(Math.max(0, this.clock.now() - startedAt) / 1000, { ...attributes, [ATTR.operationStatus]: how });
      },
    };
  }
}
