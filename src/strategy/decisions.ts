/**
 * What a backtest takes from the strategy a model was trained with: its `decisions` block as a
 * decision function (src/backtest/decision.ts), and whether its outputs are trade signals at all.
 */
import { createDecisionFunction, type DecisionConfig, type DecisionFunction } from '../backtest/decision.js';
import { BacktestError } from '../backtest/errors.js';
import { KtrdrError } from '../common/errors.js';
import type { Strategy } from './schema.js';

/** Label sources whose classes are not BUY / HOLD / SELL: a plain backtest cannot trade them. */
const NON_SIGNAL_LABELS: Readonly<Record<string, string>> = {
  context: 'BULLISH / BEARISH / NEUTRAL',
  regime: 'TRENDING_UP / TRENDING_DOWN / RANGING / VOLATILE',
};

/** The decisions block as the decision function reads it. */
export function decisionConfigOf(strategy: Strategy): DecisionConfig {
  return { ...strategy.decisions };
}

/**
 * Refuses a strategy whose model outputs are not trade signals (STRATEGY-V3 appendix C item 11: the
 * original traded context and regime classes as if they were BUY / HOLD / SELL), naming the label
 * source and its classes. Also validates the decisions block up front.
 */
export function assertBacktestable(strategy: Strategy): void {
  const source = strategy.training.labels.source;
  const classes = NON_SIGNAL_LABELS[source];
  if (classes !== undefined) {
    throw new KtrdrError(
      'VALIDATION_ERROR',
      `strategy '${strategy.name}': training.labels.source '${source}' gives ${classes} classes, which are not trade signals: ` +
        'a plain backtest trades only BUY / HOLD / SELL (zigzag, triple_barrier, forward_return labels) or a regression output',
    );
  }
  decisionFunctionOf(strategy);
}

/** The strategy's decision function; a decisions block the function refuses is a VALIDATION_ERROR naming the key. */
export function decisionFunctionOf(strategy: Strategy): DecisionFunction {
  try {
    return createDecisionFunction(decisionConfigOf(strategy));
  } catch (error) {
    if (error instanceof BacktestError) throw new KtrdrError('VALIDATION_ERROR', `strategy '${strategy.name}': ${error.message}`);
    throw error;
  }
}
