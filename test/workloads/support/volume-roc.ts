/**
 * A strategy whose features can be NaN after the warm-up: the rate of change
 * of the volume has no value where the volume 10 bars earlier is 0.
 */
import type { BarSeries } from '../../../src/market-data/types.js';
import { STRATEGY_YAML } from './fake-context.js';

/** strategies/macd_roc_trend.yaml with its roc_10 read from the volume. */
export const VOLUME_ROC_YAML = STRATEGY_YAML.replace('roc_10: {type: roc, period: 10}', 'roc_10: {type: roc, period: 10, source: volume}');

/** The bars with a volume of 0 at the given indices (prices untouched). */
export function withZeroVolume(bars: BarSeries, indices: readonly number[]): BarSeries {
  const volume = Float64Array.from(bars.volume);
  for (const index of indices) volume[index] = 0;
  return { ...bars, volume };
}
