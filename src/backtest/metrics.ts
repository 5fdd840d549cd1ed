/**
 * Performance figures of a backtest from its per-bar equity curve, the bars' times and the closed trades
 * (STRATEGY-V3 9.4, with the corrections documented in docs/architecture.md §6.4).
 *
 * Conventions:
 * - The curve holds one equity value per bar, marked at that bar's close; the last value is after the
 *   force-close (its costs included). The initial capital is the value before the first bar, so N bars
 *   give N per-bar returns r_j = E_j / E_{j−1} − 1 (a return after a non-positive equity is 0).
 * - Calendar time, not a 24/7 bar count, annualises: the bars cover from the first bar's open to the last
 *   bar's close, the last bar's length taken as the mean spacing of the bars, i.e.
 *   years = (t_last − t_first) × N / (N − 1) / 365.25 days. A weekday-only hourly series thus has about
 *   6,240 bars a year, not 8,760. `periods_per_year` = N / years.
 * - annualized_return = (E_N / initial)^(1 / years) − 1 (−1 once the account is gone).
 * - volatility = std(r) × √periods_per_year; sharpe = mean(r) / std(r) × √periods_per_year (risk-free 0);
 *   sortino = mean(r) / std(r⁻) × √periods_per_year, r⁻ the negative returns, std about their own mean.
 *   Standard deviations are population ones (divide by the count), as the original's.
 * - max_drawdown_pct = max over bars of (running peak − E_j) / running peak, the peak starting at the
 *   initial capital; max_drawdown = the largest such fall in money (the original multiplies the
 *   fraction by the final peak instead, which is no fall that happened).
 * - Every figure that the run leaves undefined is null: no bars or one bar (no calendar span), fewer than
 *   two returns, a zero standard deviation, no trade, no winner, no loser, no drawdown for a ratio over it.
 */
import { BacktestError } from './errors.js';
import type { BacktestMetrics, Trade } from './types.js';

export const YEAR_MS = 365.25 * 24 * 3_600_000;
/** Below this a standard deviation counts as zero (ratios over it are undefined). */
const STD_EPSILON = 1e-10;

export interface MetricsInput {
  /** Equity after each bar (length = number of bars). */
  readonly equity: ArrayLike<number>;
  /** The bars' open times (ms UTC), same length as `equity`. */
  readonly times: ArrayLike<number>;
  readonly trades: readonly Trade[];
  readonly initialCapital: number;
}

/** A finite number, or null. */
const finiteOrNull = (value: number | null): number | null => (value !== null && Number.isFinite(value) ? value : null);

/** Calendar years from the first bar's open to the last bar's close; null for fewer than two bars. */
export function yearsCovered(times: ArrayLike<number>): number | null {
  const n = times.length;
  if (n < 2) return null;
  const span = (times[n - 1] as number) - (times[0] as number);
  if (!(span > 0)) return null;
  return (span * n) / (n - 1) / YEAR_MS;
}

/** Per-bar returns, the first from the initial capital. */
export function perBarReturns(equity: ArrayLike<number>, initialCapital: number): Float64Array {
  const returns = new Float64Array(equity.length);
  let previous = initialCapital;
  for (let i = 0; i < equity.length; i++) {
    const current = equity[i] as number;
    returns[i] = previous > 0 ? current / previous - 1 : 0;
    previous = current;
  }
  return returns;
}

/** Population mean and standard deviation (two passes, free of the cancellation of sum-of-squares). */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    squares += d * d;
  }
  return { mean, std: Math.sqrt(squares / n) };
}

export function annualizedReturn(finalEquity: number, initialCapital: number, years: number | null): number | null {
  if (years === null) return null;
  const growth = finalEquity / initialCapital;
  if (growth <= 0) return -1;
  return finiteOrNull(Math.pow(growth, 1 / years) - 1);
}

export interface Drawdown {
  /** Fraction of the running peak. */
  readonly pct: number;
  /** Money. */
  readonly amount: number;
}

