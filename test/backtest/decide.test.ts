/** From class probabilities [BUY, HOLD, SELL] to a decision. */
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/backtest/decide.js';
import { BacktestError } from '../../src/backtest/errors.js';

describe('decide', () => {
  it('takes the argmax over [BUY, HOLD, SELL]', () => {
    expect(decide([0.7, 0.2, 0.1], 0.5)).toBe('BUY');
    expect(decide([0.1, 0.8, 0.1], 0.5)).toBe('HOLD');
    expect(decide(Float64Array.from([0.05, 0.15, 0.8]), 0.5)).toBe('SELL');
  });

  it('holds when the winner is below the confidence threshold, and acts at the threshold', () => {
    expect(decide([0.55, 0.25, 0.2], 0.6)).toBe('HOLD');
    expect(decide([0.2, 0.25, 0.55], 0.6)).toBe('HOLD');
    expect(decide([0.6, 0.25, 0.15], 0.6)).toBe('BUY');
    expect(decide([0.45, 0.1, 0.45], 0)).toBe('HOLD'); // a BUY/SELL tie is no signal
  });

  it('rejects the wrong number of classes, non-finite values and a threshold outside [0, 1]', () => {
    expect(() => decide([0.5, 0.5], 0.5)).toThrow(/expected 3 values/);
    expect(() => decide([Number.NaN, 0.5, 0.5], 0.5)).toThrow(/probabilities\[0\]: NaN/);
    expect(() => decide([0.2, 0.3, 0.5], 1.5)).toThrow(BacktestError);
  });
});
