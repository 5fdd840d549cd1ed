/**
 * Triple-barrier labels (7.8.3): from each bar's close, an upper barrier
 * `pt_multiplier` volatilities above and a lower one `sl_multiplier` below;
 * the first touched within `max_holding_period` bars decides BUY or SELL,
 * neither gives HOLD unless the final return is large. Volatility from the
 * bar range (`vol_method: atr`) or from log returns (any other method); the
 * uniqueness weights and the CUSUM event filter as the original's.
 *
 * Labels stay on their own bars (NaN elsewhere, e.g. filtered by CUSUM), so
 * features and labels pair by timestamp (Appendix C 6).
 */
import { KtrdrError } from '../common/errors.js';
import type { BarSeries } from '../market-data/types.js';
import { ewmMean, ewmStd, logReturns } from './ewm.js';
import { SIGNAL_CLASSES, type LabelResult } from './types.js';

export interface TripleBarrierSpec {
  readonly pt_multiplier: number;
  readonly sl_multiplier: number;
  readonly max_holding_period: number;
  readonly vol_span: number;
  readonly vol_method: string;
  readonly compute_weights: boolean;
  readonly cusum_threshold: number | null;
  readonly cusum_multiplier: number;
}

/** σ per bar as 7.8.3 step 1, with the leading NaN / 0 values replaced by σ at min(vol_span, n − 1). */
export function barrierVolatility(bars: BarSeries, span: number, method: string): Float64Array {
  const { high, low, close } = bars;
  const n = close.length;
  let sigma: Float64Array;
  if (method.toLowerCase() === 'atr') {
    const range = new Float64Array(n);
    for (let t = 0; t < n; t++) range[t] = ((high[t] as number) - (low[t] as number)) / (close[t] as number);
    sigma = ewmMean(range, span);
  } else {
    sigma = ewmStd(logReturns(close), span);
  }
  const k = Math.min(span, n - 1);
  const fill = sigma[k] as number;
  for (let t = 0; t < k; t++) if (Number.isNaN(sigma[t] as number) || sigma[t] === 0) sigma[t] = fill;
  return sigma;
}

/** Bars kept by the symmetric CUSUM filter on log returns (7.8.3 step 6). */
export function cusumEvents(close: Float64Array, threshold: number, multiplier: number, span: number): Uint8Array {
  const returns = logReturns(close);
  let h = threshold;
  if (!(h > 0)) {
    const std = ewmStd(returns, span);
    let sum = 0;
    let count = 0;
    for (const value of std) {
      if (Number.isNaN(value)) continue;
      sum += value;
      count++;
    }
    h = multiplier * (count === 0 ? 0 : sum / count);
  }
  const events = new Uint8Array(close.length);
  let up = 0;
  let down = 0;
  for (let t = 1; t < close.length; t++) {
    const r = returns[t] as number;
    up = Math.max(0, up + r - h);
    down = Math.min(0, down + r + h);
    if (up > h) {
      up = 0;
      events[t] = 1;
    } else if (down < -h) {
      down = 0;
      events[t] = 1;
    }
  }
  return events;
}

export function tripleBarrierLabels(bars: BarSeries, spec: TripleBarrierSpec): LabelResult {
  const { high, low, close } = bars;
  const n = close.length;
  const H = spec.max_holding_period;
  if (n < H + spec.vol_span) {
    throw new KtrdrError(
      'VALIDATION_ERROR',
      `triple_barrier labels: ${n} bars of ${bars.symbol} ${bars.timeframe}, max_holding_period ${H} + vol_span ${spec.vol_span} need at least ${H + spec.vol_span}`,
    );
  }
  const sigma = barrierVolatility(bars, spec.vol_span, spec.vol_method);
  const values = new Float64Array(n).fill(NaN);
  const holding = new Int32Array(n);
  for (let t = 0; t + H < n; t++) {
    const entry = close[t] as number;
    const s = sigma[t] as number;
    const upper = entry * (1 + spec.pt_multiplier * s);
    const lower = entry * (1 - spec.sl_multiplier * s);
    let side = NaN;
    let hold = H;
    for (let k = 1; k <= H; k++) {
      const hitUpper = (high[t + k] as number) >= upper;
      const hitLower = (low[t + k] as number) <= lower;
      if (hitUpper || hitLower) {
        side = hitUpper && hitLower ? ((close[t + k] as number) >= entry ? 1 : -1) : hitUpper ? 1 : -1;
        hold = k;
        break;
      }
    }
    if (Number.isNaN(side)) {
      const r = ((close[t + H] as number) - entry) / entry;
      side = Math.abs(r) < s * Math.sqrt(H) * 0.5 ? 0 : Math.sign(r);
    }
    // +1 → BUY 0, 0 → HOLD 1, −1 → SELL 2.
    values[t] = 1 - side;
    holding[t] = hold;
  }
  let weights: Float64Array | undefined;
  if (spec.compute_weights) weights = uniquenessWeights(values, holding);
  if (spec.cusum_threshold !== null) {
    const events = cusumEvents(close, spec.cusum_threshold, spec.cusum_multiplier, spec.vol_span);
    for (let t = 0; t < n; t++) {
      if (events[t] === 0) {
        values[t] = NaN;
        if (weights) weights[t] = NaN;
      }
    }
  }
  return { values, horizon: H, kind: 'classification', classes: SIGNAL_CLASSES, ...(weights ? { weights } : {}) };
}

/** Mean over a label's window [t, t + hold) of 1/concurrency, normalised to mean 1 over the labelled bars. */
function uniquenessWeights(values: Float64Array, holding: Int32Array): Float64Array {
  const n = values.length;
  const concurrency = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    if (Number.isNaN(values[t] as number)) continue;
    for (let u = t; u < Math.min(n, t + (holding[t] as number)); u++) concurrency[u] = (concurrency[u] as number) + 1;
  }
  const weights = new Float64Array(n).fill(NaN);
  let sum = 0;
  let count = 0;
  for (let t = 0; t < n; t++) {
    if (Number.isNaN(values[t] as number)) continue;
    const end = Math.min(n, t + (holding[t] as number));
    let total = 0;
    for (let u = t; u < end; u++) total += 1 / (concurrency[u] as number);
    weights[t] = total / (end - t);
    sum += weights[t] as number;
    count++;
  }
  const mean = sum / count;
  for (let t = 0; t < n; t++) if (!Number.isNaN(weights[t] as number)) weights[t] = (weights[t] as number) / mean;
  return weights;
}