export function maxDrawdown(equity: ArrayLike<number>, initialCapital: number): Drawdown {
  let peak = initialCapital;
  let pct = 0;
  let amount = 0;
  for (let i = 0; i < equity.length; i++) {
    const value = equity[i] as number;
    if (value > peak) peak = value;
    else if (peak > 0) {
      pct = Math.max(pct, (peak - value) / peak);
      amount = Math.max(amount, peak - value);
    }
  }
  return { pct, amount };
}

/** Volatility, Sharpe and Sortino of per-bar returns annualised by `periodsPerYear`; null where undefined. */
export function riskFigures(returns: Float64Array, periodsPerYear: number | null): { volatility: number | null; sharpe: number | null; sortino: number | null } {
  if (returns.length < 2 || periodsPerYear === null) return { volatility: null, sharpe: null, sortino: null };
  const scale = Math.sqrt(periodsPerYear);
  const { mean, std } = meanStd(returns);
  const negatives = returns.filter((r) => r < 0);
  const downside = negatives.length >= 2 ? meanStd(negatives).std : 0;
  return {
    volatility: finiteOrNull(std * scale),
    sharpe: std > STD_EPSILON ? finiteOrNull((mean / std) * scale) : null,
    sortino: downside > STD_EPSILON ? finiteOrNull((mean / downside) * scale) : null,
  };
}

const mean = (values: readonly number[]): number | null => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);

export function tradeFigures(trades: readonly Trade[]) {
  const winners = trades.filter((t) => t.pnl > 0);
  const losers = trades.filter((t) => t.pnl < 0);
  const grossProfit = winners.reduce((sum, t) => sum + t.pnl, 0);
  const grossLoss = -losers.reduce((sum, t) => sum + t.pnl, 0);
  return {
    total_trades: trades.length,
    winning_trades: winners.length,
    losing_trades: losers.length,
    win_rate: trades.length === 0 ? null : winners.length / trades.length,
    // No loser: unbounded (or, without winners either, undefined) — null both ways, the renderer tells them apart.
    profit_factor: grossLoss > 0 ? grossProfit / grossLoss : null,
    avg_win: mean(winners.map((t) => t.pnl)),
    avg_loss: mean(losers.map((t) => t.pnl)),
    largest_win: winners.length === 0 ? null : Math.max(...winners.map((t) => t.pnl)),
    largest_loss: losers.length === 0 ? null : Math.min(...losers.map((t) => t.pnl)),
    avg_holding_period: mean(trades.map((t) => t.holding_hours)),
    avg_win_holding_period: mean(winners.map((t) => t.holding_hours)),
    avg_loss_holding_period: mean(losers.map((t) => t.holding_hours)),
  };
}

export function computeMetrics(input: MetricsInput): BacktestMetrics {
  const { equity, times, trades, initialCapital } = input;
  if (!(initialCapital > 0)) throw new BacktestError(`initialCapital: ${initialCapital} must be a positive number`);
  if (times.length !== equity.length) throw new BacktestError(`times: ${times.length} values for ${equity.length} equity values (one per bar)`);
  const n = equity.length;
  const years = yearsCovered(times);
  const periodsPerYear = years === null ? null : n / years;
  const final = n === 0 ? null : (equity[n - 1] as number);
  const total = final === null ? null : final - initialCapital;
  const annualized = final === null ? null : annualizedReturn(final, initialCapital, years);
  const risk = riskFigures(perBarReturns(equity, initialCapital), periodsPerYear);
  const drawdown = n === 0 ? null : maxDrawdown(equity, initialCapital);
  return {
    total_return: total,
    total_return_pct: total === null ? null : total / initialCapital,
    annualized_return: annualized,
    volatility: risk.volatility,
    sharpe_ratio: risk.sharpe,
    sortino_ratio: risk.sortino,
    max_drawdown: drawdown === null ? null : drawdown.amount,
    max_drawdown_pct: drawdown === null ? null : drawdown.pct,
    calmar_ratio: annualized !== null && drawdown !== null && drawdown.pct > 0 ? finiteOrNull(annualized / drawdown.pct) : null,
    recovery_factor: total !== null && drawdown !== null && drawdown.amount > 0 ? finiteOrNull(total / drawdown.amount) : null,
    ...tradeFigures(trades),
    years,
    periods_per_year: periodsPerYear,
  };
}
