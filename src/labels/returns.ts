/**
 * Labels from the return `horizon` bars ahead: `forward_return` (7.8.2, the
 * return itself for regression, or BUY/HOLD/SELL by thresholds) and
 * `context` (7.8.4, BULLISH/BEARISH/NEUTRAL). The last `horizon` bars have no
 * label.
 */
import { KtrdrError } from '../common/errors.js';
import { CONTEXT_CLASSES, SIGNAL_CLASSES, type LabelResult } from './types.js';

function forwardReturns(close: Float64Array, horizon: number, source: string): Float64Array {
  if (!(Number.isInteger(horizon) && horizon >= 1)) {
    throw new KtrdrError('VALIDATION_ERROR', `training.labels.horizon ${horizon} must be an integer >= 1 (bars)`);
  }
  const n = close.length;
  if (n < horizon + 1) {
    throw new KtrdrError('VALIDATION_ERROR', `${source} labels: ${n} bars, horizon ${horizon} needs at least ${horizon + 1}`);
  }
  const values = new Float64Array(n).fill(NaN);
  for (let t = 0; t + horizon < n; t++) {
    const now = close[t] as number;
    if (now === 0) throw new KtrdrError('VALIDATION_ERROR', `${source} labels: close at bar ${t} is 0, a return from it is undefined`);
    values[t] = ((close[t + horizon] as number) - now) / now;
  }
  return values;
}

/** Classes by return: above `bullish` → first class, below `bearish` → `below`, else `between`. */
function classify(returns: Float64Array, bullish: number, bearish: number, above: number, below: number, between: number): Float64Array {
  return returns.map((r) => (Number.isNaN(r) ? NaN : r > bullish ? above : r < bearish ? below : between));
}

export function forwardReturnLabels(
  close: Float64Array,
  spec: { horizon: number; bullish_threshold: number; bearish_threshold: number },
  kind: 'classification' | 'regression',
): LabelResult {
  const returns = forwardReturns(close, spec.horizon, 'forward_return');
  if (kind === 'regression') return { values: returns, horizon: spec.horizon, kind, classes: [] };
  // BUY 0 above the bullish threshold, SELL 2 below the bearish one, HOLD 1 between.
  return { values: classify(returns, spec.bullish_threshold, spec.bearish_threshold, 0, 2, 1), horizon: spec.horizon, kind, classes: SIGNAL_CLASSES };
}

export function contextLabels(close: Float64Array, spec: { horizon: number; bullish_threshold: number; bearish_threshold: number }): LabelResult {
  const returns = forwardReturns(close, spec.horizon, 'context');
  return {
    values: classify(returns, spec.bullish_threshold, spec.bearish_threshold, 0, 1, 2),
    horizon: spec.horizon,
    kind: 'classification',
    classes: CONTEXT_CLASSES,
  };
}
