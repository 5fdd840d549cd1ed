/**
 * How a workload stops when asked: its signal carries the reason (cancel or
 * shutdown), its waits end at once, and it throws `OperationAborted`, which the
 * runner turns into a cancelled operation or a hand-back.
 */
import type { AbortReason } from './types.js';

/** Thrown by a workload that stopped because its signal was aborted. */
export class OperationAborted extends Error {
  constructor(readonly reason: AbortReason) {
    super(reason === 'cancel' ? 'operation cancelled' : 'operation stopped: the worker is shutting down');
    this.name = 'OperationAborted';
  }
}

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
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new OperationAborted(abortReasonOf(signal)));
    const onAbort = () => {
      clear();
      reject(new OperationAborted(abortReasonOf(signal)));
    };
    const done = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    let clear: () => void;
    if (ms <= 0) {
      const handle = setImmediate(done);
      clear = () => clearImmediate(handle);
    } else {
      const handle = setTimeout(done, ms);
      clear = () => clearTimeout(handle);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
