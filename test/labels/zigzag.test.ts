/**
 * Zig-zag labels on hand-made series with known answers, then on a long random
 * series against a second implementation (first crossing index of each side).
 */
import { describe, expect, it } from 'vitest';
import { BUY, HOLD, LABELS, SELL, UNLABELLED, zigzagLabels } from '../../src/labels/zigzag.js';

const labels = (close: number[], threshold: number, lookahead: number): number[] =>
  Array.from(zigzagLabels(Float64Array.from(close), threshold, lookahead));

describe('zigzagLabels', () => {
  it('names its classes in index order', () => {
    expect(LABELS).toEqual(['BUY', 'HOLD', 'SELL']);
    expect([LABELS[BUY], LABELS[HOLD], LABELS[SELL]]).toEqual(['BUY', 'HOLD', 'SELL']);
    expect(UNLABELLED).toBe(-1);
  });

  it('labels a hand-made series (threshold 25 %, lookahead 3)', () => {
    // Thresholds are exact in binary here: 100 -> up 125 / down 75, 110 -> 137.5 / 82.5, ...
    const close = [100, 110, 126, 110, 94, 100, 120, 125, 100, 75, 90, 95, 100];
    expect(labels(close, 0.25, 3)).toEqual([
      BUY, //   t=0 100: 110, 126 >= 125
      HOLD, //  t=1 110: 126, 110, 94 — neither 137.5 nor 82.5
      SELL, //  t=2 126: 110, 94 <= 94.5
      HOLD, //  t=3 110: 94, 100, 120 — neither 137.5 nor 82.5
      BUY, //   t=4 94: 100, 120 >= 117.5
      BUY, //   t=5 100: 120, 125 >= 125 (a move of exactly the threshold counts)
      SELL, //  t=6 120: 125, 100, 75 <= 90
      SELL, //  t=7 125: 100, 75 <= 93.75
      SELL, //  t=8 100: 75 <= 75 (exactly the threshold)
      BUY, //   t=9 75: 90, 95 >= 93.75
      UNLABELLED, // t=10..12: fewer than 3 bars ahead
      UNLABELLED,
      UNLABELLED,
    ]);
  });

  it('takes whichever threshold is crossed first', () => {
    expect(labels([100, 70, 130, 100], 0.25, 2).slice(0, 1)).toEqual([SELL]);
    expect(labels([100, 130, 70, 100], 0.25, 2).slice(0, 1)).toEqual([BUY]);
  });

  it('ignores moves beyond the lookahead', () => {
    expect(labels([100, 101, 102, 130], 0.25, 2)).toEqual([HOLD, BUY, UNLABELLED, UNLABELLED]);
  });

  it('leaves bars unlabelled when there is no full lookahead or no price', () => {
    expect(labels([100, 200], 0.1, 5)).toEqual([UNLABELLED, UNLABELLED]);
    expect(labels([], 0.1, 5)).toEqual([]);
    expect(labels([Number.NaN, 100, Number.NaN, 130, 100], 0.25, 2)).toEqual([UNLABELLED, BUY, UNLABELLED, UNLABELLED, UNLABELLED]);
  });

  it('refuses a threshold outside (0, 1) and a lookahead that is not a positive integer', () => {
    for (const threshold of [0, -0.1, 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => zigzagLabels(new Float64Array(5), threshold, 3)).toThrow(`zigzag threshold ${threshold} must be a fraction > 0 and < 1`);
    }
    for (const lookahead of [0, -1, 2.5, Number.NaN]) {
      expect(() => zigzagLabels(new Float64Array(5), 0.1, lookahead)).toThrow(`zigzag lookahead ${lookahead} must be an integer >= 1`);
    }
  });

  it('matches a first-crossing reference on 5000 random bars', () => {
    let state = 7;
    const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
    const close: number[] = [100];
    for (let i = 1; i < 5000; i++) close.push(close[i - 1]! * (1 + (random() - 0.5) * 0.02));
    const [threshold, lookahead] = [0.02, 20];
    const expected = close.map((price, t) => {
      if (t + lookahead >= close.length) return UNLABELLED;
      const window = close.slice(t + 1, t + 1 + lookahead);
      const up = window.findIndex((p) => p >= price * (1 + threshold));
      const down = window.findIndex((p) => p <= price * (1 - threshold));
      if (up === -1 && down === -1) return HOLD;
      if (down === -1 || (up !== -1 && up < down)) return BUY;
      return SELL;
    });
    const actual = labels(close, threshold, lookahead);
    expect(actual).toEqual(expected);
    // The series exercises all three classes.
    expect(new Set(actual)).toEqual(new Set([BUY, HOLD, SELL, UNLABELLED]));
  });
});
