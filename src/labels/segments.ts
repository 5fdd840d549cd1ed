/**
 * Zig-zag segment labels as the original computes them (7.8.1): every bar
 * strictly between two consecutive pivots is BUY when the segment rises and
 * SELL when it falls; pivot bars and the bars after the last pivot are HOLD.
 * A label reads prices up to the bar that settled its segment's end pivot,
 * which is the horizon reported for purging.
 */
import { KtrdrError } from '../common/errors.js';
import { zigzagPivots } from './pivots.js';
import { SIGNAL_CLASSES, type LabelResult } from './types.js';

const BUY = 0;
const HOLD = 1;
const SELL = 2;

export function zigzagSegmentLabels(close: Float64Array, threshold: number): LabelResult {
  if (!(Number.isFinite(threshold) && threshold > 0 && threshold < 1)) {
    throw new KtrdrError('VALIDATION_ERROR', `training.labels.zigzag_threshold ${threshold} must be a fraction > 0 and < 1 (e.g. 0.025 for 2.5%)`);
  }
  for (let i = 0; i < close.length; i++) {
    const price = close[i] as number;
    if (!(Number.isFinite(price) && price > 0)) {
      throw new KtrdrError('VALIDATION_ERROR', `zigzag labels: close at bar ${i} is ${price}, closes must be finite and > 0`);
    }
  }
  const n = close.length;
  const values = new Float64Array(n).fill(HOLD);
  const { index, confirmedAt } = zigzagPivots(close, threshold);
  let horizon = 0;
  for (let p = 0; p + 1 < index.length; p++) {
    const from = index[p] as number;
    const to = index[p + 1] as number;
    const label = (close[to] as number) > (close[from] as number) ? BUY : SELL;
    for (let k = from + 1; k < to; k++) values[k] = label;
    // Bars from `from` on are labelled (HOLD at `from` too) from what was known at `confirmedAt[p + 1]`.
    horizon = Math.max(horizon, (confirmedAt[p + 1] as number) - from);
  }
  // The bars after the last pivot are HOLD because no later pivot was seen: settled only at the last bar.
  const last = index[index.length - 1] ?? 0;
  if (n > 0) horizon = Math.max(horizon, n - 1 - last);
  return { values, horizon, kind: 'classification', classes: SIGNAL_CLASSES };
}
