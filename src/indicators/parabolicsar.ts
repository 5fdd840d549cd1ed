/**
 * Parabolic SAR (Wilder) as the earlier ktrdr computes it: bar 0 NaN; bar 1
 * starts an uptrend when C1 > C0 (SAR = L0, EP = H1), else a downtrend (SAR =
 * H0, EP = L1), AF = initial_af. Then s = SAR[t-1] + AF * (EP - SAR[t-1]); in
 * an uptrend L[t] <= s reverses (SAR = EP, EP = L[t], AF = initial_af), else
 * SAR = min(s, L[t-1], L[t-2]) and a new high moves EP and raises AF by step_af
 * up to max_af; the downtrend mirrors it.
 * Warm-up: 1 leading NaN.
 */
import { indicatorParams, numberParam } from './params.js';
import { defineIndicator, SINGLE_OUTPUT } from './types.js';

export const parabolicSarParams = indicatorParams('parabolicsar', {
  initial_af: numberParam('initial_af', 0.02, { atLeast: 0.001, atMost: 0.1 }, false),
  step_af: numberParam('step_af', 0.02, { atLeast: 0.001, atMost: 0.1 }, false),
  max_af: numberParam('max_af', 0.2, { atLeast: 0.01, atMost: 1 }, false),
});

export function parabolicSar(high: Float64Array, low: Float64Array, close: Float64Array, initialAf: number, stepAf: number, maxAf: number): Float64Array {
  const n = close.length;
  const sar = new Float64Array(n).fill(Number.NaN);
  if (n < 2) return sar;
  let up = close[1]! > close[0]!;
  sar[1] = up ? low[0]! : high[0]!;
  let extreme = up ? high[1]! : low[1]!;
  let af = initialAf;
  for (let t = 2; t < n; t++) {
    const previous = sar[t - 1]!;
    const s = previous + af * (extreme - previous);
    if (up) {
      if (low[t]! <= s) {
        up = false;
        sar[t] = extreme;
        extreme = low[t]!;
        af = initialAf;
      } else {
        sar[t] = Math.min(s, low[t - 1]!, low[t - 2]!);
        if (high[t]! > extreme) {
          extreme = high[t]!;
          af = Math.min(af + stepAf, maxAf);
        }
      }
    } else if (high[t]! >= s) {
      up = true;
      sar[t] = extreme;
      extreme = high[t]!;
      af = initialAf;
    } else {
      sar[t] = Math.max(s, high[t - 1]!, high[t - 2]!);
      if (low[t]! < extreme) {
        extreme = low[t]!;
        af = Math.min(af + stepAf, maxAf);
      }
    }
  }
  return sar;
}

export const parabolicsar = defineIndicator({
  type: 'parabolicsar',
  aliases: ['parabolicsarindicator'],
  family: 'trend',
  params: parabolicSarParams,
  outputs: [],
  warmup: () => 1,
  minBars: () => 2,
  compute: (bars, { initial_af, step_af, max_af }) => ({ [SINGLE_OUTPUT]: parabolicSar(bars.high, bars.low, bars.close, initial_af, step_af, max_af) }),
});
