/** The decisions block (STRATEGY-V3 section 8): raw signal, then the filters in the spec's order, on hand examples. */
import { describe, expect, it } from 'vitest';
import { createDecisionFunction, toProbabilities, type DecisionConfig, type DecisionState } from '../../src/backtest/decision.js';
import { BacktestError } from '../../src/backtest/errors.js';

const HOUR = 3_600_000;
const T = Date.UTC(2024, 0, 1, 12);
const config = (extra: Partial<DecisionConfig> = {}): DecisionConfig => ({
  output_format: 'classification',
  confidence_threshold: 0.5,
  position_awareness: true,
  allow_short_from_flat: false,
  min_signal_separation: 4,
  round_trip_cost: 0.003,
  min_edge_multiplier: 1.5,
  ...extra,
});
const flat: DecisionState = { position: null, time: T, lastTradeTime: null };
const out = (...values: number[]) => Float64Array.from(values);

describe('classification', () => {
  const decide = createDecisionFunction(config({ allow_short_from_flat: true }));

  it('maps the argmax 0 → BUY, 1 → HOLD, 2 → SELL with the winning probability as confidence', () => {
    expect(decide(out(0.7, 0.2, 0.1), flat)).toEqual({ signal: 'BUY', raw: 'BUY', confidence: 0.7, heldBy: null });
    expect(decide(out(0.1, 0.8, 0.1), flat)).toMatchObject({ signal: 'HOLD', raw: 'HOLD', confidence: 0.8 });
    expect(decide(out(0.05, 0.15, 0.8), flat)).toMatchObject({ signal: 'SELL', confidence: 0.8 });
  });

  it('takes the first class on a tie, and any class past SELL is HOLD', () => {
    expect(decide(out(0.5, 0, 0.5), flat)).toMatchObject({ raw: 'BUY', signal: 'BUY' });
    expect(decide(out(0.1, 0.1, 0.1, 0.7), flat)).toMatchObject({ raw: 'HOLD', signal: 'HOLD', confidence: 0.7 });
  });

  it('applies a softmax to outputs that do not sum to 1 (logits), and uses probabilities as they are', () => {
    // logits [2, 1, 0]: softmax = e^2 / (e^2 + e + 1) = 0.66524...
    const softmaxed = decide(out(2, 1, 0), flat);
    expect(softmaxed.raw).toBe('BUY');
    expect(softmaxed.confidence).toBeCloseTo(Math.exp(2) / (Math.exp(2) + Math.E + 1), 15);
    expect(toProbabilities(out(0.2, 0.3, 0.5 + 5e-7), new Float64Array(3))).toEqual(out(0.2, 0.3, 0.5 + 5e-7));
  });

  it('holds below confidence_threshold and acts at it (equality passes)', () => {
    const strict = createDecisionFunction(config({ confidence_threshold: 0.6 }));
    expect(strict(out(0.55, 0.25, 0.2), flat)).toMatchObject({ signal: 'HOLD', raw: 'BUY', heldBy: 'confidence' });
    expect(strict(out(0.6, 0.25, 0.15), flat)).toMatchObject({ signal: 'BUY', heldBy: null });
  });

  it('is long-only from flat unless allow_short_from_flat', () => {
    const longOnly = createDecisionFunction(config());
    expect(longOnly(out(0.1, 0.1, 0.8), flat)).toMatchObject({ signal: 'HOLD', raw: 'SELL', heldBy: 'position' });
    expect(longOnly(out(0.1, 0.1, 0.8), { ...flat, position: 'LONG' })).toMatchObject({ signal: 'SELL' }); // an exit
    expect(decide(out(0.1, 0.1, 0.8), flat)).toMatchObject({ signal: 'SELL' });
  });
});

