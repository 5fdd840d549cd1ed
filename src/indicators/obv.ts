/**
 * On-Balance Volume: OBV[0] = 0; then + volume on a higher close, - volume on a
 * lower one, unchanged on an equal one.
 * Warm-up: none.
 */
import { indicatorParams } from './params.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const obvParams = indicatorParams('obv', {});

export function onBalanceVolume(close: Float64Array, volume: Float64Array): Float64Array {
  const out = new Float64Array(close.length);
  for (let t = 1; t < close.length; t++) {
    const change = close[t]! - close[t - 1]!;
    out[t] = out[t - 1]! + (change > 0 ? volume[t]! : change < 0 ? -volume[t]! : 0);
  }
  return out;
}

export const obv = defineIndicator({
  type: 'obv',
  aliases: ['obvindicator'],
  family: 'volume',
  params: obvParams,
  outputs: [],
  warmup: () => 0,
  minBars: () => 2,
  compute: (bars) => ({ [SINGLE_OUTPUT]: onBalanceVolume(bars.close, bars.volume) }),
});
