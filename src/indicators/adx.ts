/**
 * Average Directional Index with +DI and -DI (Wilder, 1978).
 * For t >= 1: up = high[t] - high[t-1], down = low[t-1] - low[t];
 * +DM = up if up > down and up > 0, else 0; -DM = down if down > up and
 * down > 0, else 0 (a tie gives neither; trading-signals gives both).
 * TR, +DM and -DM are Wilder-smoothed (alpha 1 / period) from the simple mean of
 * their values at t = 1 .. period, so +DI = 100 * sm(+DM) / sm(TR) and
 * -DI = 100 * sm(-DM) / sm(TR) exist from t = period;
 * DX = 100 * |+DI - -DI| / (+DI + -DI); ADX = Wilder smoothing of DX seeded with
 * the mean of DX over t = period .. 2 * period - 1, first at t = 2 * period - 1
 * (TA-Lib and technicalindicators agree). With no range at all (sm(TR) = 0) the
 * DIs are 0, and DX is 0 when both DIs are 0.
 * Warm-up: 2 * period - 1 leading NaNs on every output (the DIs are held back
 * until ADX exists).
 */
import { z } from 'zod';
import { trueRangeAt } from './atr.js';
import { integerParam } from './params.js';
import { defineIndicator, fillWarmup } from './types.js';

export const adxParams = z.object({ period: integerParam('period', 1, 14) });

export interface AdxOutputs {
  adx: Float64Array;
  plus_di: Float64Array;
  minus_di: Float64Array;
}

export const adxWarmup = (period: number): number => 2 * period - 1;

export function averageDirectionalIndex(high: Float64Array, low: Float64Array, close: Float64Array, period: number): AdxOutputs {
  const n = close.length;
  const adx = new Float64Array(n).fill(Number.NaN);
  const plusDi = new Float64Array(n).fill(Number.NaN);
  const minusDi = new Float64Array(n).fill(Number.NaN);
  const warmup = adxWarmup(period);
  if (warmup >= n) return { adx, plus_di: plusDi, minus_di: minusDi };

  let range = 0;
  let plusMove = 0;
  let minusMove = 0;
  let adxValue = 0;
  for (let t = 1; t < n; t++) {
    const tr = trueRangeAt(high, low, close, t);
    const up = high[t]! - high[t - 1]!;
    const down = low[t - 1]! - low[t]!;
    const plusDm = up > down && up > 0 ? up : 0;
    const minusDm = down > up && down > 0 ? down : 0;
    if (t <= period) {
      range += tr;
      plusMove += plusDm;
      minusMove += minusDm;
      if (t < period) continue;
      range /= period;
      plusMove /= period;
      minusMove /= period;
    } else {
      range += (tr - range) / period;
      plusMove += (plusDm - plusMove) / period;
      minusMove += (minusDm - minusMove) / period;
    }
    const pdi = range > 0 ? (100 * plusMove) / range : 0;
    const mdi = range > 0 ? (100 * minusMove) / range : 0;
    const diSum = pdi + mdi;
    const dx = diSum > 0 ? (100 * Math.abs(pdi - mdi)) / diSum : 0;
    plusDi[t] = pdi;
    minusDi[t] = mdi;
    if (t < warmup) {
      adxValue += dx;
    } else if (t === warmup) {
      adxValue = (adxValue + dx) / period;
      adx[t] = adxValue;
    } else {
      adxValue += (dx - adxValue) / period;
      adx[t] = adxValue;
    }
  }
  return { adx, plus_di: fillWarmup(plusDi, warmup), minus_di: fillWarmup(minusDi, warmup) };
}

export const adx = defineIndicator({
  type: 'adx',
  params: adxParams,
  outputs: ['adx', 'plus_di', 'minus_di'],
  warmup: ({ period }) => adxWarmup(period),
  compute: (bars, { period }) => ({ ...averageDirectionalIndex(bars.high, bars.low, bars.close, period) }),
});
