/**
 * Reads and checks market data CSV files (`date,open,high,low,close,volume`,
 * docs/architecture.md §6.1). Every bad row is reported with its line, never silently used:
 * a file with any error yields no series.
 */
import { readFile } from 'node:fs/promises';
import { formatIsoUtc, parseIsoUtc } from './dates.js';
import { MarketDataError, type DataProblem } from './errors.js';
import { parseDataFileName, symbolProblem } from './file-name.js';
import { TIMEFRAME_MS, type BarSeries, type Timeframe } from './types.js';

export const CSV_COLUMNS = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;
export const CSV_HEADER = CSV_COLUMNS.join(',');

type Column = (typeof CSV_COLUMNS)[number];
type NumericColumn = Exclude<Column, 'date'>;
const NUMERIC_COLUMNS: readonly NumericColumn[] = ['open', 'high', 'low', 'close', 'volume'];

/**
 * What to do with a gap (a step between consecutive bars longer than one bar):
 * 'warn' (the default) reports it as a warning, because markets close at
 * weekends and holidays so most gaps are real; 'error' makes it an error (for
 * data that must be continuous, such as 24/7 markets); 'ignore' says nothing.
 */
export type GapPolicy = 'warn' | 'error' | 'ignore';

export interface ValidateOptions {
  readonly gaps?: GapPolicy;
  /** Symbol and timeframe to use instead of those in the file name (for files named otherwise). */
  readonly symbol?: string;
  readonly timeframe?: Timeframe;
}

export interface CsvValidation {
  /** The bars, or null when there is any error. */
  readonly series: BarSeries | null;
  readonly errors: DataProblem[];
  readonly warnings: DataProblem[];
}

const NUMBER_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEADER_HINT = `expected the header ${CSV_HEADER}`;

/** `90m` → `1h30m`, `3d`: durations in the units timeframes use. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, seconds] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const count = Math.floor(rest / seconds);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * seconds;
  }
  return parts.length > 0 ? parts.join('') : `${ms}ms`;
}

/**
 * Checks and parses the text of a data file. `fileName` (a name or a path) is
 * where the symbol and timeframe come from unless `options` gives them, and is
 * the `file` of every problem reported.
 */
