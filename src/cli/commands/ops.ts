import { Command, InvalidArgumentError, Option } from 'commander';
import { OperationStatus, OperationType, TerminalStatus } from '../../api/contract.js';
import { withBackend } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { followOperation, intervalOption } from '../follow.js';
import { integerOption } from '../options.js';
import { outputModeOf } from '../output.js';
import { presenterFor } from '../presenters.js';
import { printJson, printList } from '../render/json.js';
import { formatPercentage } from '../render/format.js';
import { renderCheckpointsTable, renderOperationDetails, renderOperationsTable } from '../render/operations.js';
import { equityCsv, renderEquityTable, renderTradesTable, StoredBacktestResults, tradesCsv, withIsoTimes } from '../render/results.js';
import { withOperationId } from '../resolve-id.js';

export { DEFAULT_WATCH_INTERVAL_MS, followOperation, intervalOption, type FollowOptions } from '../follow.js';
export type { OperationPresenter } from '../presenters.js';

function listCommand(): Command {
  return new Command('list')
    .description('List operations, newest first')
    .addOption(new Option('--status <status>', 'only operations with this status').choices(OperationStatus.options))
    .addOption(new Option('--type <type>', 'only operations of this type').choices(OperationType.options))
    .addOption(new Option('--limit <n>', 'at most this many').argParser(integerOption(1, 10_000)))
    .option('--json', 'print {items, total, active} as JSON (total counts every match, active the pending and running ones)')
    .action((options: { status?: OperationStatus; type?: OperationType; limit?: number; json?: boolean }) =>
      withBackend(async (api) => {
        const list = await api.listOperations({ status: options.status, operationType: options.type, limit: options.limit });
        if (options.json) printList(list.data, { total: list.total_count, active: list.active_count });
        else process.stdout.write(`${renderOperationsTable(list, Date.now())}\n`);
        return ExitCode.Ok;
      }),
    );
}

function showCommand(): Command {
  return new Command('show')
    .description('Show one operation: status, progress, timestamps, worker, error and result summary')
    .argument('<id>', 'operation id (or a unique prefix of it)')
    .option('--json', 'print the operation record as JSON')
    .action((id: string, options: { json?: boolean }) =>
      withBackend(async (api) => {
        const op = await withOperationId(api, id, (operationId) => api.getOperation(operationId));
        if (options.json) printJson(op);
        else process.stdout.write(`${renderOperationDetails(op)}\n`);
        return ExitCode.Ok;
      }),
    );
}

function watchCommand(): Command {
  return new Command('watch')
    .description('Follow an operation until it ends (exit 0 when it completed, 1 when it failed or was cancelled)')
    .argument('<id>', 'operation id (or a unique prefix of it)')
    .option('--json', 'print the operation record as one JSON line per poll')
    .addOption(intervalOption())
    .action((id: string, options: { json?: boolean; intervalMs: number }, command: Command) =>
      withBackend(async (api) => {
        const op = await withOperationId(api, id, (operationId) => api.getOperation(operationId));
        // Rendered as its own command renders it: a training by epochs and metrics, a backtest by bars and equity.
        return followOperation(api, op.operation_id, { ...options, initial: op, presenter: presenterFor(api, op.operation_type), output: outputModeOf(command) });
      }),
    );
}

function cancelCommand(): Command {
  return new Command('cancel')
    .description('Cancel a pending or running operation')
    .argument('<id>', 'operation id (or a unique prefix of it)')
    .option('--json', 'print the operation record afterwards as JSON')
    .action((id: string, options: { json?: boolean }) =>
      withBackend(async (api) => {
        const op = await withOperationId(api, id, (operationId) => api.cancelOperation(operationId));
        if (options.json) printJson(op);
        else process.stdout.write(`cancel requested for ${op.operation_id}: now ${op.status} at ${formatPercentage(op.progress.percentage)}\n`);
        return ExitCode.Ok;
      }),
    );
}

