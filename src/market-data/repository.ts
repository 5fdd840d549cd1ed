/**
 * The market data directory (KTRDR_DATA_DIR, given by the caller): which
 * series it holds and the bars of one, optionally within a date range.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadContextSeries, parseContextCsv, type ContextFileProvider, type ContextSeries } from './context.js';
import { validateCsv, type GapPolicy } from './csv.js';
import { formatIsoUtc, parseIsoUtc } from './dates.js';
import { MarketDataError, MarketDataNotFoundError, MarketDataRangeError } from './errors.js';
import type { ParsedFileCache } from './file-cache.js';
import { dataFileName, parseDataFileName, symbolProblem, timeframeProblem } from './file-name.js';
import { barCount, sliceByTime, Timeframe, type BarSeries } from './types.js';

export interface DataFileSummary {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** Rows after the header (counted, not validated: `ktrdr data validate` checks them). */
  readonly bars: number;
  /** The first and last rows' dates as ISO text, or null when unreadable. */
  readonly start: string | null;
  readonly end: string | null;
  /** The file name inside the directory. */
  readonly file: string;
}

export interface DirectoryScan {
  readonly files: DataFileSummary[];
  /** `.csv` files whose name is not `<SYMBOL>_<TIMEFRAME>.csv`, with why. */
  readonly ignored: { file: string; reason: string }[];
}

/**
 * A date range: ISO dates or date-times (UTC) or milliseconds since the epoch.
 * `start` is inclusive and `end` exclusive, as in `sliceByTime`.
 */
export interface DateRange {
  readonly start?: string | number;
  readonly end?: string | number;
}

export interface LoadOptions extends DateRange {
  readonly gaps?: GapPolicy;
}

const TIMEFRAME_ORDER = new Map(Timeframe.options.map((timeframe, index) => [timeframe, index]));

function isMissingFile(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}

function toMs(value: string | number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : parseIsoUtc(value.trim());
  if (ms === null || !Number.isFinite(ms)) throw new MarketDataRangeError(`${name} '${value}' is not an ISO date or date-time (e.g. 2024-01-05 or 2024-01-05T13:00:00Z)`);
  return ms;
}

/** Bars, first and last dates of a data file without parsing every row. */
function summarize(text: string): { bars: number; start: string | null; end: string | null } {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, '')).filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').replace(/^\uFEFF/, '').split(',').map((name) => name.trim().toLowerCase());
  const dateIndex = header.indexOf('date');
  const dateOf = (line: string | undefined): string | null => {
    if (line === undefined || dateIndex < 0) return null;
    const ms = parseIsoUtc((line.split(',')[dateIndex] ?? '').trim());
    return ms === null ? null : formatIsoUtc(ms);
  };
  const rows = lines.slice(1);
  return { bars: rows.length, start: dateOf(rows[0]), end: dateOf(rows[rows.length - 1]) };
}

const seriesBytes = (series: BarSeries): number =>
  series.time.byteLength + series.open.byteLength + series.high.byteLength + series.low.byteLength + series.close.byteLength + series.volume.byteLength;

/** Reads a whole file as text and parses it (the cache's signature, without a cache). */
const readAndParse = async <T>(path: string, parse: (text: string) => T): Promise<T> => parse(await readFile(path, 'utf8'));

export class MarketDataRepository {
  /**
   * `cache`: keep parsed series in memory, re-reading a file only when it changes
   * (the backend, which serves the same series again and again). Without one
   * every load reads the file (the CLI, which loads a series once).
   */
  constructor(
    readonly dir: string,
    private readonly cache?: ParsedFileCache,
  ) {}

  /** The path a series is (or would be) stored at. */
  pathOf(symbol: string, timeframe: Timeframe): string {
    return join(this.dir, dataFileName(symbol, timeframe));
  }

