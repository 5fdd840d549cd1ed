/**
 * The one sleep. Resolves after `ms`; with a signal, rejects with the signal's
 * reason as soon as it is aborted (at once when it already is). A zero wait
 * still yields to the event loop (setImmediate), so a tight loop of zero-delay
 * steps keeps serving I/O.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clear();
      reject(signal?.reason);
    };
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
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
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
