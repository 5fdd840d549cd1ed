/**
 * The strategy's `decisions` block as a pure function: a model output and the account's state in,
 * a signal out (STRATEGY-V3.md section 8, the reference of the earlier system's grammar; docs/strategies.md
 * "Labels and decisions").
 *
 * Order, exactly the original's:
 * 1. raw signal — classification: probabilities (the output as is when it sums to 1 within 1e-6, else
 *    a stable softmax), argmax (the first index on a tie), 0 → BUY, 1 → HOLD, 2 → SELL, any other → HOLD;
 *    regression: θ = round_trip_cost × min_edge_multiplier, BUY when ŷ > θ, SELL when ŷ < −θ.
 *    No output (no features), a NaN/∞ output or confidence → HOLD.
 * 2. confidence filter (classification only): confidence < confidence_threshold → HOLD (equality acts).
 * 3. signal separation: a trade (entry or exit) filled less than `min_signal_separation` hours before
 *    this bar → HOLD.
 * 4. position awareness (when on): BUY while long, SELL while short → HOLD; in classification a SELL
 *    from flat → HOLD unless `allow_short_from_flat`. Regression may open shorts from flat.
 *
 * The function keeps no state: what it needs of the past (the position, the last fill's time) is passed
 * in, so a resumed backtest decides exactly as an uninterrupted one.
 */
import { z } from 'zod';
import { BacktestError } from './errors.js';
import type { Decision, Direction } from './types.js';

const HOUR_MS = 3_600_000;

/** The decisions block as the strategy loader normalises it (src/strategy/schema.ts). */
export const DecisionConfigSchema = z.object({
  output_format: z.enum(['classification', 'regression']),
  confidence_threshold: z.number().min(0).max(1),
  position_awareness: z.boolean(),
  allow_short_from_flat: z.boolean(),
  /** Hours. */
  min_signal_separation: z.number().min(0).finite(),
  round_trip_cost: z.number().positive().finite(),
  min_edge_multiplier: z.number().positive().finite(),
});
export type DecisionConfig = z.infer<typeof DecisionConfigSchema>;

/** What the decision may know of the account and the clock at a bar's close. */
export interface DecisionState {
  readonly position: Direction | null;
  /** Open time (ms UTC) of the bar being decided on. */
  readonly time: number;
  /** Time (ms UTC) of the bar at whose open the last trade was filled; null before the first. */
  readonly lastTradeTime: number | null;
}

/** Which rule turned a signal into HOLD (null when nothing did). */
export type HoldReason = 'no_output' | 'not_finite' | 'confidence' | 'separation' | 'position';

export interface DecisionOutcome {
  readonly signal: Decision;
  /** The model's signal before the filters. */
  readonly raw: Decision;
  /** Classification: the winning probability; regression: min(|ŷ| / 3θ, 1) (reported only). NaN without output. */
  readonly confidence: number;
  readonly heldBy: HoldReason | null;
}

export type DecisionFunction = (output: Float64Array | null, state: DecisionState) => DecisionOutcome;

const CLASS_SIGNALS: readonly Decision[] = ['BUY', 'HOLD', 'SELL'];

/** Validates the config up front (errors name the key and the value) and returns the decision function. */
export function createDecisionFunction(input: DecisionConfig): DecisionFunction {
  const parsed = DecisionConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.');
      return `decisions.${key}: ${JSON.stringify((input as unknown as Record<string, unknown>)[key as string])} ${issue.message}`;
    });
    throw new BacktestError(`decisions: ${problems.join('; ')}`);
  }
  const config = parsed.data;
  const regression = config.output_format === 'regression';
  const theta = config.round_trip_cost * config.min_edge_multiplier;
  const separationMs = config.min_signal_separation * HOUR_MS;
  const probabilities = new Float64Array(16);

  const hold = (raw: Decision, confidence: number, heldBy: HoldReason): DecisionOutcome => ({ signal: 'HOLD', raw, confidence, heldBy });

  return (output, state) => {
    if (output === null || output.length === 0) return hold('HOLD', Number.NaN, 'no_output');
    let raw: Decision;
    let confidence: number;
    if (regression) {
      const y = output[0] as number;
      confidence = Math.min(Math.abs(y) / (3 * theta), 1);
      raw = y > theta ? 'BUY' : y < -theta ? 'SELL' : 'HOLD';
    } else {
      const p = output.length <= probabilities.length ? probabilities.subarray(0, output.length) : new Float64Array(output.length);
      toProbabilities(output, p);
      let best = 0;
      for (let k = 1; k < p.length; k++) if ((p[k] as number) > (p[best] as number)) best = k;
      confidence = p[best] as number;
      raw = CLASS_SIGNALS[best] ?? 'HOLD';
    }
    if (!Number.isFinite(confidence)) return hold(raw, confidence, 'not_finite');
    if (raw === 'HOLD') return { signal: 'HOLD', raw, confidence, heldBy: null };
    if (!regression && confidence < config.confidence_threshold) return hold(raw, confidence, 'confidence');
    if (state.lastTradeTime !== null && state.time - state.lastTradeTime < separationMs) return hold(raw, confidence, 'separation');
    if (config.position_awareness) {
      if (state.position === 'LONG' && raw === 'BUY') return hold(raw, confidence, 'position');
      if (state.position === 'SHORT' && raw === 'SELL') return hold(raw, confidence, 'position');
      if (state.position === null && raw === 'SELL' && !regression && !config.allow_short_from_flat) return hold(raw, confidence, 'position');
    }
    return { signal: raw, raw, confidence, heldBy: null };
  };
}

/**
 * The output as probabilities: as is when it already sums to 1 within 1e-6 (a softmax output),
 * else a numerically stable softmax (raw logits). NaN in, NaN out.
 */
export function toProbabilities(output: ArrayLike<number>, out: Float64Array): Float64Array {
  const n = output.length;
  let sum = 0;
  for (let k = 0; k < n; k++) sum += output[k] as number;
  if (Math.abs(sum - 1) <= 1e-6) {
    for (let k = 0; k < n; k++) out[k] = output[k] as number;
    return out;
  }
  let max = -Infinity;
  for (let k = 0; k < n; k++) max = Math.max(max, output[k] as number);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const e = Math.exp((output[k] as number) - max);
    out[k] = e;
    total += e;
  }
  for (let k = 0; k < n; k++) out[k] = (out[k] as number) / total;
  return out;
}
