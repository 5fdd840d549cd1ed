/**
 * How a backtesting operation reads: its progress line (equity and trades so far),
 * its performance figures once it completed, and its trades (from the results route).
 *
 * Fractions on the wire (total_return 0.0123) are shown as percentages; figures are
 * parsed leniently, and a summary without the expected shape falls back to the
 * generic outcome line.
 */
import { z } from 'zod';
import type { OperationRecord } from '../../api/contract.js';
import { formatFraction, formatInstant, formatMoney, formatQuantity } from './format.js';
import { renderOutcomeLine } from './operations.js';
import { contextFigures } from './progress.js';
import { renderFields, renderTable, type Column } from './table.js';

const Figure = z.number().nullish();

const BacktestContext = z.looseObject({
  bars: Figure,
  bars_total: Figure,
  equity: Figure,
  trades: Figure,
});

const Instant = z.union([z.string(), z.number()]).nullish();

export const BacktestResultSummary = z.looseObject({
  total_return: z.number(),
  annualized_return: z.number(),
  sharpe_ratio: z.number(),
  max_drawdown: z.number(),
  win_rate: z.number(),
  /** null when no trade lost money: the ratio is unbounded. */
  profit_factor: z.number().nullable(),
  total_trades: z.number().int(),
  initial_capital: Figure,
  final_equity: Figure,
  start: Instant,
  end: Instant,
  model_id: z.string().nullish(),
});
export type BacktestResultSummary = z.infer<typeof BacktestResultSummary>;

export const BacktestTrade = z.looseObject({
  direction: z.string(),
  entry_time: z.union([z.number(), z.string()]),
  entry_price: z.number(),
  exit_time: z.union([z.number(), z.string()]),
  exit_price: z.number(),
  units: z.number(),
  pnl: z.number(),
  return: z.number(),
  commission: z.number().optional(),
});
export type BacktestTrade = z.infer<typeof BacktestTrade>;

/** The `results` of GET /operations/{id}/results for a backtest. */
export const BacktestResults = z.looseObject({ trades: z.array(BacktestTrade) });

/** `equity=101,234.56 trades=12` (the step already says `Bar 12000/50000`). */
export function backtestProgressFigures(op: OperationRecord): string {
  const parsed = BacktestContext.safeParse(op.progress.context);
  // A context of another shape (another worker version) is still worth showing, the generic way.
  if (!parsed.success) return contextFigures(op);
  const context = parsed.data;
  const parts: string[] = [];
  if (!op.progress.current_step && typeof context.bars === 'number' && typeof context.bars_total === 'number') {
    parts.push(`bars=${context.bars}/${context.bars_total}`);
  }
  if (typeof context.equity === 'number') parts.push(`equity=${formatMoney(context.equity)}`);
  if (typeof context.trades === 'number') parts.push(`trades=${context.trades}`);
  return parts.join(' ');
}

function profitFactorText(summary: BacktestResultSummary): string {
  if (summary.profit_factor !== null) return summary.profit_factor.toFixed(2);
  return summary.total_trades === 0 ? '-' : 'unbounded (no losing trade)';
}

const optionalMoney = (value: number | null | undefined) => (typeof value === 'number' ? formatMoney(value) : '-');

/** The performance figures of a completed backtest. */
export function renderBacktestMetrics(summary: BacktestResultSummary): string {
  const fields: [string, string][] = [];
  if (summary.model_id) fields.push(['model', summary.model_id]);
  if (summary.start !== undefined && summary.start !== null) {
    fields.push(['period', `${formatInstant(summary.start)} to ${formatInstant(summary.end)}`]);
  }
  fields.push(
    ['total return', formatFraction(summary.total_return, 2)],
    ['annualised return', formatFraction(summary.annualized_return, 2)],
    ['sharpe ratio', summary.sharpe_ratio.toFixed(2)],
    ['max drawdown', formatFraction(summary.max_drawdown, 2)],
    ['win rate', formatFraction(summary.win_rate, 1)],
    ['profit factor', profitFactorText(summary)],
    ['trades', String(summary.total_trades)],
    ['initial capital', optionalMoney(summary.initial_capital)],
    ['final equity', optionalMoney(summary.final_equity)],
  );
  return renderFields(fields);
}

/** One row per closed round trip. */
export function renderTradesTable(trades: readonly BacktestTrade[]): string {
  if (trades.length === 0) return 'no trades';
  const columns: Column<[number, BacktestTrade]>[] = [
    { header: '#', value: ([index]) => String(index + 1), align: 'right' },
    { header: 'side', value: ([, trade]) => trade.direction },
    { header: 'entry', value: ([, trade]) => formatInstant(trade.entry_time) },
    { header: 'entry price', value: ([, trade]) => formatQuantity(trade.entry_price), align: 'right' },
    { header: 'exit', value: ([, trade]) => formatInstant(trade.exit_time) },
    { header: 'exit price', value: ([, trade]) => formatQuantity(trade.exit_price), align: 'right' },
    { header: 'units', value: ([, trade]) => formatQuantity(trade.units), align: 'right' },
    { header: 'pnl', value: ([, trade]) => formatMoney(trade.pnl), align: 'right' },
    { header: 'return', value: ([, trade]) => formatFraction(trade.return, 2), align: 'right' },
  ];
  return renderTable(
    columns,
    trades.map((trade, index) => [index, trade] as [number, BacktestTrade]),
  );
}

/**
 * What `ktrdr backtest --watch` prints once the operation ended: the outcome and
 * (when it completed) the figures, then the trades when they were asked for.
 */
export function renderBacktestConclusion(op: OperationRecord, trades?: readonly BacktestTrade[] | null): string {
  const parsed = op.status === 'completed' ? BacktestResultSummary.safeParse(op.result_summary) : null;
  const head = parsed?.success ? [`backtest ${op.operation_id} completed`, '', renderBacktestMetrics(parsed.data)] : [renderOutcomeLine(op)];
  if (trades === undefined) return head.join('\n');
  const tradesText = trades === null ? 'no trades available (the backend has no results for this operation)' : renderTradesTable(trades);
  return [...head, '', tradesText].join('\n');
}
