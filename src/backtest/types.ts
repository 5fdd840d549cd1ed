/** Shapes shared by the backtest engine, its metrics and its callers (wire names in snake_case). */

/** Class order of a classification model's output, the same as the zig-zag labels: index 0 BUY, 1 HOLD, 2 SELL. */
export const DECISIONS = ['BUY', 'HOLD', 'SELL'] as const;
export type Decision = (typeof DECISIONS)[number];

export type Direction = 'LONG' | 'SHORT';

/**
 * A closed round trip, as the engine keeps it (times in ms UTC: the open times of the bars whose open
 * filled the entry and the exit; the force-close at the end is at the last bar's close, and carries
 * that bar's time). Prices are fill prices, slippage included.
 */
export interface Trade {
  readonly direction: Direction;
  readonly entry_time: number;
  readonly entry_price: number;
  readonly exit_time: number;
  readonly exit_price: number;
  readonly units: number;
  /** (exit − entry) × units for a long, (entry − exit) × units for a short. */
  readonly gross_pnl: number;
  /** gross_pnl minus both commissions: what the round trip added to the account. */
  readonly pnl: number;
  /** pnl over the entry notional (entry price × units). */
  readonly return: number;
  /** Entry commission + exit commission. */
  readonly commission: number;
  /** Hours from the entry fill to the exit fill. */
  readonly holding_hours: number;
  /** Largest unrealised P&L seen at a bar's close while open (before costs). */
  readonly max_favorable_excursion: number;
  /** Smallest unrealised P&L seen at a bar's close while open (before costs). */
  readonly max_adverse_excursion: number;
  /** Whether the end of the backtest closed it (force-close) rather than a signal. */
  readonly forced: boolean;
}

/** A trade on the wire: the same figures, times as ISO strings. */
export type WireTrade = Omit<Trade, 'entry_time' | 'exit_time'> & { readonly entry_time: string; readonly exit_time: string };

export interface EquityPoint {
  /** ISO time of the bar whose close marks it. */
  readonly time: string;
  readonly equity: number;
}

/**
 * Performance figures (docs/architecture.md §6.4, STRATEGY-V3 9.4 with the corrections listed there).
 * Fractions are fractions (0.05 = 5 %); money in account currency; every figure that is undefined
 * for the run (no trade, no loss, fewer than two returns, …) is null, never 0 or NaN.
 */
export interface BacktestMetrics {
  /** Final equity − initial capital (after the force-close). */
  readonly total_return: number | null;
  readonly total_return_pct: number | null;
  readonly annualized_return: number | null;
  readonly volatility: number | null;
  readonly sharpe_ratio: number | null;
  readonly sortino_ratio: number | null;
  /** Largest fall from a running peak, in money. */
  readonly max_drawdown: number | null;
  /** Largest fall from a running peak, as a fraction of that peak. */
  readonly max_drawdown_pct: number | null;
  readonly calmar_ratio: number | null;
  readonly recovery_factor: number | null;
  readonly total_trades: number;
  readonly winning_trades: number;
  readonly losing_trades: number;
  readonly win_rate: number | null;
  readonly profit_factor: number | null;
  readonly avg_win: number | null;
  readonly avg_loss: number | null;
  readonly largest_win: number | null;
  readonly largest_loss: number | null;
  /** Hours. */
  readonly avg_holding_period: number | null;
  readonly avg_win_holding_period: number | null;
  readonly avg_loss_holding_period: number | null;
  /** Calendar years the bars cover (first bar's open to last bar's close), the base of every annualisation. */
  readonly years: number | null;
  /** Bars per calendar year of these bars: the annualisation factor of volatility, Sharpe and Sortino. */
  readonly periods_per_year: number | null;
}

/** Buying at the first bar's open with the whole capital and selling at the last bar's close, costs included. */
export interface BuyAndHold {
  readonly total_return: number | null;
  readonly total_return_pct: number | null;
  readonly annualized_return: number | null;
  readonly volatility: number | null;
  readonly sharpe_ratio: number | null;
  readonly max_drawdown: number | null;
  readonly max_drawdown_pct: number | null;
  readonly final_equity: number;
  readonly entry_price: number;
  readonly exit_price: number;
  readonly units: number;
}
