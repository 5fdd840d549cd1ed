import { createError } from '../common/errors.js';

/** Typed failures of the backtest modules; messages name the input, the value and the rule. */
export class BacktestError extends createError('BacktestError') {}
