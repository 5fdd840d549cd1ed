/**
 * Following an operation to its end (`ops watch`, `train/backtest/dummy … --watch`): a live progress view or one
 * JSON line per poll, then the presenter's conclusion. Ctrl-C stops following, not the operation: the CLI says so,
 * how to re-attach and how to cancel, and exits 130 (the shell's code for an interrupt).
 */
import { Option } from 'commander';
import type { OperationRecord } from '../api/contract.js';
import type { BackendApi } from '../client/backend-api.js';
import { integerOption } from './options.js';
import { DEFAULT_OUTPUT, type OutputMode } from './output.js';
import type { OperationPresenter } from './presenters.js';
import { printJsonLine } from './render/json.js';
import { renderOutcomeLine } from './render/operations.js';
import { createProgressView } from './render/progress.js';
import { outcomeExitCode, watchOperation } from './watch-operation.js';

export const DEFAULT_WATCH_INTERVAL_MS = 500;

/** What a shell reports for a process ended by SIGINT (128 + 2); scripts tell an interrupt from a failure by it. */
export const INTERRUPTED_EXIT_CODE = 130;

export const intervalOption = () =>
  new Option('--interval-ms <ms>', 'how often to poll the backend, in milliseconds').argParser(integerOption(10, 3_600_000)).default(DEFAULT_WATCH_INTERVAL_MS);

export interface FollowOptions {
  readonly json?: boolean;
  readonly intervalMs: number;
  readonly presenter?: OperationPresenter;
  readonly output?: OutputMode;
  /** The record already read (by `ops watch`, to learn its type): shown first, not fetched again. */
  readonly initial?: OperationRecord;
}

/** The lines printed on Ctrl-C: the operation is not stopped by it. */
export function interruptedMessage(operationId: string): string {
  return [
    `interrupted: stopped following ${operationId}; the operation goes on in the backend.`,
    `  re-attach: ktrdr ops watch ${operationId}`,
    `  cancel:    ktrdr ops cancel ${operationId}`,
  ].join('\n');
}

/**
 * Follows an operation to its end: a live progress view (unless --no-progress/--quiet), or one JSON line per poll.
 * Returns 0 when it completed, 1 when it failed or was cancelled; on SIGINT the process exits 130.
 */
export async function followOperation(api: BackendApi, operationId: string, options: FollowOptions): Promise<number> {
  const presenter = options.presenter ?? {};
  const output = options.output ?? DEFAULT_OUTPUT;
  const view = options.json || !output.progress ? null : createProgressView(process.stdout, presenter.progressFigures);
  const onInterrupt = () => {
    view?.stop();
    process.stderr.write(`\n${interruptedMessage(operationId)}\n`);
    // A poll may be in flight; nothing of it is worth waiting for.
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const op = await watchOperation(api, operationId, {
      intervalMs: options.intervalMs,
      onUpdate: (update) => (options.json ? printJsonLine(update) : view?.update(update)),
      ...(options.initial && { initial: options.initial }),
    });
    view?.stop();
    if (options.json) {
      const extra = presenter.jsonConclusion ? await presenter.jsonConclusion(op) : undefined;
      if (extra !== undefined) printJsonLine(extra);
    } else {
      const conclusion = presenter.conclusion ? await presenter.conclusion(op) : renderOutcomeLine(op);
      process.stdout.write(`${conclusion}\n`);
    }
    return outcomeExitCode(op);
  } finally {
    view?.stop();
    process.removeListener('SIGINT', onInterrupt);
  }
}