function resumeCommand(): Command {
  return new Command('resume')
    .description('Resume a failed or cancelled operation from its latest checkpoint')
    .argument('<id>', 'operation id (or a unique prefix of it)')
    .option('--json', 'print the operation record afterwards as JSON')
    .action((id: string, options: { json?: boolean }) =>
      withBackend(async (api) => {
        const op = await withOperationId(api, id, (operationId) => api.resumeOperation(operationId));
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
    .argument('<id>', 'operation id (or a unique prefix of it)')
    .option('--delete <checkpoint>', `delete this checkpoint (an id from the list), or '${DELETE_ALL}' for every one`)
    .option('--json', 'print {items, total} as JSON (with --delete: {operation_id, deleted})')
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
    .action((prefix: string, options: { delete?: string; json?: boolean }) =>
      withBackend(async (api) => {
        if (options.delete !== undefined) {
          const which = options.delete === DELETE_ALL ? undefined : options.delete;
          const { id, deleted } = await withOperationId(api, prefix, async (operationId) => ({ id: operationId, deleted: await api.deleteCheckpoints(operationId, which) }));
          if (options.json) printJson({ operation_id: id, deleted });
          else process.stdout.write(`deleted ${deleted} checkpoint(s) of ${id}\n`);
          return ExitCode.Ok;
        }
        const { id, checkpoints } = await withOperationId(api, prefix, async (operationId) => ({ id: operationId, checkpoints: await api.listCheckpoints(operationId) }));
        if (options.json) printList(checkpoints);
        else process.stdout.write(`${renderCheckpointsTable(id, checkpoints)}\n`);
        return ExitCode.Ok;
      }),
    );
}

const DURATION_UNITS_S: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `30d`, `12h`, `90m`, `45s`, `2w` (or a bare number of days) → seconds. */
export function durationOption(value: string): number {
  const match = /^(\d+)\s*([smhdw]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (DURATION_UNITS_S[match[2] || 'd'] as number) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds > 100 * 365 * 86_400) {
    throw new InvalidArgumentError(`'${value}' is not a duration: a number with s, m, h, d or w (e.g. 30d, 12h), up to 100 years.`);
  }
  return seconds;
}

function pruneCommand(): Command {
  return new Command('prune')
    .description('Delete ended operations (completed, failed, cancelled) with their checkpoints and results; active ones are never deleted')
    .addOption(new Option('--older-than <duration>', 'only those that ended longer ago than this (e.g. 30d, 12h, 90m; default: all)').argParser(durationOption))
    .addOption(new Option('--status <status>', 'only those with this status').choices(TerminalStatus.options))
    .option('--json', 'print {items, total} (the deleted ids) as JSON')
    .action((options: { olderThan?: number; status?: TerminalStatus; json?: boolean }) =>
      withBackend(async (api) => {
        const deleted = await api.pruneOperations({ older_than_seconds: options.olderThan ?? 0, ...(options.status && { status: options.status }) });
        if (options.json) printList(deleted);
        else process.stdout.write(`deleted ${deleted.length} operation(s)${deleted.length > 0 ? `: ${deleted.join(', ')}` : ''}\n`);
        return ExitCode.Ok;
      }),
    );
}

interface ResultsOptions {
  csv?: boolean;
  equity?: boolean;
  json?: boolean;
}

function resultsCommand(): Command {
  return new Command('results')
    .description('The trades of a past backtest (a table, or CSV with --csv), or its equity curve with --equity; times in ISO 8601 UTC')
    .argument('<id>', 'operation id of a backtest (or a unique prefix of it)')
    .option('--csv', 'print CSV (trades: direction,entry_time,entry_price,exit_time,exit_price,units,pnl,return,commission)')
    .option('--equity', 'the equity curve (time,equity) instead of the trades')
    .option('--json', 'print the whole results document as JSON (trades and equity curve)')
    .addHelpText('after', '\nExamples:\n  ktrdr ops results op_backtesting_3f --csv > trades.csv\n  ktrdr ops results op_backtesting_3f --equity --csv > equity.csv')
    .action((prefix: string, options: ResultsOptions) =>
      withBackend(async (api) => {
        const results = await withOperationId(api, prefix, (operationId) => api.getResults(operationId));
        const id = results.operation_id;
        if (options.json) {
          printJson(withIsoTimes(results));
          return ExitCode.Ok;
        }
        const parsed = StoredBacktestResults.safeParse(results.results);
        if (!parsed.success) {
          const why = results.results === null ? `it holds no results (it is ${results.status})` : 'its results are not those of a backtest';
          process.stderr.write(`error: operation ${id} has no trades or equity curve: ${why}\n`);
          return ExitCode.Failure;
        }
        const { trades, equity_curve: equity } = parsed.data;
        if (options.equity) process.stdout.write(options.csv ? equityCsv(equity) : `${renderEquityTable(equity)}\n`);
        else process.stdout.write(options.csv ? tradesCsv(trades) : `${renderTradesTable(trades)}\n`);
        return ExitCode.Ok;
      }),
    );
}

export function opsCommand(): Command {
  return new Command('ops')
    .description('List, inspect, follow, cancel, resume and prune operations; their checkpoints and results')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(watchCommand())
    .addCommand(cancelCommand())
    .addCommand(resumeCommand())
    .addCommand(checkpointsCommand())
    .addCommand(pruneCommand())
    .addCommand(resultsCommand());
}
