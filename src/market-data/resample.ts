/**
 * Higher-timeframe bars built from lower-timeframe ones, for a multi-timeframe
 * strategy whose higher timeframe has no data file (STRATEGY-V3 §2.2: the
 * original needs every file; we resample rather than refuse).
 *
 * A bar of `to` spans `[k·d, (k+1)·d)` in UTC milliseconds since the epoch
 * (d = the bar length), which puts 4h bars at 00:00, 04:00, … and daily bars at
 * midnight UTC, as data vendors stamp them. Every lower bar opening in that span
 * belongs to it: open = first open, high = max, low = min, close = last close,
 * volume = sum. A span with no lower bar (a weekend) gives no bar.
 *
 * The last bar is usually incomplete (its span runs past the data); it is kept,
 * because alignment (strategy/alignment.ts) only ever shows a bar once its span
 * has ended, so an incomplete bar is never read.
 */
import { MarketDataRangeError } from './errors.js';
import { TIMEFRAME_MS, type BarSeries, type Timeframe } from './types.js';

/** Why `from` bars cannot be aggregated into `to` bars, or null when they can. */
export function resampleProblem(from: Timeframe, to: Timeframe): string | null {
  const fromMs = TIMEFRAME_MS[from];
  const toMs = TIMEFRAME_MS[to];
  if (toMs <= fromMs) return `${to} bars cannot be built from ${from} bars (only a longer timeframe can be resampled from a shorter one)`;
  if (toMs % fromMs !== 0) return `${to} is not a whole number of ${from} bars`;
  return null;
}

export function resampleBars(bars: BarSeries, to: Timeframe): BarSeries {
  const problem = resampleProblem(bars.timeframe, to);
  if (problem) throw new MarketDataRangeError(`cannot resample ${bars.symbol} ${bars.timeframe}: ${problem}`);
  const span = TIMEFRAME_MS[to];
  const count = bars.time.length;
  // At most one output bar per input bar: allocate that, trim at the end.
  const time = new Float64Array(count);
  const open = new Float64Array(count);
  const high = new Float64Array(count);
  const low = new Float64Array(count);
  const close = new Float64Array(count);
  const volume = new Float64Array(count);
  let out = -1;
  let current = Number.NaN;
  for (let i = 0; i < count; i++) {
    const start = Math.floor((bars.time[i] as number) / span) * span;
    if (start !== current) {
      out++;
      current = start;
      time[out] = start;
      open[out] = bars.open[i] as number;
      high[out] = bars.high[i] as number;
      low[out] = bars.low[i] as number;
      volume[out] = 0;
    }
    high[out] = Math.max(high[out] as number, bars.high[i] as number);
    low[out] = Math.min(low[out] as number, bars.low[i] as number);
    close[out] = bars.close[i] as number;
    volume[out] = (volume[out] as number) + (bars.volume[i] as number);
  }
  const n = out + 1;
  return {
    symbol: bars.symbol,
    timeframe: to,
    time: time.slice(0, n),
    open: open.slice(0, n),
    high: high.slice(0, n),
    low: low.slice(0, n),
    close: close.slice(0, n),
    volume: volume.slice(0, n),
  };
}

