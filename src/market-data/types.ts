/**
 * Bars: the shape every computation module reads (indicators, features,
 * backtests). Columns, not rows, so the math runs over Float64Arrays.
 */
import { z } from 'zod';

export const Timeframe = z.enum(['1m', '5m', '15m', '30m', '1h', '4h', '1d']);
export type Timeframe = z.infer<typeof Timeframe>;

const MINUTE_MS = 60_000;

/** The length of one bar of each timeframe, in milliseconds. */
export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = {
  '1m': MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '15m': 15 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': 60 * MINUTE_MS,
  '4h': 240 * MINUTE_MS,
  '1d': 1_440 * MINUTE_MS,
};

/**
 * A series of OHLCV bars in ascending time order, one index per bar across all
 * columns. `time` is the bar's opening time in milliseconds since the epoch, UTC.
 */
export interface BarSeries {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

export function barCount(series: BarSeries): number {
  return series.time.length;
}

/** The first index whose time is >= `ms` (the length when there is none); `time` is ascending. */
export function firstIndexAtOrAfter(time: Float64Array, ms: number): number {
  let low = 0;
  let high = time.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((time[middle] as number) < ms) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The bars with `startMs <= time < endMs`: the start is inclusive and the end
 * exclusive (half-open), so consecutive ranges [a, b) and [b, c) never share a
 * bar and a chronological split is a pair of cut points. A missing bound is open.
 * The columns are views on the same buffers (no copy): treat them as read-only.
 */
export function sliceByTime(series: BarSeries, startMs?: number, endMs?: number): BarSeries {
  const from = startMs === undefined ? 0 : firstIndexAtOrAfter(series.time, startMs);
  const to = endMs === undefined ? series.time.length : Math.max(from, firstIndexAtOrAfter(series.time, endMs));
  return sliceByIndex(series, from, to);
}

/** Bars `from` (inclusive) to `to` (exclusive) by index, as views. */
export function sliceByIndex(series: BarSeries, from: number, to: number): BarSeries {
  return {
    symbol: series.symbol,
    timeframe: series.timeframe,
    time: series.time.subarray(from, to),
    open: series.open.subarray(from, to),
    high: series.high.subarray(from, to),
    low: series.low.subarray(from, to),
    close: series.close.subarray(from, to),
    volume: series.volume.subarray(from, to),
  };
}
