import { z } from 'zod';
import { BacktestSizing } from '../../api/contract.js';
import { Timeframe } from '../../market-data/types.js';

/** What the backend puts in a backtesting operation (validated there first; see WorkSubmissions). */
export const BacktestingParams = z.object({
  model_id: z.string().min(1),
  symbol: z.string().min(1),
  timeframe: Timeframe,
  start_date: z.string().nullable().default(null),
  end_date: z.string().nullable().default(null),
  initial_capital: z.number().positive().default(100_000),
  commission: z.number().min(0).max(0.1).default(0.001),
  slippage: z.number().min(0).max(0.1).default(0.0005),
  ...BacktestSizing.shape,
});
export type BacktestingParams = z.infer<typeof BacktestingParams>;
