/**
 * Which bar of another timeframe a base bar may read (STRATEGY-V3 §5.5.3,
 * Appendix C items 1-2, our rule 4): at the base bar `[T, T + d_base)` the
 * latest bar of the other timeframe that has CLOSED by the base bar's close,
 * i.e. `t + d_tf <= T + d_base`. Bars are stamped with their opening time, so
 * the original's as-of join showed the higher bar still in progress (its close
 * is future information); this rule never does, and it is the one training,
 * backtests and `strategy features` all use (they share this function).
 *
 * For a lower timeframe (5m under a 1h base) the same rule gives the last 5m
 * bar of the hour. Before the first closed bar there is nothing: -1, and the
 * features read NaN there (no back-fill, unlike the original's backtest).
 */

/**
 * For every base bar, the index of the visible bar in `otherTime` (ascending
 * opening times), or -1. `baseMs` and `otherMs` are the bar lengths.
 */
export function completedBarIndex(baseTime: Float64Array, baseMs: number, otherTime: Float64Array, otherMs: number): Int32Array {
  const visible = new Int32Array(baseTime.length);
  let j = -1;
  for (let i = 0; i < baseTime.length; i++) {
    const baseClose = (baseTime[i] as number) + baseMs;
    while (j + 1 < otherTime.length && (otherTime[j + 1] as number) + otherMs <= baseClose) j++;
    visible[i] = j;
  }
  return visible;
}

/**
 * For every base bar, the index of the last observation stamped at or before
 * the bar's opening time, or -1 (context series: an observation dated D is
 * known from D on, and a bar may only use what was known when it opened).
 */
export function observedIndex(baseTime: Float64Array, observationTime: Float64Array): Int32Array {
  const visible = new Int32Array(baseTime.length);
  let j = -1;
  for (let i = 0; i < baseTime.length; i++) {
    const t = baseTime[i] as number;
    while (j + 1 < observationTime.length && (observationTime[j + 1] as number) <= t) j++;
    visible[i] = j;
  }
  return visible;
}

/** `values` read through `index` (-1 → NaN): a series of the other timeframe laid onto the base bars. */
export function gatherAligned(values: Float64Array, index: Int32Array): Float64Array {
  const out = new Float64Array(index.length);
  for (let i = 0; i < index.length; i++) {
    const j = index[i] as number;
    out[i] = j < 0 ? Number.NaN : (values[j] as number);
  }
  return out;
}