export function validateCsv(text: string, fileName: string, options: ValidateOptions = {}): CsvValidation {
  const errors: DataProblem[] = [];
  const warnings: DataProblem[] = [];
  const error = (line: number, reason: string) => void errors.push({ file: fileName, line, reason });
  const gapPolicy = options.gaps ?? 'warn';

  let symbol = options.symbol;
  let timeframe = options.timeframe;
  if (symbol === undefined || timeframe === undefined) {
    try {
      const parsed = parseDataFileName(fileName);
      symbol ??= parsed.symbol;
      timeframe ??= parsed.timeframe;
    } catch (caught) {
      if (!(caught instanceof MarketDataError)) throw caught;
      errors.push(...caught.problems);
    }
  }
  if (symbol !== undefined) {
    const problem = symbolProblem(symbol);
    if (problem) error(0, problem);
  }
  const barMs = timeframe === undefined ? null : TIMEFRAME_MS[timeframe];

  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as string;
    if (line.endsWith('\r')) lines[index] = line.slice(0, -1);
  }
  while (lines.length > 0 && (lines[lines.length - 1] as string).trim() === '') lines.pop();

  if (lines.length === 0) {
    error(1, `the file is empty (${HEADER_HINT})`);
    return { series: null, errors, warnings };
  }

  const columnIndex = readHeader(lines[0] as string, (reason) => error(1, reason), (reason) => warnings.push({ file: fileName, line: 1, reason }));
  if (!columnIndex) return { series: null, errors, warnings };
  const columnCount = (lines[0] as string).split(',').length;

  const rows = lines.length - 1;
  const time = new Float64Array(rows);
  const values: Record<NumericColumn, Float64Array> = {
    open: new Float64Array(rows),
    high: new Float64Array(rows),
    low: new Float64Array(rows),
    close: new Float64Array(rows),
    volume: new Float64Array(rows),
  };
  let bars = 0;
  const lineOfTime = new Map<number, number>();
  let previous: { time: number; line: number } | null = null;

  for (let index = 1; index < lines.length; index += 1) {
    const lineNumber = index + 1;
    const raw = lines[index] as string;
    if (raw.trim() === '') {
      warnings.push({ file: fileName, line: lineNumber, reason: 'blank line ignored' });
      continue;
    }
    const cells = raw.split(',');
    if (cells.length !== columnCount) {
      error(lineNumber, `expected ${columnCount} columns (${CSV_HEADER}), found ${cells.length}`);
      continue;
    }
    const rowErrorsBefore = errors.length;

    const dateCell = (cells[columnIndex.date] as string).trim();
    const t = dateCell === '' ? null : parseIsoUtc(dateCell);
    if (dateCell === '') error(lineNumber, 'date is empty');
    else if (t === null) error(lineNumber, `date '${dateCell}' is not an ISO date or date-time (e.g. 2024-01-05 or 2024-01-05T13:00:00Z)`);

    const row = {} as Record<NumericColumn, number>;
    let numeric = true;
    for (const column of NUMERIC_COLUMNS) {
      const cell = (cells[columnIndex[column]] as string).trim();
      const value = NUMBER_PATTERN.test(cell) ? Number(cell) : Number.NaN;
      if (cell === '') error(lineNumber, `${column} is empty`);
      else if (!Number.isFinite(value)) error(lineNumber, `${column} '${cell}' is not a number`);
      else {
        row[column] = value;
        continue;
      }
      numeric = false;
    }

    if (numeric) checkBar(row, (reason) => error(lineNumber, reason));

    if (t !== null) {
      const seenOn = lineOfTime.get(t);
      if (seenOn !== undefined) {
        error(lineNumber, `duplicate timestamp ${formatIsoUtc(t)}: already on line ${seenOn}`);
      } else {
        lineOfTime.set(t, lineNumber);
        if (previous !== null) {
          const step = t - previous.time;
          if (step < 0) {
            error(lineNumber, `out of order: ${formatIsoUtc(t)} comes after ${formatIsoUtc(previous.time)} on line ${previous.line} (rows must be in ascending time order)`);
          } else if (barMs !== null && step < barMs) {
            error(lineNumber, `step of ${formatDuration(step)} after ${formatIsoUtc(previous.time)} on line ${previous.line} is shorter than one ${timeframe} bar`);
          } else if (barMs !== null && step > barMs && gapPolicy !== 'ignore') {
            const missing = step / barMs - 1;
            const count = Number.isInteger(missing) ? `${missing} missing ${missing === 1 ? 'bar' : 'bars'}` : `not a whole number of ${timeframe} bars`;
            const reason = `gap of ${formatDuration(step - barMs)} (${count}) after ${formatIsoUtc(previous.time)} on line ${previous.line}`;
            if (gapPolicy === 'error') error(lineNumber, reason);
            else warnings.push({ file: fileName, line: lineNumber, reason });
          }
        }
        previous = { time: t, line: lineNumber };
      }
    }

    if (errors.length === rowErrorsBefore && t !== null) {
      time[bars] = t;
      for (const column of NUMERIC_COLUMNS) values[column][bars] = row[column];
      bars += 1;
    }
  }

  if (bars === 0 && errors.length === 0) error(0, 'the file has a header but no rows of bars');
  if (errors.length > 0 || symbol === undefined || timeframe === undefined) return { series: null, errors, warnings };
  const series: BarSeries = {
    symbol,
    timeframe,
    time: time.slice(0, bars),
    open: values.open.slice(0, bars),
    high: values.high.slice(0, bars),
    low: values.low.slice(0, bars),
    close: values.close.slice(0, bars),
    volume: values.volume.slice(0, bars),
  };
  return { series, errors, warnings };
}

/** The index of each column, or null when the header is unusable (reported). Columns may come in any order; unknown ones are ignored with a warning. */
function readHeader(header: string, error: (reason: string) => void, warn: (reason: string) => void): Record<Column, number> | null {
  const names = header.split(',').map((name) => name.trim().toLowerCase());
  const index = {} as Record<Column, number>;
  let usable = true;
  names.forEach((name, position) => {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      warn(`column '${name}' is not used (${HEADER_HINT})`);
      return;
    }
    if (index[name as Column] !== undefined) {
      error(`column '${name}' appears twice in the header`);
      usable = false;
      return;
    }
    index[name as Column] = position;
  });
  const missing = CSV_COLUMNS.filter((column) => index[column] === undefined);
  if (missing.length > 0) {
    error(`the header lacks ${missing.map((column) => `'${column}'`).join(', ')} (${HEADER_HINT}, found '${header}')`);
    usable = false;
  }
  return usable ? index : null;
}

/** The rules a bar obeys: positive prices, non-negative volume, open and close within [low, high]. */
function checkBar(bar: Record<NumericColumn, number>, error: (reason: string) => void): void {
  for (const column of ['open', 'high', 'low', 'close'] as const) {
    if (bar[column] <= 0) error(`${column} ${bar[column]} is not a positive price`);
  }
  if (bar.volume < 0) error(`volume ${bar.volume} is negative`);
  if (bar.high < bar.low) {
    error(`high ${bar.high} is below low ${bar.low}`);
    return;
  }
  for (const column of ['open', 'close'] as const) {
    if (bar[column] < bar.low || bar[column] > bar.high) error(`${column} ${bar[column]} is outside [low ${bar.low}, high ${bar.high}]`);
  }
}

/** Reads and parses a data file; throws `MarketDataError` carrying every error (warnings such as gaps do not stop it). */
export async function loadBars(path: string, options: ValidateOptions = {}): Promise<BarSeries> {
  const text = await readFile(path, 'utf8');
  const { series, errors } = validateCsv(text, path, options);
  if (!series) throw new MarketDataError(errors);
  return series;
}
