import { describe, expect, it } from 'vitest';
import { barCount, firstIndexAtOrAfter, sliceByIndex, sliceByTime, Timeframe, TIMEFRAME_MS, type BarSeries } from '../../src/market-data/types.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** Five hourly bars at T0 + 0h..4h whose close is 10 + index, so a slice's content is recognisable. */
function hourly(count = 5): BarSeries {
  const column = (offset: number) => Float64Array.from({ length: count }, (_, index) => offset + index);
  return {
    symbol: 'TEST',
    timeframe: '1h',
    time: Float64Array.from({ length: count }, (_, index) => T0 + index * HOUR),
    open: column(10),
    high: column(11),
    low: column(9),
    close: column(10),
    volume: column(100),
  };
}

describe('timeframes', () => {
  it('has the seven timeframes and their lengths in milliseconds', () => {
    expect(Timeframe.options).toEqual(['1m', '5m', '15m', '30m', '1h', '4h', '1d']);
    expect(TIMEFRAME_MS).toEqual({ '1m': 60_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000 });
    expect(Timeframe.safeParse('2h').success).toBe(false);
  });
});

describe('firstIndexAtOrAfter', () => {
  const time = Float64Array.from([10, 20, 30, 40]);
  it.each([
    [5, 0],
    [10, 0],
    [11, 1],
    [20, 1],
    [40, 3],
    [41, 4],
  ])('%d → %d', (ms, expected) => {
    // Reference: a linear scan.
    expect(firstIndexAtOrAfter(time, ms)).toBe(expected);
    const linear = Array.from(time).findIndex((t) => t >= ms);
    expect(expected).toBe(linear < 0 ? time.length : linear);
  });
  it('is 0 on an empty series', () => {
    expect(firstIndexAtOrAfter(new Float64Array(0), 5)).toBe(0);
  });
});

describe('sliceByTime: [start, end), start inclusive and end exclusive', () => {
  const series = hourly();
  const closes = (slice: BarSeries) => Array.from(slice.close);

  it('keeps everything without bounds', () => {
    expect(closes(sliceByTime(series))).toEqual([10, 11, 12, 13, 14]);
    expect(barCount(sliceByTime(series))).toBe(5);
  });
  it('includes a bar exactly at the start', () => {
    expect(closes(sliceByTime(series, T0 + HOUR))).toEqual([11, 12, 13, 14]);
  });
  it('excludes a bar exactly at the end', () => {
    expect(closes(sliceByTime(series, undefined, T0 + 3 * HOUR))).toEqual([10, 11, 12]);
  });
  it('starts at the next bar when the start falls between bars, and stops before the end', () => {
    expect(closes(sliceByTime(series, T0 + HOUR / 2, T0 + 2.5 * HOUR))).toEqual([11, 12]);
  });
  it('adjacent ranges [a, b) and [b, c) split the series without sharing a bar', () => {
    const cut = T0 + 2 * HOUR;
    expect([...closes(sliceByTime(series, undefined, cut)), ...closes(sliceByTime(series, cut))]).toEqual(closes(series));
  });
  it('is empty for a range before, after or between bars, and for start >= end', () => {
    expect(barCount(sliceByTime(series, undefined, T0))).toBe(0);
    expect(barCount(sliceByTime(series, T0 + 5 * HOUR))).toBe(0);
    expect(barCount(sliceByTime(series, T0 + 0.2 * HOUR, T0 + 0.8 * HOUR))).toBe(0);
    expect(barCount(sliceByTime(series, T0 + 3 * HOUR, T0 + HOUR))).toBe(0);
  });
  it('slices every column alike and keeps symbol and timeframe', () => {
    const slice = sliceByTime(series, T0 + HOUR, T0 + 3 * HOUR);
    expect(slice.symbol).toBe('TEST');
    expect(slice.timeframe).toBe('1h');
    expect(Array.from(slice.time)).toEqual([T0 + HOUR, T0 + 2 * HOUR]);
    expect(Array.from(slice.open)).toEqual([11, 12]);
    expect(Array.from(slice.high)).toEqual([12, 13]);
    expect(Array.from(slice.low)).toEqual([10, 11]);
    expect(Array.from(slice.volume)).toEqual([101, 102]);
  });
  it('sliceByIndex takes [from, to)', () => {
    expect(closes(sliceByIndex(series, 1, 3))).toEqual([11, 12]);
  });
});
