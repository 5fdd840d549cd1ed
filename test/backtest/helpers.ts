/** Seeded inputs for the backtest tests: a small PRNG, random-walk closes and random decisions. */
import type { Decision } from '../../src/backtest/types.js';

/** mulberry32: tiny, seeded, good enough for test inputs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Geometric random walk starting at 100, steps of up to ±`volatility`. */
export function randomCloses(bars: number, random: () => number, volatility = 0.02): Float64Array {
  const closes = new Float64Array(bars);
  let price = 100;
  for (let i = 0; i < bars; i++) {
    price *= 1 + (random() * 2 - 1) * volatility;
    closes[i] = price;
  }
  return closes;
}

/** Mostly HOLD, so positions last a while, with BUY and SELL each about `changeRate / 2` of the bars. */
export function randomDecisions(bars: number, random: () => number, changeRate = 0.1): Decision[] {
  const decisions: Decision[] = [];
  for (let i = 0; i < bars; i++) {
    const u = random();
    decisions.push(u < changeRate / 2 ? 'BUY' : u < changeRate ? 'SELL' : 'HOLD');
  }
  return decisions;
}

export const HOUR_MS = 3_600_000;
export const T0 = Date.UTC(2024, 0, 1);
export const timeOf = (index: number): number => T0 + index * HOUR_MS;