  /** Every data file, sorted by symbol then timeframe; an absent directory holds none. */
  async scan(): Promise<DirectoryScan> {
    let entries: { name: string; isFile(): boolean }[];
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch (error) {
      if (isMissingFile(error)) return { files: [], ignored: [] };
      throw error;
    }
    const files: DataFileSummary[] = [];
    const ignored: { file: string; reason: string }[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.toLowerCase().endsWith('.csv')) continue;
      let name;
      try {
        name = parseDataFileName(entry.name);
      } catch (error) {
        if (!(error instanceof MarketDataError)) throw error;
        ignored.push({ file: entry.name, reason: error.problems[0]?.reason ?? error.message });
        continue;
      }
      const text = await readFile(join(this.dir, entry.name), 'utf8');
      files.push({ symbol: name.symbol, timeframe: name.timeframe, ...summarize(text), file: entry.name });
    }
    files.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : (TIMEFRAME_ORDER.get(a.timeframe) ?? 0) - (TIMEFRAME_ORDER.get(b.timeframe) ?? 0)));
    ignored.sort((a, b) => (a.file < b.file ? -1 : 1));
    return { files, ignored };
  }

  async list(): Promise<DataFileSummary[]> {
    return (await this.scan()).files;
  }

  /**
   * The bars of one series, validated (any error throws `MarketDataError`),
   * within `[start, end)` when given. Throws `MarketDataNotFoundError` naming
   * the file looked for, and `MarketDataRangeError` for a bad or empty range.
   * With a cache the columns are (views on) the cached copy, shared by every
   * caller: read-only.
   */
  async load(symbol: string, timeframe: Timeframe, options: LoadOptions = {}): Promise<BarSeries> {
    const problem = symbolProblem(symbol) ?? timeframeProblem(timeframe);
    if (problem) throw new MarketDataError([{ file: `${symbol}_${timeframe}.csv`, line: 0, reason: problem }]);
    const startMs = toMs(options.start, 'start');
    const endMs = toMs(options.end, 'end');
    if (startMs !== undefined && endMs !== undefined && startMs >= endMs) {
      throw new MarketDataRangeError(`start ${formatIsoUtc(startMs)} is not before end ${formatIsoUtc(endMs)} (the range is [start, end))`);
    }

    const path = this.pathOf(symbol, timeframe);
    let series: BarSeries;
    try {
      series = await this.parsed(path, `bars:${symbol}:${timeframe}:${options.gaps ?? 'warn'}`, (text) => {
        const validation = validateCsv(text, path, { symbol, timeframe, ...(options.gaps !== undefined && { gaps: options.gaps }) });
        if (!validation.series) throw new MarketDataError(validation.errors);
        return validation.series;
      }, seriesBytes);
    } catch (error) {
      if (!isMissingFile(error)) throw error;
      throw new MarketDataNotFoundError(path, await this.notFoundMessage(symbol, timeframe, path));
    }
    if (startMs === undefined && endMs === undefined) return series;

    const selected = sliceByTime(series, startMs, endMs);
    if (barCount(selected) === 0) {
      const first = formatIsoUtc(series.time[0] as number);
      const last = formatIsoUtc(series.time[barCount(series) - 1] as number);
      const range = `[${startMs === undefined ? '-' : formatIsoUtc(startMs)}, ${endMs === undefined ? '-' : formatIsoUtc(endMs)})`;
      throw new MarketDataRangeError(`no ${symbol} ${timeframe} bars in ${range}: ${path} covers ${first} to ${last}`);
    }
    return selected;
  }

  /** A context series (`context/<provider>/<SERIES>.csv`), through the cache when there is one. */
  async loadContext(provider: ContextFileProvider, series: string): Promise<ContextSeries> {
    return loadContextSeries(this.dir, provider, series, (path) =>
      this.parsed(path, `context:${provider}:${series}`, (text) => parseContextCsv(text, path, provider, series), (parsed) => parsed.time.byteLength + parsed.value.byteLength),
    );
  }

  private parsed<T>(path: string, variant: string, parse: (text: string) => T, sizeOf: (value: T) => number): Promise<T> {
    return this.cache ? this.cache.get(path, variant, parse, sizeOf) : readAndParse(path, parse);
  }

  private async notFoundMessage(symbol: string, timeframe: Timeframe, path: string): Promise<string> {
    const others = (await this.list()).filter((file) => file.symbol === symbol).map((file) => file.timeframe);
    const hint = others.length > 0 ? `${symbol} is available in ${others.join(', ')}` : `run: ktrdr data generate ${symbol} ${timeframe}`;
    return `no market data for ${symbol} ${timeframe}: ${path} does not exist (${hint})`;
  }
}
