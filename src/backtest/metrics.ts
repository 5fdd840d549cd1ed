/**
 * Performance figures of a backtest from its per-bar equity curve and its closed trades.
 *
 * Conventions:
 * - The curve holds one equity value per bar, after that bar's fills, marked at its close. The
 *   initial capital is the value "before bar 0": the first per-bar return is equity[0] / initial - 1,
 *   so a curve of N bars gives N returns and the annualisation counts N bars.
 * - annualized_return = (1 + total_return)^(barsPerYear / N) - 1 (geometric); -1 when the account is
 *   wiped out (1 + total_return <= 0).
 * - sharpe_ratio = mean / std of the per-bar returns × sqrt(barsPerYear), risk-free rate 0, std with
 *   the sample (N - 1) denominator; 0 when there are fewer than two returns or the std is 0.
 *   A bar following a non-positive equity (a ruined account, possible only with a short) has return 0.
 * - max_drawdown = max over bars of (running peak - equity) / running peak, a positive fraction;
 *   the running peak starts at the initial capital. It can exceed 1 if a short drives equity below 0.
 * - win_rate = trades with pnl > 0 / total_trades (0 without trades).
 * - profit_factor = sum of winning pnl / |sum of losing pnl|; `null` when no trade lost money
 *   (including no trades at all): an unbounded ratio has no JSON number, and `null` says so plainly.
 */
import { BacktestError } from './errors.js';
import type { BacktestMetrics, Trade } from './types.js';

export interface MetricsInput {
  /** Equity after each bar (length = number of bars). */
  readonly equity: ArrayLike<number>;
  readonly trades: readonly Trade[];
  readonly initialCapital: number;
  readonly barsPerYear: number;
}

export function totalReturn(equity: ArrayLike<number>, initialCapital: number): number {
  if (equity.length === 0) return 0;
  return (equity[equity.length - 1] as number) / initialCapital - 1;
}

export function annualizedReturn(total: number, bars: number, barsPerYear: number): number {
  if (bars === 0) return 0;
  const growth = 1 + total;
  if (growth <= 0) return -1;
  return Math.pow(growth, barsPerYear / bars) - 1;
}

export function sharpeRatio(equity: ArrayLike<number>, initialCapital: number, barsPerYear: number): number {
  const n = equity.length;
  if (n < 2) return 0;
  // Two passes (mean, then squared deviations): exact enough and free of the cancellation of sum-of-squares.
  let sum = 0;
  let previous = initialCapital;
  for (let i = 0; i < n; i++) {
    const current = equity[i] as number;
    sum += previous > 0 ? current / previous - 1 : 0;
    previous = current;
  }
  const mean = sum / n;
  let squares = 0;
  previous = initialCapital;
  for (let i = 0; i < n; i++) {
    const current = equity[i] as number;
    const deviation = (previous > 0 ? current / previous - 1 : 0) - mean;
    squares += deviation * deviation;
    previous = current;
  }
  const std = Math.sqrt(squares / (n - 1));
  if (!(std > 0)) return 0;
  return (mean / std) * Math.sqrt(barsPerYear);
}

export function maxDrawdown(equity: ArrayLike<number>, initialCapital: number): number {
  let peak = initialCapital;
  let worst = 0;
  for (let i = 0; i < equity.length; i++) {
    const value = equity[i] as number;
    if (value > peak) peak = value;
    else if (peak > 0) {
      const drawdown = (peak - value) / peak;
      if (drawdown > worst) worst = drawdown;
    }
  }
  return worst;
}

export function winRate(trades: readonly Trade[]): number {
  if (trades.length === 0) return 0;
  let wins = 0;
  for (const trade of trades) if (trade.pnl > 0) wins++;
  return wins / trades.length;
}

export function profitFactor(trades: readonly Trade[]): number | null {
  let grossProfit = 0;
  let grossLoss = 0;
  for (const trade of trades) {
    if (trade.pnl > 0) grossProfit += trade.pnl;
    else if (trade.pnl < 0) grossLoss -= trade.pnl;
  }
  return grossLoss > 0 ? grossProfit / grossLoss : null;
}

export function computeMetrics(input: MetricsInput): BacktestMetrics {
  const { equity, trades, initialCapital, barsPerYear } = input;
  if (!(initialCapital > 0)) throw new BacktestError(`initialCapital: ${initialCapital} must be a positive number`);
  if (!(barsPerYear > 0)) throw new BacktestError(`barsPerYear: ${barsPerYear} must be a positive number`);
  const total = totalReturn(equity, initialCapital);
  return {
    total_return: total,
    annualized_return: annualizedReturn(total, equity.length, barsPerYear),
    sharpe_ratio: sharpeRatio(equity, initialCapital, barsPerYear),
    max_drawdown: maxDrawdown(equity, initialCapital),
    win_rate: winRate(trades),
    profit_factor: profitFactor(trades),
    total_trades: trades.length,
  };
}
