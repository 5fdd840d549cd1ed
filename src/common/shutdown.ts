/** What asked a process to stop: a signal, or the exit of the supervisor that started it. */
export type ShutdownCause = NodeJS.Signals | 'the exit of its supervisor';

/**
 * Resolves on the first SIGINT, SIGTERM or SIGHUP; a second signal exits at
 * once (the operator insists). A process started with an IPC channel (by
 * `ktrdr up`, see src/stack/local-stack.ts) also stops when that channel
 * closes: its supervisor is gone, however it died (even by SIGKILL), and
 * nothing else would ever stop it.
 */
export function shutdownSignal(): Promise<ShutdownCause> {
  return new Promise((resolve) => {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const finish = (cause: ShutdownCause) => {
      for (const signal of signals) process.removeListener(signal, finish);
      process.removeListener('disconnect', onDisconnect);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(cause);
    };
    const onDisconnect = () => finish('the exit of its supervisor');
    for (const signal of signals) process.on(signal, finish);
    if (process.channel) {
      // The channel carries no messages; it must not keep the process alive by itself.
      process.channel.unref();
      process.once('disconnect', onDisconnect);
      if (!process.connected) onDisconnect();
    }
  });
}
