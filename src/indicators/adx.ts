/**
 * Average Directional Index with +DI and -DI as the earlier ktrdr computes
 * them: up = H[t] - H[t-1], down = L[t-1] - L[t]; +DM = up if up > down and
 * up > 0, else 0; -DM = down if down > up and down > 0, else 0 (bar 0: both
 * 0); TR with bar 0 = H - L. TR, +DM and -DM are smoothed by Wilder's alpha
 * 1 / period from bar 0 (pandas EWM, no SMA seed); +-DI = 100 * smoothed DM /
 * smoothed TR (0 where smoothed TR is 0); DX = 100 * |+DI - -DI| / (+DI + -DI)
 * (0 where the sum is 0); ADX = the same smoothing of DX from bar 0.
 * Warm-up: none (the first values lean on bar 0, as in the original).
 */
import { indicatorParams, intParam } from './params.js';
import { trueRange, wilder } from './smoothing.js';
import { defineIndicator } from './types.js';

export const adxParams = indicatorParams('adx', { period: intParam('period', 14, 2, 200) });

export interface AdxOutputs {
  adx: Float64Array;
  plus_di: Float64Array;
  minus_di: Float64Array;
}

export function averageDirectionalIndex(high: Float64Array, low: Float64Array, close: Float64Array, period: number): AdxOutputs {
  const n = close.length;
  const plusDm = new Float64Array(n);
  const minusDm = new Float64Array(n);
  for (let t = 1; t < n; t++) {
    const up = high[t]! - high[t - 1]!;
    const down = low[t - 1]! - low[t]!;
    plusDm[t] = up > down && up > 0 ? up : 0;
    minusDm[t] = down > up && down > 0 ? down : 0;
  }
  const range = wilder(trueRange(high, low, close), period);
  const plusSmoothed = wilder(plusDm, period);
  const minusSmoothed = wilder(minusDm, period);
  const plusDi = new Float64Array(n);
  const minusDi = new Float64Array(n);
  const dx = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const tr = range[t]!;
    plusDi[t] = tr !== 0 ? (100 * plusSmoothed[t]!) / tr : 0;
    minusDi[t] = tr !== 0 ? (100 * minusSmoothed[t]!) / tr : 0;
    const sum = plusDi[t]! + minusDi[t]!;
    dx[t] = sum !== 0 ? (100 * Math.abs(plusDi[t]! - minusDi[t]!)) / sum : 0;
  }
  return { adx: wilder(dx, period), plus_di: plusDi, minus_di: minusDi };
}

export const adx = defineIndicator({
  type: 'adx',
  aliases: ['adxindicator'],
  family: 'trend',
  params: adxParams,
  outputs: ['adx', 'plus_di', 'minus_di'],
  warmup: () => 0,
  minBars: ({ period }) => 2 * period + 1,
  compute: (bars, { period }) => ({ ...averageDirectionalIndex(bars.high, bars.low, bars.close, period) }),
});
