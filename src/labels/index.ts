/**
 * The one entry point from a strategy's `training.labels` to per-bar labels.
 * Every source labels the bars of ONE series (one symbol, the base timeframe):
 * values are indexed like `bars.time`, so callers pair labels with feature
 * rows by timestamp (our rules 3-4: per-symbol, base-timeframe labels).
 */
import type { BarSeries } from '../market-data/types.js';
import type { LabelsSpec } from '../strategy/schema-model.js';
import { regimeLabels } from './regime.js';
import { contextLabels, forwardReturnLabels } from './returns.js';
import { zigzagSegmentLabels } from './segments.js';
import { tripleBarrierLabels } from './triple-barrier.js';
import { SIGNAL_CLASSES, type LabelResult } from './types.js';
import { UNLABELLED, zigzagLabels } from './zigzag.js';

export type { LabelResult } from './types.js';
export { CONTEXT_CLASSES, REGIME_CLASSES, SIGNAL_CLASSES } from './types.js';

export interface LabelOptions {
  /** `decisions.output_format`: forward_return labels are returns for regression, BUY/HOLD/SELL for classification. */
  readonly outputFormat?: 'classification' | 'regression';
}

export function labelsFor(spec: LabelsSpec, bars: BarSeries, options: LabelOptions = {}): LabelResult {
  switch (spec.source) {
    case 'zigzag': {
      // The original ignores label_lookahead (segment labels); a file that writes it gets the bounded-horizon labels it asks for.
      if (spec.label_lookahead === null) return zigzagSegmentLabels(bars.close, spec.zigzag_threshold);
      const labels = zigzagLabels(bars.close, spec.zigzag_threshold, spec.label_lookahead);
      const values = Float64Array.from(labels, (label) => (label === UNLABELLED ? NaN : label));
      return { values, horizon: spec.label_lookahead, kind: 'classification', classes: SIGNAL_CLASSES };
    }
    case 'forward_return':
      return forwardReturnLabels(bars.close, spec, options.outputFormat ?? 'regression');
    case 'triple_barrier':
      return tripleBarrierLabels(bars, spec);
    case 'context':
      return contextLabels(bars.close, spec);
    case 'regime':
      return regimeLabels(bars, spec);
  }
}
