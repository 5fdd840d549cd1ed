/** The training and backtest renderers on the cases the CLI process tests do not reach: missing and odd figures. */
import { describe, expect, it } from 'vitest';
import { emptyProgress } from '../../src/api/contract.js';
import { backtestProgressFigures, renderBacktestConclusion, renderBacktestMetrics } from '../../src/cli/render/backtest.js';
import { renderTrainingConclusion, trainingProgressFigures } from '../../src/cli/render/training.js';
import { BACKTEST_SUMMARY, EARLIER_BACKTEST_SUMMARY, operationRecord, TRAINING_SUMMARY } from './helpers/stub-backend.js';

const withContext = (context: Record<string, unknown>, step: string | null = null) =>
  operationRecord({ status: 'running', progress: { ...emptyProgress(), current_step: step, context } });

describe('training progress figures', () => {
  it('shows the epoch from the context while the step is not set yet, and no null figure', () => {
    expect(trainingProgressFigures(withContext({ epoch: 0, epochs: 40, loss: null, resumed_from_epoch: null }))).toBe('epoch=0/40');
  });

  it('falls back to every figure as key=value for a context of another shape', () => {
    expect(trainingProgressFigures(withContext({ loss: 'n/a', epoch: 2 }, 'Epoch 2/9'))).toBe('loss=n/a epoch=2');
  });
});

describe('training conclusion', () => {
  it('is the outcome line when the result summary lacks the test metrics', () => {
    const op = operationRecord({ operation_id: 'op_t', operation_type: 'training', status: 'completed', result_summary: { model_id: 'm1' } });
    expect(renderTrainingConclusion(op)).toBe('operation op_t completed: model_id=m1');
  });

  it('leaves out what an older summary does not hold (epochs, resume)', () => {
    const { epochs_trained: _trained, best_epoch: _best, resumed_from_epoch: _resumed, ...summary } = TRAINING_SUMMARY;
    const op = operationRecord({ operation_id: 'op_t', operation_type: 'training', status: 'completed', result_summary: summary });
    const text = renderTrainingConclusion(op);
    expect(text).toContain('epochs         -\nresumed from   -\n');
  });
});

describe('backtest figures', () => {
  it('says the profit factor is unbounded when no trade lost, and "-" without trades', () => {
    expect(renderBacktestMetrics({ ...BACKTEST_SUMMARY, profit_factor: null, losing_trades: 0 })).toContain('profit factor      unbounded (no losing trade)');
    expect(renderBacktestMetrics({ ...BACKTEST_SUMMARY, profit_factor: null, total_trades: 0, winning_trades: 0, losing_trades: 0 })).toMatch(/profit factor {6}-\n/);
  });

  it('shows an undefined figure (null) as "-", and a summary of an earlier backend (fractions, no baseline) as before', () => {
    const text = renderBacktestMetrics({ ...BACKTEST_SUMMARY, sharpe_ratio: null, win_rate: null, annualized_return: null, buy_and_hold: null });
    expect(text).toContain('sharpe ratio       -\n');
    expect(text).toContain('win rate           -\n');
    expect(text).toContain('annualised return  -\n');
    expect(text).not.toContain('buy and hold');
    const earlier = renderBacktestMetrics(EARLIER_BACKTEST_SUMMARY);
    expect(earlier).toContain('total return       12.35%\n');
    expect(earlier).toContain('max drawdown       8.76%\n');
    expect(earlier).toContain('trades             16\n');
  });

  it('reads instants given as ms since the epoch as well as ISO strings', () => {
    const text = renderBacktestMetrics({ ...BACKTEST_SUMMARY, start: Date.UTC(2024, 0, 2, 3, 4), end: '2024-02-01T00:00:00Z' });
    expect(text).toContain('period             2024-01-02 03:04 to 2024-02-01 00:00');
  });

  it('says when the backend holds no trades for a completed backtest', () => {
    const op = operationRecord({ operation_id: 'op_b', operation_type: 'backtesting', status: 'completed', result_summary: BACKTEST_SUMMARY });
    expect(renderBacktestConclusion(op, null).split('\n').at(-1)).toBe('no trades available (the backend has no results for this operation)');
    expect(renderBacktestConclusion(op, []).split('\n').at(-1)).toBe('no trades');
  });

  it('progress shows bars from the context while the step is not set yet', () => {
    expect(backtestProgressFigures(withContext({ bars: 10, bars_total: 200, equity: 99_999.5, trades: 0 }))).toBe('bars=10/200 equity=99,999.50 trades=0');
  });
});
