/** Bars for the indicator tests: hand-written ones and a deterministic synthetic series. */
import type { BarSeries } from '../../src/market-data/types.js';

export function barsFrom(columns: { high: number[]; low: number[]; close: number[]; open?: number[]; volume?: number[] }): BarSeries {
  const n = columns.close.length;
  return {
    symbol: 'TEST',
    timeframe: '1h',
    time: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000),
    open: Float64Array.from(columns.open ?? columns.close),
    high: Float64Array.from(columns.high),
    low: Float64Array.from(columns.low),
    close: Float64Array.from(columns.close),
    volume: Float64Array.from(columns.volume ?? columns.close.map(() => 1000)),
  };
}

/** mulberry32: a tiny seeded PRNG, so the long series is the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random walk with trending and ranging stretches (the drift flips every
 * few hundred bars), so RSI, ADX and the stochastic see both regimes.
 */
export function syntheticBars(n: number, seed = 42, start = 100): BarSeries {
  const random = mulberry32(seed);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  let price = start;
  let drift = 0;
  for (let i = 0; i < n; i++) {
    if (i % 300 === 0) drift = (random() - 0.5) * 0.004;
    const o = price * (1 + (random() - 0.5) * 0.002);
    const c = o * (1 + drift + (random() - 0.5) * 0.02);
    open[i] = o;
    close[i] = c;
    high[i] = Math.max(o, c) * (1 + random() * 0.005);
    low[i] = Math.min(o, c) * (1 - random() * 0.005);
    volume[i] = 1000 + Math.floor(random() * 9000);
    price = c;
  }
  const time = Float64Array.from({ length: n }, (_, i) => Date.UTC(2020, 0, 1) + i * 3_600_000);
  return { symbol: 'SYNTH', timeframe: '1h', time, open, high, low, close, volume };
}

export function leadingNaNs(values: Float64Array): number {
  let count = 0;
  while (count < values.length && Number.isNaN(values[count])) count++;
  return count;
}

export { maxDifference } from '../../bench/indicator-libraries.js';
