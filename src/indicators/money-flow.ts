/**
 * The money-flow multiplier and volume that cmf and adline share:
 * mult = ((C - L) - (H - C)) / (H - L), 0 where H = L; mfv = mult * V.
 */
export function moneyFlow(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array) {
  const n = close.length;
  const multiplier = new Float64Array(n);
  const flowVolume = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const range = high[t]! - low[t]!;
    multiplier[t] = range !== 0 ? (close[t]! - low[t]! - (high[t]! - close[t]!)) / range : 0;
    flowVolume[t] = multiplier[t]! * volume[t]!;
  }
  return { multiplier, flowVolume };
}
