/**
 * What every label source hands to dataset assembly: one value per bar of the
 * series it was given (so labels and features pair by timestamp, never by
 * position in a tail), NaN where a bar has no label.
 */
export interface LabelResult {
  /** One value per bar: a class index (classification) or a real target (regression); NaN = unlabelled. */
  readonly values: Float64Array;
  /**
   * The most bars any label looked ahead of its own bar: a row whose label
   * reads prices of the next data set must be purged at a split boundary.
   */
  readonly horizon: number;
  /** Sampling weights per bar (triple_barrier `compute_weights`), NaN where unlabelled. */
  readonly weights?: Float64Array;
  readonly kind: 'classification' | 'regression';
  /** Class names by index; empty for regression. */
  readonly classes: readonly string[];
}

/** BUY / HOLD / SELL, the trade-signal coding of zigzag, triple_barrier and classified forward returns. */
export const SIGNAL_CLASSES = ['BUY', 'HOLD', 'SELL'] as const;
export const CONTEXT_CLASSES = ['BULLISH', 'BEARISH', 'NEUTRAL'] as const;
export const REGIME_CLASSES = ['TRENDING_UP', 'TRENDING_DOWN', 'RANGING', 'VOLATILE'] as const;
