/**
 * Context data (STRATEGY-V3 §2.6-2.7): the external series an indicator reads
 * with `data_source: <source id>` instead of the instrument's own bars.
 *
 * - Source ids are resolved once, from the strategy's `context_data`, into
 *   plain JSON (`ContextSource`) that the model's feature specification stores,
 *   so a backtest loads exactly what training loaded.
 * - Loading: an `ib` source is another instrument's bars (`<SYMBOL>_<TF>.csv`,
 *   through the caller's `BarsSource`); `fred` and `cftc_cot` sources are
 *   `date,value` files (`ContextSeriesSource`: the data directory for the CLI,
 *   the backend's `/context` route for a worker).
 * - Derived series: `yield_spread_<a>_<b>` is `a − b` on the dates both have;
 *   `cot_<R>_net_pct` is the 52-week percentile rank of the net position.
 * - Alignment onto the base bars (our rule 4): a dated observation is visible
 *   from its date on (`observedIndex`: stamped at or before the bar's opening);
 *   an `ib` bar once it has closed (`completedBarIndex`, as other timeframes).
 *   As in the original, the indicator is then computed on that aligned frame
 *   from its first visible row on, and reads NaN before it.
 */
import { z } from 'zod';
import { KtrdrError } from '../common/errors.js';
import type { ContextFileProvider, ContextSeries } from '../market-data/context.js';
import { type BarSeries, Timeframe, TIMEFRAME_MS } from '../market-data/types.js';
import { completedBarIndex, observedIndex } from './alignment.js';
import type { ContextEntrySpec } from './schema-data.js';
import type { Strategy } from './schema.js';

export const ContextSource = z.discriminatedUnion('kind', [
  z.strictObject({ id: z.string(), kind: z.literal('ib'), symbol: z.string(), timeframe: Timeframe }),
  z.strictObject({ id: z.string(), kind: z.literal('fred'), series: z.string() }),
  z.strictObject({ id: z.string(), kind: z.literal('yield_spread'), series: z.tuple([z.string(), z.string()]) }),
  z.strictObject({ id: z.string(), kind: z.literal('cot_net_pos'), report: z.string() }),
  z.strictObject({ id: z.string(), kind: z.literal('cot_net_pct'), report: z.string() }),
]);
export type ContextSource = z.output<typeof ContextSource>;

/** The weeks of the COT percentile rank's window (the current week and the 51 before it). */
export const COT_RANK_WEEKS = 52;

/** Every source id the entries produce, resolved (the first entry wins for an id given twice, as a dict update would not: ids are unique in practice). */
export function resolveContextSources(entries: readonly ContextEntrySpec[]): Map<string, ContextSource> {
  const sources = new Map<string, ContextSource>();
  const add = (source: ContextSource) => {
    if (!sources.has(source.id)) sources.set(source.id, source);
  };
  for (const entry of entries) {
    if (entry.provider === 'ib' && entry.symbol !== undefined) {
      const timeframe = Timeframe.safeParse(entry.timeframe ?? '1h');
      if (!timeframe.success) throw new KtrdrError('VALIDATION_ERROR', `context_data: ib ${entry.symbol} timeframe '${entry.timeframe}' has no data files here (${Timeframe.options.join(', ')})`);
      add({ id: entry.symbol, kind: 'ib', symbol: entry.symbol, timeframe: timeframe.data });
    } else if (entry.provider === 'fred' && entry.series !== undefined) {
      for (const series of entry.series) add({ id: `fred_${series}`, kind: 'fred', series });
      const [s0, s1] = entry.series;
      if (s0 !== undefined && s1 !== undefined) add({ id: `yield_spread_${s0}_${s1}`, kind: 'yield_spread', series: [s0, s1] });
    } else if (entry.provider === 'cftc_cot' && entry.report !== undefined) {
      add({ id: `cot_${entry.report}_net_pos`, kind: 'cot_net_pos', report: entry.report });
      add({ id: `cot_${entry.report}_net_pct`, kind: 'cot_net_pct', report: entry.report });
    }
  }
  return sources;
}

/** The sources every indicator of the strategy reads (`strategy features` shows them all, not only the model's). */
export function strategyContextSources(strategy: Strategy): ContextSource[] {
  const sources = resolveContextSources(strategy.context_data);
  const ids = new Set(Object.values(strategy.indicators).flatMap((indicator) => (indicator.data_source === null ? [] : [indicator.data_source])));
  return [...ids].flatMap((id) => {
    const source = sources.get(id);
    return source ? [source] : [];
  });
}

/** A `date,value` series by provider and name; a missing one throws an error naming the file, its format and the command. */
export interface ContextSeriesSource {
  load(provider: ContextFileProvider, series: string): Promise<ContextSeries>;
}

/**
 * A context series as the features read it: observation (or bar) times and
 * OHLCV columns (a dated value is its own open, high, low and close, volume 0,
 * so close-based indicators work unchanged). `barMs` is 0 for dated
 * observations (visible from their date on) and the bar length for `ib` bars
 * (visible once closed).
 */
