/**
 * What a worker runs. A workload knows its own work (dummy steps, training
 * epochs, backtest bars) and nothing of HTTP, the backend or checkpoint
 * timing: the runner hands it a context and applies the checkpoint policy to
 * the units it reports, so every workload checkpoints, resumes and cancels the
 * same way.
 */
import type { z } from 'zod';
import type { JsonObject, ModelArtifact, OperationType, Progress, WorkerType } from '../api/contract.js';
import type { ContextFileProvider, ContextSeries } from '../market-data/context.js';
import type { BarSeries, Timeframe } from '../market-data/types.js';

/** Why a running operation was asked to stop. */
export type AbortReason = 'cancel' | 'shutdown';

/** The state a workload resumes from: what it saved at `units` units of work. */
export interface ResumePoint {
  readonly units: number;
  readonly state: unknown;
}

export type ProgressUpdate = Partial<Progress>;

export interface BarsRequest {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** ISO dates or date-times: bars in [startDate, endDate). */
  readonly startDate?: string;
  readonly endDate?: string;
}

/**
 * What a workload reads and writes beyond its own state. Workers never touch
 * the data directories: these go through the backend (docs/architecture.md §1).
 */
export interface WorkloadServices {
  bars(request: BarsRequest): Promise<BarSeries>;
  /** A context series (`date,value`), whole; a missing one is a NOT_FOUND error naming the file and the command. */
  contextSeries(provider: ContextFileProvider, series: string): Promise<ContextSeries>;
  model(modelId: string): Promise<ModelArtifact>;
  saveModel(artifact: ModelArtifact): Promise<void>;
}

export interface WorkloadContext<P> {
  readonly operationId: string;
  /** Already validated by the workload's `paramsSchema`. */
  readonly params: P;
  /** The checkpoint to continue from, or null for a fresh start. */
  readonly resumeFrom: ResumePoint | null;
  /** Aborted on cancel or worker shutdown; `signal.reason` is an `AbortReason`. */
  readonly signal: AbortSignal;
  /** Merges `update` into the operation's progress snapshot. */
  progress(update: ProgressUpdate): void;
  /**
   * Reports that `units` units (a total, counting resumed ones) are done.
   * `getState` is called only when a checkpoint is due, so building the state
   * costs nothing in between. Resolves once a due checkpoint is uploaded.
   */
  unitDone(units: number, getState: () => unknown): Promise<void>;
  readonly services: WorkloadServices;
}

export interface WorkloadResult {
  readonly resultSummary: JsonObject;
  /** Large results (trades, equity curve), served by the backend's results route. */
  readonly results?: unknown;
}

export interface Workload<P = unknown> {
  readonly type: OperationType;
  /** The worker types that may run it. */
  readonly workerTypes: readonly WorkerType[];
  readonly paramsSchema: z.ZodType<P>;
  /**
   * Runs to completion and returns the result; throws `OperationAborted` when
   * the signal is aborted, and any other error to fail the operation.
   */
  run(context: WorkloadContext<P>): Promise<WorkloadResult>;
}
