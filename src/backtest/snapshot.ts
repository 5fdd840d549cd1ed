/**
 * The engine's whole state as plain JSON (a checkpoint): options, account, open position, the pending
 * order, the last fill's time, the closed trades and the full per-bar equity curve. JSON numbers
 * round-trip doubles exactly, so a restored engine continues bit-identically. Size grows with the bars
 * replayed (about 35 bytes per bar as JSON, i.e. ~35 MB at 1,000,000 bars).
 */
import { z } from 'zod';
import { BacktestOptionsSchema } from './options.js';

export const BACKTEST_SNAPSHOT_FORMAT = 'ktrdr.backtest.engine.v2';

const finite = z.number().finite();

export const TradeSchema = z.object({
  direction: z.enum(['LONG', 'SHORT']),
  entry_time: finite,
  entry_price: finite,
  exit_time: finite,
  exit_price: finite,
  units: finite,
  gross_pnl: finite,
  pnl: finite,
  return: finite,
  commission: finite,
  holding_hours: finite,
  max_favorable_excursion: finite,
  max_adverse_excursion: finite,
  forced: z.boolean(),
});

export const OpenPositionSchema = z.object({
  direction: z.enum(['LONG', 'SHORT']),
  /** Always positive; the direction carries the sign. */
  units: z.number().positive().finite(),
  /** Open time of the bar whose open filled the entry. */
  entry_time: finite,
  entry_price: finite,
  entry_commission: finite,
  /** Extremes of the unrealised P&L at closes so far (null before the first mark). */
  max_favorable: finite.nullable(),
  max_adverse: finite.nullable(),
});

export const BacktestSnapshotSchema = z
  .object({
    format: z.literal(BACKTEST_SNAPSHOT_FORMAT),
    options: BacktestOptionsSchema,
    cash: finite,
    position: OpenPositionSchema.nullable(),
    /** The signal decided at the last bar's close, to fill at the next bar's open. */
    pending: z.enum(['BUY', 'SELL']).nullable(),
    last_trade_time: finite.nullable(),
    last_index: z.number().int().nullable(),
    last_time: finite.nullable(),
    last_close: finite.nullable(),
    finished: z.boolean(),
    trades: z.array(TradeSchema),
    curve: z.object({ time: z.array(finite), equity: z.array(finite) }),
  })
  .refine((s) => s.curve.time.length === s.curve.equity.length, {
    message: 'curve.time and curve.equity must have the same length',
  });

export type OpenPosition = z.infer<typeof OpenPositionSchema>;
export type BacktestSnapshot = z.infer<typeof BacktestSnapshotSchema>;
