import { Command, Option } from 'commander';
import { OperationStatus, OperationType, type OperationRecord } from '../../api/contract.js';
import type { BackendApi } from '../../client/backend-api.js';
import { withBackend } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { integerOption } from '../options.js';
import { printJson, printJsonLine } from '../render/json.js';
import { renderCheckpointsTable, renderOperationDetails, renderOperationsTable, renderOutcomeLine } from '../render/operations.js';
import { createProgressView, type ProgressFigures } from '../render/progress.js';
import { outcomeExitCode, watchOperation } from '../watch-operation.js';

export const DEFAULT_WATCH_INTERVAL_MS = 500;

export const intervalOption = () =>
  new Option('--interval-ms <ms>', 'how often to poll the backend, in milliseconds')
    .argParser(integerOption(10, 3_600_000))
    .default(DEFAULT_WATCH_INTERVAL_MS);

/**
 * How one kind of operation is shown while it is followed. Every part is optional:
 * without them an operation is shown the generic way (`ops watch`, `dummy start --watch`).
 */
export interface OperationPresenter {
  /** The figures after the step on the progress line (default: every figure of the progress context). */
  readonly progressFigures?: ProgressFigures;
  /** What is printed for people once it ended (default: the outcome line). */
  readonly conclusion?: (op: OperationRecord) => string | Promise<string>;
  /** One more JSON line printed once it ended, after the final record (default: none). */
  readonly jsonConclusion?: (op: OperationRecord) => Promise<unknown>;
}

export interface FollowOptions {
  readonly json?: boolean;
  readonly intervalMs: number;
  readonly presenter?: OperationPresenter;
}

/**
 * Follows an operation to its end: a live progress bar, or one JSON line per poll.
 * Returns 0 when it completed, 1 when it failed or was cancelled.
 */
export async function followOperation(api: BackendApi, operationId: string, options: FollowOptions): Promise<number> {
  const presenter = options.presenter ?? {};
  if (options.json) {
    const op = await watchOperation(api, operationId, { intervalMs: options.intervalMs, onUpdate: (update) => printJsonLine(update) });
    if (presenter.jsonConclusion) {
      const extra = await presenter.jsonConclusion(op);
      if (extra !== undefined) printJsonLine(extra);
    }
    return outcomeExitCode(op);
  }
  const view = createProgressView(process.stdout, presenter.progressFigures);
  try {
    const op = await watchOperation(api, operationId, { intervalMs: options.intervalMs, onUpdate: (update) => view.update(update) });
    view.stop();
    const conclusion = presenter.conclusion ? await presenter.conclusion(op) : renderOutcomeLine(op);
    process.stdout.write(`${conclusion}\n`);
    return outcomeExitCode(op);
  } finally {
    view.stop();
  }
}

function listCommand(): Command {
  return new Command('list')
    .description('List operations, newest first')
    .addOption(new Option('--status <status>', 'only operations with this status').choices(OperationStatus.options))
    .addOption(new Option('--type <type>', 'only operations of this type').choices(OperationType.options))
    .addOption(new Option('--limit <n>', 'at most this many').argParser(integerOption(1, 10_000)))
    .option('--json', 'print the backend\'s answer as JSON')
    .action((options: { status?: OperationStatus; type?: OperationType; limit?: number; json?: boolean }) =>
      withBackend(async (api) => {
        const list = await api.listOperations({ status: options.status, operationType: options.type, limit: options.limit });
        if (options.json) printJson(list);
        else process.stdout.write(`${renderOperationsTable(list, Date.now())}\n`);
        return ExitCode.Ok;
      }),
    );
}

function showCommand(): Command {
  return new Command('show')
    .description('Show one operation: status, progress, timestamps, worker, error and result summary')
    .argument('<id>', 'operation id')
    .option('--json', 'print the operation record as JSON')
    .action((id: string, options: { json?: boolean }) =>
      withBackend(async (api) => {
        const op = await api.getOperation(id);
        if (options.json) printJson(op);
        else process.stdout.write(`${renderOperationDetails(op)}\n`);
        return ExitCode.Ok;
      }),
    );
}

function watchCommand(): Command {
  return new Command('watch')
    .description('Follow an operation until it ends (exit 0 when it completed, 1 when it failed or was cancelled)')
    .argument('<id>', 'operation id')
    .option('--json', 'print the operation record as one JSON line per poll')
    .addOption(intervalOption())
    .action((id: string, options: { json?: boolean; intervalMs: number }) => withBackend((api) => followOperation(api, id, options)));
}

function cancelCommand(): Command {
  return new Command('cancel')
    .description('Cancel a pending or running operation')
    .argument('<id>', 'operation id')
    .option('--json', 'print the operation record afterwards as JSON')
    .action((id: string, options: { json?: boolean }) =>
      withBackend(async (api) => {
        const op = await api.cancelOperation(id);
        if (options.json) printJson(op);
        else process.stdout.write(`cancel requested for ${op.operation_id}: now ${op.status}\n`);
        return ExitCode.Ok;
      }),
    );
}

function resumeCommand(): Command {
  return new Command('resume')
    .description('Resume a failed or cancelled operation from its latest checkpoint')
    .argument('<id>', 'operation id')
    .option('--json', 'print the operation record afterwards as JSON')
    .action((id: string, options: { json?: boolean }) =>
      withBackend(async (api) => {
        const op = await api.resumeOperation(id);
        if (options.json) printJson(op);
        else process.stdout.write(`resumed ${op.operation_id}: now ${op.status} (follow it with: ktrdr ops watch ${op.operation_id})\n`);
        return ExitCode.Ok;
      }),
    );
}

/** `--delete all` removes every checkpoint; anything else names one. */
export const DELETE_ALL = 'all';

function checkpointsCommand(): Command {
  return new Command('checkpoints')
    .description(
      "List an operation's checkpoints (oldest first), or delete one or all of them. A resume continues from the newest " +
        'checkpoint that loads; delete one whose state the workload cannot use, or all of them to start again from zero',
    )
    .argument('<id>', 'operation id')
    .option('--delete <checkpoint>', `delete this checkpoint (an id from the list), or '${DELETE_ALL}' for every one`)
    .option('--json', "print the backend's answer as JSON")
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  ktrdr ops checkpoints op_training_123                 list them',
        '  ktrdr ops checkpoints op_training_123 --delete ckpt_…  delete one',
        `  ktrdr ops checkpoints op_training_123 --delete ${DELETE_ALL}     delete every one (a resume then starts from zero)`,
      ].join('\n'),
    )
    .action((id: string, options: { delete?: string; json?: boolean }) =>
      withBackend(async (api) => {
        if (options.delete !== undefined) {
          const deleted = await api.deleteCheckpoints(id, options.delete === DELETE_ALL ? undefined : options.delete);
          if (options.json) printJson({ operation_id: id, deleted });
          else process.stdout.write(`deleted ${deleted} checkpoint(s) of ${id}\n`);
          return ExitCode.Ok;
        }
        const checkpoints = await api.listCheckpoints(id);
        if (options.json) printJson(checkpoints);
        else process.stdout.write(`${renderCheckpointsTable(id, checkpoints)}\n`);
        return ExitCode.Ok;
      }),
    );
}

export function opsCommand(): Command {
  return new Command('ops')
    .description('List, inspect, follow, cancel and resume operations; list and delete their checkpoints')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(watchCommand())
    .addCommand(cancelCommand())
    .addCommand(resumeCommand())
    .addCommand(checkpointsCommand());
}
