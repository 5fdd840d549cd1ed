/**
 * The buy-and-hold baseline of a backtest: the whole initial capital bought at the first backtested bar's
 * open and sold at the last bar's close, with the backtest's commission and slippage on both fills and
 * fractional units (a benchmark of the market itself, not of a sizing rule). Its equity is marked at the
 * same bars' closes as the strategy's, so every figure covers exactly the same period, computed by the
 * same functions (metrics.ts).
 */
import { BacktestError } from './errors.js';
import { computeMetrics } from './metrics.js';
import type { BuyAndHold } from './types.js';

export interface BaselineInput {
  readonly time: ArrayLike<number>;
  readonly open: ArrayLike<number>;
  readonly close: ArrayLike<number>;
  /** First and last bar of the backtest (inclusive). */
  readonly first: number;
  readonly last: number;
  readonly initialCapital: number;
  readonly commission: number;
  readonly slippage: number;
}

export function buyAndHold(input: BaselineInput): BuyAndHold {
  const { time, open, close, first, last, initialCapital, commission: c, slippage: s } = input;
  if (!(Number.isInteger(first) && Number.isInteger(last) && first >= 0 && last >= first && last < time.length)) {
    throw new BacktestError(`buyAndHold: bars ${first}..${last} are not within the ${time.length} bars given`);
  }
  const entry = (open[first] as number) * (1 + s);
  const units = initialCapital / (entry * (1 + c));
  const exit = (close[last] as number) * (1 - s);
  const n = last - first + 1;
  const equity = new Float64Array(n);
  const times = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    times[k] = time[first + k] as number;
    equity[k] = units * (close[first + k] as number);
  }
  const finalEquity = units * exit * (1 - c);
  equity[n - 1] = finalEquity;
  const m = computeMetrics({ equity, times, trades: [], initialCapital });
  return {
    total_return: m.total_return,
    total_return_pct: m.total_return_pct,
    annualized_return: m.annualized_return,
    volatility: m.volatility,
    sharpe_ratio: m.sharpe_ratio,
    max_drawdown: m.max_drawdown,
    max_drawdown_pct: m.max_drawdown_pct,
    final_equity: finalEquity,
    entry_price: entry,
    exit_price: exit,
    units,
  };
}
