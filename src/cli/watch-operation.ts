/** Polls one operation until it reaches a terminal status (used by `ops watch`, `dummy start --watch` and the demo). */
import { isTerminal, type OperationRecord } from '../api/contract.js';
import type { BackendApi } from '../client/backend-api.js';
import { sleep as defaultSleep } from '../common/sleep.js';
import { ExitCode } from './exit-codes.js';

export interface WatchOptions {
  readonly intervalMs: number;
  readonly onUpdate: (op: OperationRecord) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  /** A record already read: the first update, before the first poll. */
  readonly initial?: OperationRecord;
}


/** Returns the operation in its terminal state. */
export async function watchOperation(api: BackendApi, operationId: string, options: WatchOptions): Promise<OperationRecord> {
  const sleep = options.sleep ?? defaultSleep;
  if (options.initial) {
    options.onUpdate(options.initial);
    if (isTerminal(options.initial.status)) return options.initial;
    await sleep(options.intervalMs);
  }
  for (;;) {
    const op = await api.getOperation(operationId);
    options.onUpdate(op);
    if (isTerminal(op.status)) return op;
    await sleep(options.intervalMs);
  }
}

/** `completed` is success; `failed` and `cancelled` are failures for scripts. */
export const outcomeExitCode = (op: OperationRecord): number => (op.status === 'completed' ? ExitCode.Ok : ExitCode.Failure);
