/** Public surface of the backtest modules. */
export { buyAndHold, type BaselineInput } from './baseline.js';
export {
  createDecisionFunction,
  DecisionConfigSchema,
  toProbabilities,
  type DecisionConfig,
  type DecisionFunction,
  type DecisionOutcome,
  type DecisionState,
  type HoldReason,
} from './decision.js';
export { BacktestEngine, isoTime, wireTrade, type AccountState, type BacktestResult, type EngineBar } from './engine.js';
export { BacktestError } from './errors.js';
export { runBarLoop, type BarLoopInput, type Predictor } from './loop.js';
export { annualizedReturn, computeMetrics, maxDrawdown, meanStd, perBarReturns, riskFigures, tradeFigures, yearsCovered, YEAR_MS, type MetricsInput } from './metrics.js';
export { BACKTEST_DEFAULTS, BacktestOptionsSchema, parseBacktestOptions, type BacktestOptions, type BacktestOptionsInput } from './options.js';
export { BACKTEST_SNAPSHOT_FORMAT, BacktestSnapshotSchema, type BacktestSnapshot, type OpenPosition } from './snapshot.js';
export { DECISIONS, type BacktestMetrics, type BuyAndHold, type Decision, type Direction, type EquityPoint, type Trade, type WireTrade } from './types.js';
