import { z } from 'zod';
import { Timeframe } from '../../market-data/types.js';

/** What the backend puts in a training operation (validated there first; see WorkSubmissions). */
export const TrainingParams = z.object({
  strategy_yaml: z.string().min(1),
  strategy_name: z.string(),
  symbol: z.string().min(1),
  /** A multi-symbol training: every symbol, `symbol` being the first (absent: `symbol` alone). */
  symbols: z.array(z.string().min(1)).min(1).optional(),
  timeframe: Timeframe,
  start_date: z.string().nullable().default(null),
  end_date: z.string().nullable().default(null),
  seed: z.number().int().min(0).default(42),
});
export type TrainingParams = z.infer<typeof TrainingParams>;
