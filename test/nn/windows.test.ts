/** Sequence windows never span two segments (symbols) or a gap, and gather as contiguous slices. */
import { describe, expect, it } from 'vitest';
import { gatherWindows, windowEnds, WindowError } from '../../src/nn/windows.js';

describe('windowEnds', () => {
  it('ends every window of T rows at row T − 1 and later in one segment', () => {
    expect(Array.from(windowEnds(6, 3))).toEqual([2, 3, 4, 5]);
    expect(Array.from(windowEnds(6, 1))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(windowEnds(2, 3))).toEqual([]);
  });

  it('restarts at each new segment id, so no window mixes two symbols', () => {
    // Symbol A rows 0-3, symbol B rows 4-5 (too short for T = 3), symbol A again rows 6-8.
    const segments = [7, 7, 7, 7, 9, 9, 7, 7, 7];
    expect(Array.from(windowEnds(9, 3, { segments }))).toEqual([2, 3, 8]);
  });

  it('restarts after a gap flagged in the break mask', () => {
    const breaks = [0, 0, 0, 1, 0, 0, 0];
    expect(Array.from(windowEnds(7, 3, { breaks }))).toEqual([2, 5, 6]);
    // A break at row 0 changes nothing: a segment starts there anyway.
    expect(Array.from(windowEnds(3, 3, { breaks: [true, false, false] }))).toEqual([2]);
  });

  it('refuses masks of the wrong length and a non-positive length, naming the value', () => {
    expect(() => windowEnds(3, 2, { segments: [1, 1] })).toThrow(/2 segment ids for 3 rows/);
    expect(() => windowEnds(3, 2, { breaks: [0] })).toThrow(/1 break flags for 3 rows/);
    expect(() => windowEnds(3, 0)).toThrow(WindowError);
  });
});

describe('gatherWindows', () => {
  it('copies each window oldest row first, in the order given', () => {
    // 5 rows × 2 cols: row r = [10r, 10r + 1].
    const X = Float64Array.from({ length: 10 }, (_, k) => 10 * Math.floor(k / 2) + (k % 2));
    const ends = Int32Array.of(1, 2, 4);
    const out = new Float64Array(8);
    gatherWindows(X, 2, 2, ends, 0, 2, out, Int32Array.of(2, 0, 1));
    expect(Array.from(out)).toEqual([30, 31, 40, 41, 0, 1, 10, 11]);
  });
});
