/**
 * How a workload stops when asked: its signal carries the reason (cancel or
 * shutdown), its waits end at once, and it throws `OperationAborted`, which the
 * runner turns into a cancelled operation or a hand-back.
 */
import { createError } from '../common/errors.js';
import { sleep } from '../common/sleep.js';
import type { AbortReason } from './types.js';

/** Thrown by a workload that stopped because its signal was aborted. */
export class OperationAborted extends createError('OperationAborted', {
  message: (reason: AbortReason) => (reason === 'cancel' ? 'operation cancelled' : 'operation stopped: the worker is shutting down'),
  fields: (reason) => ({ reason }),
}) {}

/** The reason an aborted signal carries (anything unexpected counts as a cancel). */
export function abortReasonOf(signal: AbortSignal): AbortReason {
  return signal.reason === 'shutdown' ? 'shutdown' : 'cancel';
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new OperationAborted(abortReasonOf(signal));
}

/**
 * Waits `ms`, or rejects with `OperationAborted` as soon as `signal` is
 * aborted. A zero wait still yields to the event loop, so that a tight loop of
 * zero-delay steps keeps serving HTTP (and therefore cancel requests).
 */
export async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch {
    throw new OperationAborted(abortReasonOf(signal));
  }
}
