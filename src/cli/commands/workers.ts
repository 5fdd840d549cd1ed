import { Command, Option } from 'commander';
import { WorkerStatus, WorkerType } from '../../api/contract.js';
import { withBackend } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { printList } from '../render/json.js';
import { renderWorkersTable } from '../render/workers.js';

export function workersCommand(): Command {
  return new Command('workers')
    .description('List the workers registered with the backend')
    .addOption(new Option('--type <type>', 'only workers of this type').choices(WorkerType.options))
    .addOption(new Option('--status <status>', 'only workers with this status').choices(WorkerStatus.options))
    .option('--json', 'print {items, total} (the worker records) as JSON')
    .action((options: { type?: WorkerType; status?: WorkerStatus; json?: boolean }) =>
      withBackend(async (api) => {
        const workers = await api.listWorkers({ workerType: options.type, status: options.status });
        if (options.json) printList(workers);
        else process.stdout.write(`${renderWorkersTable(workers, Date.now())}\n`);
        return ExitCode.Ok;
      }),
    );
}
