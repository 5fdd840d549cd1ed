/**
 * Squeeze intensity: how far the Bollinger Bands sit inside the Keltner
 * Channels. BB(bb_period, bb_multiplier, source); Keltner(kc_period, ATR
 * period fixed at 10 as in the original, kc_multiplier) on the close;
 * R = KCupper - KClower; value = max(0, min((KCupper - BBupper) / R,
 * (BBlower - KClower) / R)) where |R| > 1e-10, else 0. Hence, as in the
 * original, bars before the Keltner ATR exists read 0, bars where only the
 * Bollinger Bands are missing read NaN.
 * Warm-up: bb_period - 1 when that exceeds the Keltner ATR's 9 bars, else none.
 */
import { indicatorParams, intParam, numberParam, sourceColumn, sourceParam } from './params.js';
import { bollingerBands } from './bbands.js';
import { keltnerChannels } from './keltner.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

/** The original builds its Keltner Channels with their default ATR period. */
const KELTNER_ATR_PERIOD = 10;

export const squeezeParams = indicatorParams('squeezeintensity', {
  bb_period: intParam('bb_period', 20, 2, 100),
  bb_multiplier: numberParam('bb_multiplier', 2, { above: 0, atMost: 5 }, true),
  kc_period: intParam('kc_period', 20, 2, 100),
  kc_multiplier: numberParam('kc_multiplier', 2, { above: 0, atMost: 5 }, true),
  source: sourceParam(),
});

export function squeezeIntensity(
  bars: { high: Float64Array; low: Float64Array; close: Float64Array },
  values: Float64Array,
  params: { bb_period: number; bb_multiplier: number; kc_period: number; kc_multiplier: number },
): Float64Array {
  const bands = bollingerBands(values, params.bb_period, params.bb_multiplier);
  const channels = keltnerChannels(bars.high, bars.low, bars.close, params.kc_period, KELTNER_ATR_PERIOD, params.kc_multiplier);
  const out = new Float64Array(values.length);
  for (let t = 0; t < values.length; t++) {
    const range = channels.upper[t]! - channels.lower[t]!;
    out[t] =
      Math.abs(range) > 1e-10
        ? Math.max(0, Math.min((channels.upper[t]! - bands.upper[t]!) / range, (bands.lower[t]! - channels.lower[t]!) / range))
        : 0;
  }
  return out;
}

export const squeezeintensity = defineIndicator({
  type: 'squeezeintensity',
  aliases: ['squeezeintensityindicator'],
  family: 'other',
  params: squeezeParams,
  outputs: [],
  warmup: ({ bb_period }) => (bb_period - 1 > KELTNER_ATR_PERIOD - 1 ? bb_period - 1 : 0),
  minBars: ({ bb_period, kc_period }) => Math.max(bb_period, kc_period),
  compute: (bars, { source, ...params }) => ({ [SINGLE_OUTPUT]: squeezeIntensity(bars, sourceColumn(bars, source), params) }),
});
