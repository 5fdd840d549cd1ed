/**
 * Multi-scale zig-zag regime labels (7.8.5): macro swings (3 ATR) are
 * segments, micro swings (1 ATR) inside one tell a progressive trend from a
 * range, and bars whose forward volatility jumps above the historical one are
 * VOLATILE. Labels stay on their own bars (Appendix C 5: no shift by
 * `vol_lookback`).
 */
import { KtrdrError } from '../common/errors.js';
import type { BarSeries } from '../market-data/types.js';
import { reversalPivots } from './pivots.js';
import { REGIME_CLASSES, type LabelResult } from './types.js';

export interface RegimeSpec {
  readonly vol_crisis_threshold: number;
  readonly vol_lookback: number;
  readonly macro_atr_mult: number;
  readonly micro_atr_mult: number;
  readonly atr_period: number;
  readonly progression_tolerance: number;
}

const TRENDING_UP = 0;
const TRENDING_DOWN = 1;
const RANGING = 2;
const VOLATILE = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** median(SMA(true range, period)) / median(close): the relative move one ATR makes. */
export function relativeAtr(bars: BarSeries, period: number): number {
  const { high, low, close } = bars;
  const n = close.length;
  const trueRange = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const range = (high[t] as number) - (low[t] as number);
    trueRange[t] = t === 0 ? range : Math.max(range, Math.abs((high[t] as number) - (close[t - 1] as number)), Math.abs((low[t] as number) - (close[t - 1] as number)));
  }
  const atr: number[] = [];
  let sum = 0;
  for (let t = 0; t < n; t++) {
    sum += trueRange[t] as number;
    if (t >= period) sum -= trueRange[t - period] as number;
    if (t >= period - 1) atr.push(sum / period);
  }
  return median(atr) / median(Array.from(close));
}

function sampleStd(values: Float64Array, from: number, to: number): number {
  const count = to - from;
  if (count < 2) return NaN;
  let mean = 0;
  for (let k = from; k < to; k++) mean += values[k] as number;
  mean /= count;
  let squares = 0;
  for (let k = from; k < to; k++) squares += ((values[k] as number) - mean) ** 2;
  return Math.sqrt(squares / (count - 1));
}

/** Whether the micro pivots of a segment make rising lows (up) or falling highs (down) in ≥ `tolerance` of pairs. */
function progressive(close: Float64Array, micro: number[], up: boolean, tolerance: number): boolean {
  if (micro.length < 4) return false;
  const swings: number[] = [];
  micro.forEach((bar, k) => {
    const price = close[bar] as number;
    const before = k > 0 ? (close[micro[k - 1] as number] as number) : null;
    const after = k + 1 < micro.length ? (close[micro[k + 1] as number] as number) : null;
    const higher = (before === null || price > before) && (after === null || price > after);
    const lower = (before === null || price < before) && (after === null || price < after);
    if (up ? lower : higher) swings.push(price);
  });
  if (swings.length < 2) return false;
  let good = 0;
  for (let k = 1; k < swings.length; k++) if (up ? (swings[k] as number) > (swings[k - 1] as number) : (swings[k] as number) < (swings[k - 1] as number)) good++;
  return good / (swings.length - 1) >= tolerance;
}

export function regimeLabels(bars: BarSeries, spec: RegimeSpec): LabelResult {
  const { close } = bars;
  const n = close.length;
  if (n < spec.vol_lookback + spec.atr_period + 1) {
    throw new KtrdrError(
      'VALIDATION_ERROR',
      `regime labels: ${n} bars of ${bars.symbol} ${bars.timeframe}, vol_lookback ${spec.vol_lookback} + atr_period ${spec.atr_period} need more than ${spec.vol_lookback + spec.atr_period}`,
    );
  }
  const atr = relativeAtr(bars, spec.atr_period);
  const macro = reversalPivots(close, spec.macro_atr_mult * atr);
  const micro = reversalPivots(close, spec.micro_atr_mult * atr);

  const returns = new Float64Array(n).fill(NaN);
  for (let t = 1; t < n; t++) returns[t] = Math.log((close[t] as number) / (close[t - 1] as number));
  const volatile = new Uint8Array(n);
  for (let t = spec.vol_lookback; t < n - spec.atr_period; t++) {
    const forward = sampleStd(returns, t + 1, t + 1 + spec.atr_period);
    const historical = sampleStd(returns, t - spec.vol_lookback + 1, t + 1);
    if (historical > 0 && forward / historical > spec.vol_crisis_threshold) volatile[t] = 1;
  }

  const values = new Float64Array(n).fill(NaN);
  let horizon = spec.atr_period;
  for (let s = 0; s + 1 < macro.index.length; s++) {
    const start = macro.index[s] as number;
    const end = macro.index[s + 1] as number;
    const up = (close[end] as number) > (close[start] as number);
    const inside = micro.index.filter((bar) => bar >= start && bar <= end);
    const trend = progressive(close, inside, up, spec.progression_tolerance) ? (up ? TRENDING_UP : TRENDING_DOWN) : RANGING;
    for (let t = start; t <= end; t++) values[t] = volatile[t] ? VOLATILE : trend;
    horizon = Math.max(horizon, (macro.confirmedAt[s + 1] as number) - start);
  }
  return { values, horizon, kind: 'classification', classes: REGIME_CLASSES };
}
