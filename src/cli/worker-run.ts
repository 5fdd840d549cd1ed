/**
 * What `ktrdr worker <type>` runs, without commander: the worker command's action (commands/worker.ts), and
 * the entry point's shortcut to it (src/cli/main.ts). A worker's start is what the backend waits for before it can
 * list the worker, and building the command-line program (commander, with node:child_process and the program's
 * definitions) is a few ms of it that a bare `worker training` does not need (docs/architecture.md §1.1).
 */
import type { WorkerType } from '../api/contract.js';

/** Every worker type, as the contract's `WorkerType` lists them (checked at compile time both ways). */
export const WORKER_TYPES = ['training', 'backtesting'] as const satisfies readonly WorkerType[];
type Missing = Exclude<WorkerType, (typeof WORKER_TYPES)[number]>;
const everyType: [Missing] extends [never] ? true : Missing = true;
void everyType;

/**
 * The worker type when the command line is exactly `ktrdr worker <type>`, which the entry point runs without
 * commander; null for any other (options, `--help`, an unknown type), which commander parses and reports.
 */
export function directWorkerType(argv: readonly string[]): WorkerType | null {
  if (argv.length !== 4 || argv[2] !== 'worker') return null;
  return WORKER_TYPES.find((type) => type === argv[3]) ?? null;
}

/** Runs a worker until SIGINT/SIGTERM, and exits with its code. */
export async function runWorkerCommand(workerType: WorkerType): Promise<never> {
  // Loaded on demand: the other commands should not pay for Fastify.
  const { runWorker } = await import('../worker/main.js');
  const code = await runWorker(workerType);
  // A stopped worker has nothing left to do: do not wait for idle keep-alive sockets.
  process.exit(code);
}
