/**
 * How each kind of operation is shown while it is followed and once it ended, chosen by its type, so that
 * `ops watch ID` renders a training or a backtest as `train --watch` and `backtest --watch` do.
 */
import type { OperationRecord, OperationType } from '../api/contract.js';
import type { BackendApi } from '../client/backend-api.js';
import { backtestProgressFigures, BacktestResults, renderBacktestConclusion, type BacktestTrade } from './render/backtest.js';
import type { ProgressFigures } from './render/progress.js';
import { withIsoTimes } from './render/results.js';
import { renderTrainingConclusion, trainingProgressFigures } from './render/training.js';

/**
 * How one kind of operation is shown while it is followed. Every part is optional:
 * without them an operation is shown the generic way (the dummy).
 */
export interface OperationPresenter {
  /** The figures after the step on the progress line (default: every figure of the progress context). */
  readonly progressFigures?: ProgressFigures;
  /** What is printed for people once it ended (default: the outcome line). */
  readonly conclusion?: (op: OperationRecord) => string | Promise<string>;
  /** One more JSON line printed once it ended, after the final record (default: none). */
  readonly jsonConclusion?: (op: OperationRecord) => Promise<unknown>;
}

export const trainingPresenter: OperationPresenter = {
  progressFigures: trainingProgressFigures,
  conclusion: renderTrainingConclusion,
};

/** The trades of a finished backtest, or null when the backend holds none in the expected shape. */
async function fetchTrades(api: BackendApi, op: OperationRecord): Promise<BacktestTrade[] | null> {
  const results = await api.getResults(op.operation_id);
  const parsed = BacktestResults.safeParse(results.results);
  return parsed.success ? parsed.data.trades : null;
}

export function backtestPresenter(api: BackendApi, withTrades: boolean): OperationPresenter {
  return {
    progressFigures: backtestProgressFigures,
    conclusion: async (op) => renderBacktestConclusion(op, withTrades && op.status === 'completed' ? await fetchTrades(api, op) : undefined),
    // For scripts the whole results document (trades and equity curve), with ISO times as every JSON of the CLI.
    ...(withTrades && { jsonConclusion: async (op: OperationRecord) => (op.status === 'completed' ? withIsoTimes(await api.getResults(op.operation_id)) : undefined) }),
  };
}

/** The presenter of an operation type (the dummy and unknown types: the generic view). */
export function presenterFor(api: BackendApi, type: OperationType): OperationPresenter {
  if (type === 'training') return trainingPresenter;
  if (type === 'backtesting') return backtestPresenter(api, false);
  return {};
}
