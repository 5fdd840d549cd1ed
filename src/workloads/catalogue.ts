/**
 * Which workloads each worker type runs, and where each one's code is, without loading any of it: a worker
 * imports only the workloads of its own type (a backtesting worker never loads the training code, nor a training
 * worker the backtest engine), so that it starts fast (docs/architecture.md §1, "What loads when").
 * A new workload gets a row here; test/workloads/catalogue.test.ts checks the rows against the workloads.
 */
import type { OperationType, WorkerType } from '../api/contract.js';
import type { Workload } from './types.js';

export interface WorkloadEntry {
  readonly type: OperationType;
  /** The same as the workload's own `workerTypes`. */
  readonly workerTypes: readonly WorkerType[];
  readonly load: () => Promise<Workload>;
}

export const WORKLOAD_CATALOGUE: readonly WorkloadEntry[] = [
  { type: 'dummy', workerTypes: ['training', 'backtesting'], load: async () => (await import('./dummy/dummy.js')).dummyWorkload as Workload },
  { type: 'training', workerTypes: ['training'], load: async () => (await import('./training/training.js')).trainingWorkload as Workload },
  { type: 'backtesting', workerTypes: ['backtesting'], load: async () => (await import('./backtesting/backtesting.js')).backtestingWorkload as Workload },
];

/** The workloads a `workerType` worker runs, loaded. */
export async function loadWorkloads(workerType: WorkerType): Promise<Workload[]> {
  return Promise.all(WORKLOAD_CATALOGUE.filter((entry) => entry.workerTypes.includes(workerType)).map((entry) => entry.load()));
}
