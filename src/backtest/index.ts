/** Public surface of the backtest modules. */
export { BacktestEngine, type AccountState, type BacktestResult } from './engine.js';
export { decide } from './decide.js';
export { BacktestError } from './errors.js';
export {
  annualizedReturn,
  computeMetrics,
  maxDrawdown,
  profitFactor,
  sharpeRatio,
  totalReturn,
  winRate,
  type MetricsInput,
} from './metrics.js';
export { BACKTEST_DEFAULTS, BacktestOptionsSchema, parseBacktestOptions, type BacktestOptions, type BacktestOptionsInput } from './options.js';
export { BACKTEST_SNAPSHOT_FORMAT, BacktestSnapshotSchema, type BacktestSnapshot, type OpenPosition } from './snapshot.js';
export { DECISIONS, type BacktestMetrics, type Decision, type Direction, type EquityPoint, type Trade } from './types.js';
