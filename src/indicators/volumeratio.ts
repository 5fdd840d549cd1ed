/**
 * Volume ratio: V / SMA(V, period) where |SMA| > 1e-10, else 1.0 (so the
 * warm-up rows and zero-volume data read 1.0, as in the original).
 * Warm-up: none.
 */
import { indicatorParams, intParam } from './params.js';
import { simpleMovingAverage } from './smoothing.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const volumeRatioParams = indicatorParams('volumeratio', { period: intParam('period', 20, 2, 100) });

export function volumeRatio(volume: Float64Array, period: number): Float64Array {
  const average = simpleMovingAverage(volume, period);
  const out = new Float64Array(volume.length);
  for (let t = 0; t < volume.length; t++) out[t] = Math.abs(average[t]!) > 1e-10 ? volume[t]! / average[t]! : 1;
  return out;
}

export const volumeratio = defineIndicator({
  type: 'volumeratio',
  aliases: ['volumeratioindicator'],
  family: 'other',
  params: volumeRatioParams,
  outputs: [],
  warmup: () => 0,
  minBars: ({ period }) => period,
  compute: (bars, { period }) => ({ [SINGLE_OUTPUT]: volumeRatio(bars.volume, period) }),
});
