/** `ktrdr worker training|backtesting`: run a worker process until SIGINT/SIGTERM. */
import { Command } from 'commander';
import type { WorkerType } from '../../api/contract.js';
import { runWorkerCommand } from '../worker-run.js';

function workerOf(workerType: WorkerType, description: string): Command {
  return new Command(workerType).description(description).action(() => runWorkerCommand(workerType));
}

export function workerCommand(): Command {
  return new Command('worker')
    .description(
      'Run a worker: serves on KTRDR_WORKER_PORT (default 5003), registers with the backend at KTRDR_API_CLIENT_BASE_URL, ' +
        'runs one operation at a time; SIGINT/SIGTERM hands a running operation back and deregisters',
    )
    .addCommand(workerOf('training', 'Run a training worker'))
    .addCommand(workerOf('backtesting', 'Run a backtesting worker'));
}
