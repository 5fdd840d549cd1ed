/**
 * Loading the bars a strategy's features read, for one symbol: the same code
 * for training, backtests and `ktrdr strategy features`, so that the three see
 * the same data. Where the bars come from is the caller's (`BarsSource`): the
 * data directory for the CLI, the backend's `/data` routes for a worker.
 *
 * The base timeframe is loaded up to `end`; when `start` is given, only
 * `warmupBars` bars before it are kept (history_required: they warm the
 * indicators up and are not trained on). Every other timeframe is loaded from
 * its first bar to the end of the last base bar, from `<SYMBOL>_<TF>.csv`, so
 * that its indicators have their whole history (a daily RSI needs weeks that
 * `history_required` hourly bars do not cover); when that file does not exist
 * and the timeframe is a whole multiple of the base, its bars are resampled from
 * the base timeframe's whole history (market-data/resample.ts) and the log says so.
 * The context series the strategy's indicators read (`data_source`, context.ts)
 * are loaded whole up to the end of the last base bar: alignment keeps what a
 * bar may see.
 */
import { KtrdrError } from '../common/errors.js';
import { formatIsoUtc, parseIsoUtc } from '../market-data/dates.js';
import { loadContextSeries } from '../market-data/context.js';
import { MarketDataNotFoundError } from '../market-data/errors.js';
import type { MarketDataRepository } from '../market-data/repository.js';
import { resampleBars, resampleProblem } from '../market-data/resample.js';
import { firstIndexAtOrAfter, sliceByIndex, TIMEFRAME_MS, type BarSeries, type Timeframe } from '../market-data/types.js';
import { loadContextFrames, type ContextSeriesSource, type ContextSource } from './context.js';
import type { FeatureSpec, MarketInputs } from './features.js';

/** Bars of one series in `[start, end)` (ISO text, either bound open), or null when the series does not exist. */
export interface BarsSource {
  load(symbol: string, timeframe: Timeframe, range: { start?: string; end?: string }): Promise<BarSeries | null>;
}

export interface LoadMarketInputsOptions {
  readonly spec: Pick<FeatureSpec, 'base_timeframe' | 'timeframes'>;
  readonly symbol: string;
  readonly source: BarsSource;
  readonly start?: string | null;
  readonly end?: string | null;
  /** Base bars kept before `start` to warm the indicators up. */
  readonly warmupBars?: number;
  /** Where to say what was resampled. */
  readonly log?: (message: string) => void;
  /** The context sources to load (a spec's `context`) and where their `date,value` files come from. */
  readonly context?: { readonly sources: readonly ContextSource[]; readonly series: ContextSeriesSource };
}

export interface LoadedMarketInputs {
  readonly inputs: MarketInputs;
  /** The first base bar at or after `start` (0 without a start): rows before it are warm-up. */
  readonly firstRow: number;
  /** The timeframes built from the base bars because their file is missing. */
  readonly resampled: Timeframe[];
}

export function missingDataMessage(symbol: string, timeframe: string): string {
  return (
    `no market data for ${symbol} ${timeframe}: ${symbol}_${timeframe}.csv does not exist in KTRDR_DATA_DIR ` +
    `(a CSV with the header date,open,high,low,close,volume; create one with: ktrdr data generate ${symbol} ${timeframe})`
  );
}

export async function loadMarketInputs(options: LoadMarketInputsOptions): Promise<LoadedMarketInputs> {
  const { spec, symbol, source, log } = options;
  const baseTf = spec.base_timeframe;
  const end = options.end ?? undefined;
  const history = await source.load(symbol, baseTf, end === undefined ? {} : { end });
  if (history === null) throw new KtrdrError('NOT_FOUND', missingDataMessage(symbol, baseTf));
  const startMs = options.start ? parseIsoUtc(options.start) : null;
  const inRange = startMs === null ? 0 : firstIndexAtOrAfter(history.time, startMs);
  const from = startMs === null ? 0 : Math.max(0, inRange - (options.warmupBars ?? 0));
  const base = from === 0 ? history : sliceByIndex(history, from, history.time.length);
  const timeframes = new Map<string, BarSeries>([[baseTf, base]]);
  const resampled: Timeframe[] = [];
  if (base.time.length === 0) return { inputs: { base, timeframes }, firstRow: 0, resampled };

  // The other timeframes from their first bar (their indicators warm up on their own history, whatever the
  // base's warm-up), up to the end of the last base bar: a bar opening later is never visible.
  const spanEnd = formatIsoUtc((base.time[base.time.length - 1] as number) + TIMEFRAME_MS[baseTf]);
  for (const tf of spec.timeframes) {
    if (tf === baseTf) continue;
    const bars = await source.load(symbol, tf, { end: spanEnd });
    if (bars !== null) {
      timeframes.set(tf, bars);
      continue;
    }
    const problem = resampleProblem(baseTf, tf);
    if (problem) {
      throw new KtrdrError('NOT_FOUND', `${missingDataMessage(symbol, tf)}; it cannot be resampled from the base timeframe: ${problem}`);
    }
    timeframes.set(tf, resampleBars(history, tf));
    resampled.push(tf);
    log?.(`${symbol}_${tf}.csv does not exist: ${tf} bars resampled from ${baseTf} (UTC-aligned OHLCV aggregation)`);
  }
  const context = options.context;
  if (!context || context.sources.length === 0) return { inputs: { base, timeframes }, firstRow: inRange - from, resampled };
  const frames = await loadContextFrames({
    sources: context.sources,
    series: context.series,
    bars: (other, tf, to) => source.load(other, tf, { end: to }),
    end: spanEnd,
    missingBars: missingDataMessage,
  });
  return { inputs: { base, timeframes, context: frames }, firstRow: inRange - from, resampled };
}

/** A `ContextSeriesSource` over a data directory (the CLI's, and the backend's own). */
export function directoryContextSource(dataDir: string): ContextSeriesSource {
  return { load: (provider, series) => loadContextSeries(dataDir, provider, series) };
}

/** Whether an error from a bars service means "no such series" (a 404 over HTTP, NOT_FOUND in process). */
export function isMissingSeries(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { status, code } = error as { status?: unknown; code?: unknown };
  return status === 404 || code === 'NOT_FOUND';
}

/** A `BarsSource` over a data directory (the CLI's, and the backend's own). */
export function repositoryBarsSource(repository: MarketDataRepository): BarsSource {
  return {
    async load(symbol, timeframe, range) {
      try {
        return await repository.load(symbol, timeframe, range);
      } catch (error) {
        if (error instanceof MarketDataNotFoundError) return null;
        throw error;
      }
    },
  };
}
