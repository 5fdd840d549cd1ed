/** Data files are named `<SYMBOL>_<TIMEFRAME>.csv`; the name is where the symbol and timeframe come from. */
import { MarketDataError } from './errors.js';
import { Timeframe } from './types.js';

/** Letters, digits, '-' and '.', starting with a letter or digit (so no name is hidden or climbs directories). */
const SYMBOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

export interface DataFileName {
  readonly symbol: string;
  readonly timeframe: Timeframe;
}

/** Why `symbol` cannot name a data file, or null when it can. */
export function symbolProblem(symbol: string): string | null {
  if (symbol.length === 0) return 'the symbol is empty';
  if (SYMBOL_PATTERN.test(symbol)) return null;
  return `symbol '${symbol}' may contain only letters, digits, '-' and '.', and must start with a letter or digit`;
}

export function timeframeProblem(timeframe: string): string | null {
  return Timeframe.safeParse(timeframe).success ? null : `timeframe '${timeframe}' is not one of ${Timeframe.options.join(', ')}`;
}

export function dataFileName(symbol: string, timeframe: Timeframe): string {
  const problem = symbolProblem(symbol);
  if (problem) throw new MarketDataError([{ file: `${symbol}_${timeframe}.csv`, line: 0, reason: problem }]);
  return `${symbol}_${timeframe}.csv`;
}

/** The last path segment, whichever separator the caller used. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? path;
}

/**
 * `EURUSD_1h.csv` → `{symbol: 'EURUSD', timeframe: '1h'}`. Accepts a path (only
 * the last segment is read). Throws `MarketDataError` saying which part is wrong.
 */
export function parseDataFileName(path: string): DataFileName {
  const name = baseName(path);
  const fail = (reason: string): never => {
    throw new MarketDataError([{ file: path, line: 0, reason }]);
  };
  const expected = `expected <SYMBOL>_<TIMEFRAME>.csv, e.g. EURUSD_1h.csv`;
  if (!name.endsWith('.csv')) return fail(`file name '${name}' does not end in .csv (${expected})`);
  const stem = name.slice(0, -'.csv'.length);
  const separator = stem.lastIndexOf('_');
  if (separator < 0) return fail(`file name '${name}' has no '_' between symbol and timeframe (${expected})`);
  const symbol = stem.slice(0, separator);
  const timeframe = stem.slice(separator + 1);
  const problem = symbolProblem(symbol) ?? timeframeProblem(timeframe);
  if (problem) return fail(`file name '${name}': ${problem} (${expected})`);
  return { symbol, timeframe: timeframe as Timeframe };
}
