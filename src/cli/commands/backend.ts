/** `ktrdr backend`: run the backend process until SIGINT/SIGTERM. */
import { Command } from 'commander';

export function backendCommand(): Command {
  return new Command('backend')
    .description(
      'Run the backend: HTTP API under /api/v1 on KTRDR_API_HOST:KTRDR_API_PORT (default 127.0.0.1:8000), docs at /api/v1/docs, ' +
        'metrics at /metrics; worker registry with health checks, dispatcher, orphan detector, checkpoints and retention; ' +
        'store per KTRDR_DB_DRIVER (embedded PGlite by default). SIGINT/SIGTERM stops it cleanly',
    )
    .action(async () => {
      // Loaded on demand: the other commands should not pay for Fastify and the store drivers.
      const { runBackend } = await import('../../backend/main.js');
      const code = await runBackend();
      // A stopped backend has nothing left to do: do not wait for idle keep-alive sockets.
      process.exit(code);
    });
}
