/**
 * Training labels from the zig-zag of future prices. The label of bar t looks
 * at close[t+1 .. t+lookahead] and asks which threshold is crossed first:
 * - BUY  when close rises to >= close[t] * (1 + threshold) before it falls to
 *        <= close[t] * (1 - threshold);
 * - SELL when it falls that far first;
 * - HOLD when neither happens within `lookahead` bars.
 * The last `lookahead` bars have no full window and get UNLABELLED (-1), as
 * does a bar whose own close is NaN, so training never sees a label that the
 * data could not settle. Labels look ahead by design; they are targets, never
 * features.
 */
import { KtrdrError } from '../common/errors.js';

/** Class names by label index: 0 BUY, 1 HOLD, 2 SELL. */
export const LABELS = ['BUY', 'HOLD', 'SELL'] as const;
export type Label = (typeof LABELS)[number];

export const BUY = 0;
export const HOLD = 1;
export const SELL = 2;
export const UNLABELLED = -1;

export function zigzagLabels(close: Float64Array, threshold: number, lookahead: number): Int8Array {
  if (!(Number.isFinite(threshold) && threshold > 0 && threshold < 1)) {
    throw new KtrdrError('VALIDATION_ERROR', `zigzag threshold ${threshold} must be a fraction > 0 and < 1 (e.g. 0.025 for 2.5%)`);
  }
  if (!(Number.isInteger(lookahead) && lookahead >= 1)) {
    throw new KtrdrError('VALIDATION_ERROR', `zigzag lookahead ${lookahead} must be an integer >= 1 (bars)`);
  }
  const n = close.length;
  const labels = new Int8Array(n).fill(UNLABELLED);
  const lastLabelled = n - 1 - lookahead;
  for (let t = 0; t <= lastLabelled; t++) {
    const price = close[t]!;
    if (Number.isNaN(price)) continue;
    const up = price * (1 + threshold);
    const down = price * (1 - threshold);
    let label = HOLD;
    for (let j = t + 1; j <= t + lookahead; j++) {
      const future = close[j]!;
      if (future >= up) {
        label = BUY;
        break;
      }
      if (future <= down) {
        label = SELL;
        break;
      }
    }
    labels[t] = label;
  }
  return labels;
}
