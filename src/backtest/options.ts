/** The engine's options, validated once (zod) with the defaults of docs/architecture.md §6.4. */
import { z } from 'zod';
import { BacktestError } from './errors.js';

/**
 * The one definition of a backtest's default capital and costs: the wire contract
 * (src/api/contract.ts, BacktestCostParams), the workers and the CLI take them from here.
 */
export const BACKTEST_DEFAULTS = { initialCapital: 100_000, commission: 0.001, slippage: 0.0005 } as const;

/**
 * The engine accepts any cost that keeps its arithmetic meaningful (below 1); the
 * contract narrows what a request may ask for (BACKTEST_COST_MAX).
 */
export const BacktestOptionsSchema = z.object({
  initialCapital: z.number().positive().finite().default(BACKTEST_DEFAULTS.initialCapital),
  /** Fraction of the notional charged per fill, entries and exits alike (0.001 = 0.1 %). */
  commission: z.number().min(0).lt(1).default(BACKTEST_DEFAULTS.commission),
  /** Fraction of the reference price a fill loses: buys at P × (1 + slippage), sells at P × (1 − slippage). */
  slippage: z.number().min(0).lt(1).default(BACKTEST_DEFAULTS.slippage),
  /** Fraction of the cash an entry commits, commission included (the original's 25 %). */
  positionSize: z.number().gt(0).max(1).default(0.25),
  /** Whole units only, rounded down (the original's rule); false allows fractional units. */
  wholeUnits: z.boolean().default(true),
});

export type BacktestOptionsInput = z.input<typeof BacktestOptionsSchema>;
export type BacktestOptions = z.output<typeof BacktestOptionsSchema>;

export function parseBacktestOptions(input: unknown): BacktestOptions {
  const parsed = BacktestOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(options)';
    const value = issue.path.length > 0 ? valueAt(input, issue.path) : input;
    return `${key}: ${JSON.stringify(value) ?? String(value)} ${issue.message}`;
  });
  throw new BacktestError(`backtest options: ${problems.join('; ')}`);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
