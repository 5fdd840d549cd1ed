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

const Metric = z.number().nullish();

/** Buying at the first bar's open and selling at the last bar's close, beside every backtest. */
const BuyAndHoldSummary = z.looseObject({
  total_return: Metric,
  total_return_pct: Metric,
  annualized_return: Metric,
  sharpe_ratio: Metric,
  max_drawdown_pct: Metric,
  final_equity: Metric,
});

/**
 * Every metric may be null (undefined for the run: no trade, no loser, one bar…). `total_return` is
 * money and `total_return_pct` the fraction; a summary of an earlier backend has only `total_return`,
 * as a fraction, and `max_drawdown` as a fraction.
 */
export const BacktestResultSummary = z.looseObject({
  total_return: Metric,
  total_return_pct: Metric,
  annualized_return: Metric,
  volatility: Metric,
  sharpe_ratio: Metric,
  sortino_ratio: Metric,
  max_drawdown: Metric,
  max_drawdown_pct: Metric,
  calmar_ratio: Metric,
  win_rate: Metric,
  /** null when no trade lost money: the ratio is unbounded. */
  profit_factor: Metric,
  total_trades: z.number().int(),
  winning_trades: Metric,
  losing_trades: Metric,
  avg_win: Metric,
  avg_loss: Metric,
  avg_holding_period: Metric,
  initial_capital: Figure,
  final_equity: Figure,
  buy_and_hold: BuyAndHoldSummary.nullish(),
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
  if (typeof summary.profit_factor === 'number') return summary.profit_factor.toFixed(2);
  return summary.total_trades === 0 || !summary.winning_trades ? '-' : 'unbounded (no losing trade)';
}

const optionalMoney = (value: number | null | undefined) => (typeof value === 'number' ? formatMoney(value) : '-');
const optionalFraction = (value: number | null | undefined, digits: number) => (typeof value === 'number' ? formatFraction(value, digits) : '-');
const optionalRatio = (value: number | null | undefined) => (typeof value === 'number' ? value.toFixed(2) : '-');

/** The return as a fraction: `total_return_pct`, or an earlier backend's `total_return` (a fraction then). */
const returnFraction = (figures: { total_return?: number | null; total_return_pct?: number | null }) =>
  'total_return_pct' in figures ? figures.total_return_pct : figures.total_return;
const drawdownFraction = (figures: { max_drawdown?: number | null; max_drawdown_pct?: number | null }) =>
  'max_drawdown_pct' in figures ? figures.max_drawdown_pct : figures.max_drawdown;

/** The performance figures of a completed backtest, with the buy-and-hold baseline of the same bars when the summary has one. */
export function renderBacktestMetrics(summary: BacktestResultSummary): string {
  const fields: [string, string][] = [];
  if (summary.model_id) fields.push(['model', summary.model_id]);
  if (summary.start !== undefined && summary.start !== null) {
    fields.push(['period', `${formatInstant(summary.start)} to ${formatInstant(summary.end)}`]);
  }
  const baseline = summary.buy_and_hold ?? null;
  const beside = (text: string, baselineText: string | null) => (baseline === null || baselineText === null ? text : `${text.padEnd(10)}  buy and hold ${baselineText}`);
  const withTrades = (text: string) => (typeof summary.winning_trades === 'number' && typeof summary.losing_trades === 'number' ? `${text} (${summary.winning_trades} won, ${summary.losing_trades} lost)` : text);
  fields.push(
    ['total return', beside(optionalFraction(returnFraction(summary), 2), baseline && optionalFraction(returnFraction(baseline), 2))],
    ['annualised return', beside(optionalFraction(summary.annualized_return, 2), baseline && optionalFraction(baseline.annualized_return, 2))],
    ['sharpe ratio', beside(optionalRatio(summary.sharpe_ratio), baseline && optionalRatio(baseline.sharpe_ratio))],
  );
  if ('sortino_ratio' in summary) fields.push(['sortino ratio', optionalRatio(summary.sortino_ratio)]);
  fields.push(['max drawdown', beside(optionalFraction(drawdownFraction(summary), 2), baseline && optionalFraction(drawdownFraction(baseline), 2))]);
  fields.push(['win rate', optionalFraction(summary.win_rate, 1)], ['profit factor', profitFactorText(summary)], ['trades', withTrades(String(summary.total_trades))]);
  if (typeof summary.avg_holding_period === 'number') fields.push(['avg holding', `${summary.avg_holding_period.toFixed(1)} h`]);
  fields.push(['initial capital', optionalMoney(summary.initial_capital)], ['final equity', beside(optionalMoney(summary.final_equity), baseline && optionalMoney(baseline.final_equity))]);
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
