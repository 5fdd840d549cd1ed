/**
 * `ops results ID`: the trades and equity curve of a past backtest, as tables, CSV or JSON. Times are ISO 8601
 * (UTC) in every form, whichever way the worker that ran it wrote them (older workers: ms since the epoch).
 */
import { z } from 'zod';
import { formatMoney } from './format.js';
import { renderTable } from './table.js';
import { BacktestTrade, renderTradesTable } from './backtest.js';

export const EquityPoint = z.looseObject({ time: z.union([z.number(), z.string()]), equity: z.number() });
export type EquityPoint = z.infer<typeof EquityPoint>;

export const StoredBacktestResults = z.looseObject({ trades: z.array(BacktestTrade), equity_curve: z.array(EquityPoint).default([]) });
export type StoredBacktestResults = z.infer<typeof StoredBacktestResults>;

/** An instant as ISO 8601 UTC: ms since the epoch are converted, strings are kept. */
export function isoInstant(value: number | string): string {
  return typeof value === 'number' ? new Date(value).toISOString() : value;
}

const TIME_KEY = /(^|_)(time|at)$/;

/** A copy of a JSON value where every number under a `…time`/`…_at` key is an ISO string. */
export function withIsoTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withIsoTimes);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, TIME_KEY.test(key) && typeof inner === 'number' && Number.isFinite(inner) ? isoInstant(inner) : withIsoTimes(inner)]),
  );
}

/** RFC 4180: quoted only when needed. */
function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const TRADE_COLUMNS = ['direction', 'entry_time', 'entry_price', 'exit_time', 'exit_price', 'units', 'pnl', 'return', 'commission'] as const;

export function tradesCsv(trades: readonly BacktestTrade[]): string {
  const rows = trades.map((trade) =>
    TRADE_COLUMNS.map((column) => csvCell(column === 'entry_time' || column === 'exit_time' ? isoInstant(trade[column]) : trade[column])).join(','),
  );
  return `${[TRADE_COLUMNS.join(','), ...rows].join('\n')}\n`;
}

export function equityCsv(points: readonly EquityPoint[]): string {
  return `${['time,equity', ...points.map((point) => `${csvCell(isoInstant(point.time))},${point.equity}`)].join('\n')}\n`;
}

export function renderEquityTable(points: readonly EquityPoint[]): string {
  if (points.length === 0) return 'no equity curve';
  return renderTable(
    [
      { header: 'time', value: (point: EquityPoint) => isoInstant(point.time) },
      { header: 'equity', value: (point: EquityPoint) => formatMoney(point.equity), align: 'right' },
    ],
    points,
  );
}

export { renderTradesTable };