describe('regression', () => {
  // round_trip_cost 0.002 × min_edge_multiplier 2.5 → θ = 0.005 (STRATEGY-V3 8.2's example).
  const decide = createDecisionFunction(config({ output_format: 'regression', round_trip_cost: 0.002, min_edge_multiplier: 2.5, confidence_threshold: 0.9 }));

  it('BUY above θ, SELL below −θ, HOLD between; confidence min(|ŷ| / 3θ, 1) with no threshold applied', () => {
    const buy = decide(out(0.007), flat);
    expect(buy.signal).toBe('BUY');
    expect(buy.confidence).toBeCloseTo(0.007 / 0.015, 15);
    expect(decide(out(-0.003), flat)).toMatchObject({ signal: 'HOLD', raw: 'HOLD' });
    expect(decide(out(0.005), flat)).toMatchObject({ signal: 'HOLD' }); // strictly above θ
    expect(decide(out(0.5), flat).confidence).toBe(1);
  });

  it('may open a short from flat', () => {
    expect(decide(out(-0.006), flat)).toMatchObject({ signal: 'SELL', heldBy: null });
  });
});

describe('filters', () => {
  it('holds a signal within min_signal_separation hours of the last fill (entries and exits alike), acts from then on', () => {
    const decide = createDecisionFunction(config());
    expect(decide(out(0.8, 0.1, 0.1), { ...flat, lastTradeTime: T - 3 * HOUR })).toMatchObject({ signal: 'HOLD', heldBy: 'separation' });
    expect(decide(out(0.8, 0.1, 0.1), { ...flat, lastTradeTime: T - 4 * HOUR })).toMatchObject({ signal: 'BUY' });
    const none = createDecisionFunction(config({ min_signal_separation: 0 }));
    expect(none(out(0.8, 0.1, 0.1), { ...flat, lastTradeTime: T })).toMatchObject({ signal: 'BUY' });
  });

  it('position awareness: no BUY while long, no SELL while short; off, every signal passes', () => {
    const decide = createDecisionFunction(config());
    expect(decide(out(0.8, 0.1, 0.1), { ...flat, position: 'LONG' })).toMatchObject({ signal: 'HOLD', heldBy: 'position' });
    expect(decide(out(0.1, 0.1, 0.8), { ...flat, position: 'SHORT' })).toMatchObject({ signal: 'HOLD', heldBy: 'position' });
    expect(decide(out(0.8, 0.1, 0.1), { ...flat, position: 'SHORT' })).toMatchObject({ signal: 'BUY' });
    const unaware = createDecisionFunction(config({ position_awareness: false }));
    expect(unaware(out(0.8, 0.1, 0.1), { ...flat, position: 'LONG' })).toMatchObject({ signal: 'BUY' });
    expect(unaware(out(0.1, 0.1, 0.8), flat)).toMatchObject({ signal: 'SELL' });
  });

  it('applies them in the spec\'s order: confidence, then separation, then position', () => {
    const decide = createDecisionFunction(config({ confidence_threshold: 0.9 }));
    const everything: DecisionState = { position: 'LONG', time: T, lastTradeTime: T - HOUR };
    expect(decide(out(0.8, 0.1, 0.1), everything).heldBy).toBe('confidence');
    expect(decide(out(0.95, 0.03, 0.02), everything).heldBy).toBe('separation');
    expect(decide(out(0.95, 0.03, 0.02), { ...everything, lastTradeTime: null }).heldBy).toBe('position');
  });

  it('no output, or a NaN output, is HOLD', () => {
    const decide = createDecisionFunction(config());
    expect(decide(null, flat)).toMatchObject({ signal: 'HOLD', heldBy: 'no_output' });
    expect(decide(out(Number.NaN, 0.5, 0.5), flat)).toMatchObject({ signal: 'HOLD', heldBy: 'not_finite' });
    const regression = createDecisionFunction(config({ output_format: 'regression' }));
    expect(regression(out(Number.NaN), flat)).toMatchObject({ signal: 'HOLD', heldBy: 'not_finite' });
  });
});

it('refuses an invalid decisions block up front, naming the key and the value', () => {
  expect(() => createDecisionFunction(config({ confidence_threshold: 1.5 }))).toThrow(BacktestError);
  expect(() => createDecisionFunction(config({ confidence_threshold: 1.5 }))).toThrow(/decisions\.confidence_threshold: 1\.5/);
  expect(() => createDecisionFunction(config({ round_trip_cost: 0 }))).toThrow(/decisions\.round_trip_cost: 0/);
});
