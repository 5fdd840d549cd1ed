/** Shapes shared by the backtest engine, its metrics and its callers (wire names in snake_case). */

/** Class order of the model's output, the same as the zig-zag labels: index 0 BUY, 1 HOLD, 2 SELL. */
export const DECISIONS = ['BUY', 'HOLD', 'SELL'] as const;
export type Decision = (typeof DECISIONS)[number];

export type Direction = 'LONG' | 'SHORT';

/** A closed round trip. Prices are fill prices (slippage included); money figures are in account currency. */
export interface Trade {
  readonly direction: Direction;
  readonly entry_time: number;
  readonly entry_price: number;
  readonly exit_time: number;
  readonly exit_price: number;
  readonly units: number;
  /** Net of both commissions: equity after the exit fill minus equity before the entry fill. */
  readonly pnl: number;
  /** `pnl` over the equity committed at entry (the equity just before the entry fill). */
  readonly return: number;
  /** Entry commission + exit commission. */
  readonly commission: number;
}

export interface EquityPoint {
  readonly time: number;
  readonly equity: number;
}

export interface BacktestMetrics {
  readonly total_return: number;
  readonly annualized_return: number;
  readonly sharpe_ratio: number;
  readonly max_drawdown: number;
  readonly win_rate: number;
  /** Gross profit / gross loss; `null` when there is no losing trade (the ratio is unbounded). */
  readonly profit_factor: number | null;
  readonly total_trades: number;
}