export interface ContextFrame {
  readonly id: string;
  readonly barMs: number;
  readonly bars: BarSeries;
}

function valuesFrame(id: string, time: Float64Array, value: Float64Array): ContextFrame {
  return { id, barMs: 0, bars: { symbol: id, timeframe: '1d', time, open: value, high: value, low: value, close: value, volume: new Float64Array(value.length) } };
}

/** `a − b` on the dates both series have (the original's inner join). */
export function yieldSpread(a: ContextSeries, b: ContextSeries): { time: Float64Array; value: Float64Array } {
  const time: number[] = [];
  const value: number[] = [];
  for (let i = 0, j = 0; i < a.time.length && j < b.time.length; ) {
    const ta = a.time[i] as number;
    const tb = b.time[j] as number;
    if (ta < tb) i++;
    else if (tb < ta) j++;
    else {
      time.push(ta);
      value.push((a.value[i] as number) - (b.value[j] as number));
      i++;
      j++;
    }
  }
  return { time: Float64Array.from(time), value: Float64Array.from(value) };
}

/**
 * The rolling percentile rank of §2.6: at week i, the share (×100) of the
 * `window − 1` previous values strictly below the current one; NaN until
 * `window` values exist. In [0, 100].
 */
export function percentileRank(values: Float64Array, window = COT_RANK_WEEKS): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let i = window - 1; i < values.length; i++) {
    const current = values[i] as number;
    let below = 0;
    for (let k = i - window + 1; k < i; k++) if ((values[k] as number) < current) below++;
    out[i] = (below / (window - 1)) * 100;
  }
  return out;
}

export interface LoadContextOptions {
  readonly sources: readonly ContextSource[];
  readonly series: ContextSeriesSource;
  /** `ib` bars: another instrument's, up to `end` (ISO, exclusive). */
  readonly bars: (symbol: string, timeframe: Timeframe, end: string) => Promise<BarSeries | null>;
  readonly end: string;
  readonly missingBars: (symbol: string, timeframe: Timeframe) => string;
}

/** Every source's frame, each file read once. */
export async function loadContextFrames(options: LoadContextOptions): Promise<Map<string, ContextFrame>> {
  const files = new Map<string, Promise<ContextSeries>>();
  const file = (provider: ContextFileProvider, series: string) => {
    const key = `${provider}/${series}`;
    let loaded = files.get(key);
    if (!loaded) {
      loaded = options.series.load(provider, series);
      files.set(key, loaded);
    }
    return loaded;
  };
  const frames = new Map<string, ContextFrame>();
  for (const source of options.sources) {
    switch (source.kind) {
      case 'ib': {
        const bars = await options.bars(source.symbol, source.timeframe, options.end);
        if (bars === null) throw new KtrdrError('NOT_FOUND', `context source '${source.id}': ${options.missingBars(source.symbol, source.timeframe)}`);
        frames.set(source.id, { id: source.id, barMs: TIMEFRAME_MS[source.timeframe], bars });
        break;
      }
      case 'fred': {
        const series = await file('fred', source.series);
        frames.set(source.id, valuesFrame(source.id, series.time, series.value));
        break;
      }
      case 'yield_spread': {
        const spread = yieldSpread(await file('fred', source.series[0]), await file('fred', source.series[1]));
        frames.set(source.id, valuesFrame(source.id, spread.time, spread.value));
        break;
      }
      case 'cot_net_pos':
      case 'cot_net_pct': {
        const series = await file('cftc_cot', source.report);
        frames.set(source.id, valuesFrame(source.id, series.time, source.kind === 'cot_net_pos' ? series.value : percentileRank(series.value)));
        break;
      }
    }
  }
  return frames;
}

/**
 * `frame` laid onto the base bars: the frame's rows visible at each base bar
 * (see the module comment), from the first base bar where one is visible
 * (`offset`); before it there is nothing (the original drops those rows).
 * A value that is NaN at the source (the percentile rank's first 51 weeks)
 * is not valid yet: rows before the first valid one are dropped too.
 */
export function alignContextFrame(frame: ContextFrame, baseTime: Float64Array, baseMs: number): { offset: number; bars: BarSeries } {
  const index = frame.barMs === 0 ? observedIndex(baseTime, frame.bars.time) : completedBarIndex(baseTime, baseMs, frame.bars.time, frame.barMs);
  let offset = 0;
  const close = frame.bars.close;
  while (offset < index.length && ((index[offset] as number) < 0 || Number.isNaN(close[index[offset] as number] as number))) offset++;
  const n = index.length - offset;
  const gather = (values: Float64Array) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = values[index[offset + i] as number] as number;
    return out;
  };
  const { bars } = frame;
  return {
    offset,
    bars: {
      symbol: bars.symbol,
      timeframe: bars.timeframe,
      time: baseTime.slice(offset),
      open: gather(bars.open),
      high: gather(bars.high),
      low: gather(bars.low),
      close: gather(bars.close),
      volume: gather(bars.volume),
    },
  };
}
