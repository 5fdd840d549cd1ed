/**
 * Context series (STRATEGY-V3 §2.6): external observations a strategy's
 * `context_data` names. No network provider exists here: a `fred` or
 * `cftc_cot` series is the file `KTRDR_DATA_DIR/context/<provider>/<SERIES>.csv`
 * with the header `date,value` (UTC dates or date-times, ascending), written by
 * hand or by `ktrdr data generate SERIES 1d --context <provider>`.
 *
 * The generator writes a seeded random walk: a FRED-like daily rate (weekdays,
 * two decimals, e.g. a 10-year yield near 3%) or a CFTC-like weekly net
 * speculative position (Tuesdays, whole contracts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KtrdrError } from '../common/errors.js';
import { formatIsoUtc, parseIsoUtc } from './dates.js';
import { MarketDataError, MarketDataNotFoundError, type DataProblem } from './errors.js';
import { symbolProblem } from './file-name.js';
import { SeededRandom } from './random.js';

export const CONTEXT_FILE_PROVIDERS = ['fred', 'cftc_cot'] as const;
export type ContextFileProvider = (typeof CONTEXT_FILE_PROVIDERS)[number];

export const CONTEXT_CSV_HEADER = 'date,value';

/** Observations in ascending time order; `time` is the observation date in ms since the epoch, UTC. */
export interface ContextSeries {
  readonly provider: ContextFileProvider;
  readonly series: string;
  readonly time: Float64Array;
  readonly value: Float64Array;
}

export function contextFilePath(dataDir: string, provider: ContextFileProvider, series: string): string {
  const problem = symbolProblem(series);
  if (problem) throw new MarketDataError([{ file: `context/${provider}/${series}.csv`, line: 0, reason: problem.replace('symbol', 'series') }]);
  return join(dataDir, 'context', provider, `${series}.csv`);
}

/** What to say when a context file is missing: the file, its format and the command that writes one. */
export function missingContextMessage(provider: ContextFileProvider, series: string, path: string): string {
  return (
    `no ${provider} series ${series}: ${path} does not exist (a CSV with the header ${CONTEXT_CSV_HEADER}, one UTC date per row, ascending; ` +
    `create one with: ktrdr data generate ${series} 1d --context ${provider})`
  );
}

export function parseContextCsv(text: string, file: string, provider: ContextFileProvider, series: string): ContextSeries {
  const problems: DataProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((line) => line.replace(/\r$/, ''));
  const header = (lines[0] ?? '').split(',').map((cell) => cell.trim().toLowerCase());
  if (header.join(',') !== CONTEXT_CSV_HEADER) problems.push({ file, line: 1, reason: `header must be '${CONTEXT_CSV_HEADER}' (got '${lines[0] ?? ''}')` });
  const time: number[] = [];
  const value: number[] = [];
  lines.slice(1).forEach((line, index) => {
    if (line.trim() === '') return;
    const lineNo = index + 2;
    const [dateText = '', valueText = '', ...rest] = line.split(',').map((cell) => cell.trim());
    if (rest.length > 0) return void problems.push({ file, line: lineNo, reason: `expected 2 cells (date,value), got ${rest.length + 2}` });
    const ms = parseIsoUtc(dateText);
    const x = valueText === '' ? Number.NaN : Number(valueText);
    if (ms === null) return void problems.push({ file, line: lineNo, reason: `date '${dateText}' is not an ISO date or date-time` });
    if (!Number.isFinite(x)) return void problems.push({ file, line: lineNo, reason: `value '${valueText}' is not a finite number` });
    const previous = time[time.length - 1];
    if (previous !== undefined && ms <= previous) return void problems.push({ file, line: lineNo, reason: `date ${dateText} is not after the previous row's (rows must be ascending, without duplicates)` });
    time.push(ms);
    value.push(x);
  });
  if (problems.length === 0 && time.length === 0) problems.push({ file, line: 0, reason: 'holds no observation' });
  if (problems.length > 0) throw new MarketDataError(problems);
  return { provider, series, time: Float64Array.from(time), value: Float64Array.from(value) };
}

/**
 * Reads a context series; a missing file is a `MarketDataNotFoundError` naming the file, its format and the command.
 * `read` reads and parses the file at a path (the repository passes its cache's).
 */
export async function loadContextSeries(
  dataDir: string,
  provider: ContextFileProvider,
  series: string,
  read: (path: string) => Promise<ContextSeries> = async (path) => parseContextCsv(await readFile(path, 'utf8'), path, provider, series),
): Promise<ContextSeries> {
  const path = contextFilePath(dataDir, provider, series);
  try {
    return await read(path);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') throw new MarketDataNotFoundError(path, missingContextMessage(provider, series, path));
    throw error;
  }
}

export interface GenerateContextOptions {
  readonly provider: ContextFileProvider;
  readonly series: string;
  /** Observations (weekdays for fred, weeks for cftc_cot). */
  readonly count: number;
  readonly seed: number;
  /** Ms since the epoch: the first observation is on or after it. */
  readonly start: number;
}

const DAY_MS = 86_400_000;

export function generateContextSeries(options: GenerateContextOptions): ContextSeries {
  if (!(Number.isInteger(options.count) && options.count >= 1)) throw new KtrdrError('VALIDATION_ERROR', `count ${options.count} must be an integer >= 1`);
  const random = new SeededRandom(options.seed);
  const time = new Float64Array(options.count);
  const value = new Float64Array(options.count);
  let day = Math.floor(options.start / DAY_MS) * DAY_MS;
  const weekday = (ms: number) => new Date(ms).getUTCDay();
  if (options.provider === 'cftc_cot') {
    // COT snapshots are Tuesdays (day 2).
    while (weekday(day) !== 2) day += DAY_MS;
    let position = 50_000;
    for (let i = 0; i < options.count; i++, day += 7 * DAY_MS) {
      position += 8_000 * random.normal() - 0.05 * position;
      time[i] = day;
      value[i] = Math.round(position);
    }
  } else {
    let rate = 3;
    for (let i = 0; i < options.count; i++, day += DAY_MS) {
      while (weekday(day) === 0 || weekday(day) === 6) day += DAY_MS;
      rate = Math.max(0, rate + 0.05 * random.normal() - 0.001 * (rate - 3));
      time[i] = day;
      value[i] = Math.round(rate * 100) / 100;
    }
  }
  return { provider: options.provider, series: options.series, time, value };
}

export function formatContextCsv(series: ContextSeries): string {
  const lines = [CONTEXT_CSV_HEADER];
  for (let i = 0; i < series.time.length; i++) lines.push(`${formatIsoUtc(series.time[i] as number, true)},${series.value[i] as number}`);
  return `${lines.join('\n')}\n`;
}
