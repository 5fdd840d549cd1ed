import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBars, validateCsv } from '../../src/market-data/csv.js';
import { formatProblem, MarketDataError } from '../../src/market-data/errors.js';

const HEADER = 'date,open,high,low,close,volume';
const HOUR = 3_600_000;
const FILE = 'EURUSD_1h.csv';

const csv = (...rows: string[]) => `${[HEADER, ...rows].join('\n')}\n`;
const reasons = (text: string, file = FILE) => validateCsv(text, file).errors.map((problem) => `${problem.line}: ${problem.reason}`);

describe('good files', () => {
  it('parses date-times into columns, with symbol and timeframe from the file name', () => {
    const { series, errors, warnings } = validateCsv(
      csv('2024-01-05T13:00:00Z,1.1,1.2,1.0,1.15,100', '2024-01-05T14:00:00Z,1.15,1.25,1.1,1.2,250.5', '2024-01-05 15:00:00,1.2,1.3,1.2,1.3,0'),
      FILE,
    );
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(series?.symbol).toBe('EURUSD');
    expect(series?.timeframe).toBe('1h');
    const t = Date.UTC(2024, 0, 5, 13);
    expect(Array.from(series?.time ?? [])).toEqual([t, t + HOUR, t + 2 * HOUR]);
    expect(Array.from(series?.open ?? [])).toEqual([1.1, 1.15, 1.2]);
    expect(Array.from(series?.high ?? [])).toEqual([1.2, 1.25, 1.3]);
    expect(Array.from(series?.low ?? [])).toEqual([1.0, 1.1, 1.2]);
    expect(Array.from(series?.close ?? [])).toEqual([1.15, 1.2, 1.3]);
    expect(Array.from(series?.volume ?? [])).toEqual([100, 250.5, 0]);
  });

  it('parses plain dates for daily bars', () => {
    const { series, errors } = validateCsv(csv('2024-01-01,10,11,9,10.5,1e3', '2024-01-02,10.5,12,10,11,2000'), 'SPY_1d.csv');
    expect(errors).toEqual([]);
    expect(Array.from(series?.time ?? [])).toEqual([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)]);
    expect(series?.volume[0]).toBe(1000);
  });

  it('accepts CRLF line endings, a byte-order mark, no final newline, spaces around cells and any column order', () => {
    const crlf = `\uFEFF${HEADER}\r\n2024-01-05T13:00:00Z, 1.1 ,1.2,1.0,1.15,100\r\n2024-01-05T14:00:00Z,1.15,1.25,1.1,1.2,250`;
    const { series, errors } = validateCsv(crlf, FILE);
    expect(errors).toEqual([]);
    expect(Array.from(series?.open ?? [])).toEqual([1.1, 1.15]);
    expect(Array.from(series?.volume ?? [])).toEqual([100, 250]);

    const reordered = validateCsv('Volume,Close,Low,High,Open,Date\r\n100,1.15,1.0,1.2,1.1,2024-01-05T13:00:00Z\r\n\r\n', FILE);
    expect(reordered.errors).toEqual([]);
    expect(Array.from(reordered.series?.close ?? [])).toEqual([1.15]);
    expect(Array.from(reordered.series?.volume ?? [])).toEqual([100]);
  });

  it('ignores an extra column with a warning', () => {
    const { series, errors, warnings } = validateCsv('date,open,high,low,close,adj close,volume\n2024-01-05,1,2,0.5,1.5,1.4,10\n', 'X_1d.csv');
    expect(errors).toEqual([]);
    expect(series?.close[0]).toBe(1.5);
    expect(series?.volume[0]).toBe(10);
    expect(warnings.map((problem) => problem.reason)).toEqual([expect.stringContaining("column 'adj close' is not used")]);
  });
});

describe('bad rows are reported with their line (the header is line 1)', () => {
  const ok = (hour: number) => `2024-01-05T${String(hour).padStart(2, '0')}:00:00Z,1.1,1.2,1.0,1.15,100`;

  it('non-numeric and empty cells', () => {
    expect(reasons(csv(ok(0), '2024-01-05T01:00:00Z,1.1,1.2,1.0,abc,100'))).toEqual(["3: close 'abc' is not a number"]);
    expect(reasons(csv('2024-01-05T00:00:00Z,1.1,,1.0,1.15,100'))).toEqual(['2: high is empty']);
    expect(reasons(csv('2024-01-05T00:00:00Z,1.1,1.2,1.0,1.15,NaN'))).toEqual(["2: volume 'NaN' is not a number"]);
    expect(reasons(csv('2024-01-05T00:00:00Z,0x10,1.2,1.0,1.15,1'))).toEqual(["2: open '0x10' is not a number"]);
    expect(reasons(csv('2024-01-05T00:00:00Z,1.1,1.2,1.0,1.15,Infinity'))).toEqual(["2: volume 'Infinity' is not a number"]);
  });

  it('bad dates', () => {
    expect(reasons(csv(ok(0), '2024-02-30T01:00:00Z,1.1,1.2,1.0,1.15,100'))).toEqual([
      "3: date '2024-02-30T01:00:00Z' is not an ISO date or date-time (e.g. 2024-01-05 or 2024-01-05T13:00:00Z)",
    ]);
    expect(reasons(csv(',1.1,1.2,1.0,1.15,100'))).toEqual(['2: date is empty']);
  });

  it('missing and extra columns', () => {
    expect(reasons(csv(ok(0), '2024-01-05T01:00:00Z,1.1,1.2,1.0,1.15'))).toEqual(['3: expected 6 columns (date,open,high,low,close,volume), found 5']);
    expect(reasons(csv('2024-01-05T00:00:00Z,1.1,1.2,1.0,1.15,100,7'))).toEqual(['2: expected 6 columns (date,open,high,low,close,volume), found 7']);
  });

  it('rows out of order', () => {
    expect(reasons(csv(ok(0), ok(2), ok(1), ok(3)))).toEqual([
      '4: out of order: 2024-01-05T01:00:00Z comes after 2024-01-05T02:00:00Z on line 3 (rows must be in ascending time order)',
    ]);
  });

  it('duplicated timestamps, adjacent or not', () => {
    expect(reasons(csv(ok(0), ok(1), ok(1)))).toEqual(['4: duplicate timestamp 2024-01-05T01:00:00Z: already on line 3']);
    expect(reasons(csv(ok(0), ok(1), ok(2), ok(0)))).toEqual(['5: duplicate timestamp 2024-01-05T00:00:00Z: already on line 2']);
  });

  it('a step shorter than one bar', () => {
    expect(reasons(csv(ok(0), '2024-01-05T00:30:00Z,1.1,1.2,1.0,1.15,100'))).toEqual([
      '3: step of 30m after 2024-01-05T00:00:00Z on line 2 is shorter than one 1h bar',
    ]);
  });

  it('impossible bars: high below low, open or close outside [low, high], non-positive prices, negative volume', () => {
    expect(reasons(csv('2024-01-05T00:00:00Z,1.1,1.0,1.2,1.1,100'))).toEqual(['2: high 1 is below low 1.2']);
    expect(reasons(csv('2024-01-05T00:00:00Z,1.3,1.2,1.0,1.15,100'))).toEqual(['2: open 1.3 is outside [low 1, high 1.2]']);
    expect(reasons(csv('2024-01-05T00:00:00Z,1.1,1.2,1.0,0.9,100'))).toEqual(['2: close 0.9 is outside [low 1, high 1.2]']);
    expect(reasons(csv('2024-01-05T00:00:00Z,0,1.2,0,1.15,100'))).toEqual(['2: open 0 is not a positive price', '2: low 0 is not a positive price']);
    expect(reasons(csv('2024-01-05T00:00:00Z,1.1,1.2,1.0,1.15,-5'))).toEqual(['2: volume -5 is negative']);
  });

  it('reports every problem of the file together, in line order, and yields no series', () => {
    const text = csv(
      ok(0),
      '2024-01-05T01:00:00Z,1.1,1.2,1.0,x,100', // 3: close
      ok(2),
      ok(2), // 5: duplicate
      '2024-01-05T03:00:00Z,1.1,1.2,1.0', // 6: columns
      '2024-01-05T04:00:00Z,1.1,oops,1.0,1.15,-1', // 7: high, volume
      '2024-01-04T23:00:00Z,1.1,1.2,1.0,1.15,100', // 8: out of order
    );
    const { series, errors } = validateCsv(text, FILE);
    expect(series).toBeNull();
    expect(errors.map((problem) => problem.line)).toEqual([3, 5, 6, 7, 8]);
    expect(errors.every((problem) => problem.file === FILE)).toBe(true);
    expect(errors.map((problem) => formatProblem(problem))).toEqual([
      "EURUSD_1h.csv:3: close 'x' is not a number",
      'EURUSD_1h.csv:5: duplicate timestamp 2024-01-05T02:00:00Z: already on line 4',
      'EURUSD_1h.csv:6: expected 6 columns (date,open,high,low,close,volume), found 4',
      "EURUSD_1h.csv:7: high 'oops' is not a number",
      'EURUSD_1h.csv:8: out of order: 2024-01-04T23:00:00Z comes after 2024-01-05T04:00:00Z on line 7 (rows must be in ascending time order)',
    ]);
  });

  it('counts lines the same with CRLF', () => {
    const text = `${HEADER}\r\n${ok(0)}\r\n2024-01-05T01:00:00Z,1.1,1.2,1.0,abc,100\r\n`;
    expect(reasons(text)).toEqual(["3: close 'abc' is not a number"]);
  });

  it('skips a blank line with a warning but keeps counting lines', () => {
    const { errors, warnings, series } = validateCsv(csv(ok(0), '', '2024-01-05T01:00:00Z,1.1,1.2,1.0,abc,100'), FILE);
    expect(warnings).toEqual([{ file: FILE, line: 3, reason: 'blank line ignored' }]);
    expect(errors.map((problem) => problem.line)).toEqual([4]);
    expect(series).toBeNull();
  });
});

describe('gaps', () => {
  const text = csv(
    '2024-01-05T20:00:00Z,1.1,1.2,1.0,1.15,100',
    '2024-01-05T21:00:00Z,1.1,1.2,1.0,1.15,100',
    '2024-01-08T00:00:00Z,1.1,1.2,1.0,1.15,100', // 51 bars missing over the weekend
    '2024-01-08T02:30:00Z,1.1,1.2,1.0,1.15,100', // 1h30m extra, misaligned
  );

  it('are warnings by default: the series is still usable', () => {
    const { series, errors, warnings } = validateCsv(text, FILE);
    expect(errors).toEqual([]);
    expect(series?.time.length).toBe(4);
    expect(warnings.map((problem) => `${problem.line}: ${problem.reason}`)).toEqual([
      '4: gap of 2d2h (50 missing bars) after 2024-01-05T21:00:00Z on line 3',
      '5: gap of 1h30m (not a whole number of 1h bars) after 2024-01-08T00:00:00Z on line 4',
    ]);
    // Independent count: (Mon 00:00 - Fri 21:00) / 1h - 1.
    expect((Date.UTC(2024, 0, 8) - Date.UTC(2024, 0, 5, 21)) / HOUR - 1).toBe(50);
  });

  it("are errors with gaps: 'error', and silent with gaps: 'ignore'", () => {
    const strict = validateCsv(text, FILE, { gaps: 'error' });
    expect(strict.series).toBeNull();
    expect(strict.errors.map((problem) => problem.line)).toEqual([4, 5]);
    expect(strict.warnings).toEqual([]);
    const lax = validateCsv(text, FILE, { gaps: 'ignore' });
    expect(lax.errors).toEqual([]);
    expect(lax.warnings).toEqual([]);
    expect(lax.series?.time.length).toBe(4);
  });

  it('are measured in the timeframe of the file name', () => {
    const daily = validateCsv(csv('2024-01-05,1,2,0.5,1,1', '2024-01-08,1,2,0.5,1,1'), 'SPY_1d.csv');
    expect(daily.warnings.map((problem) => problem.reason)).toEqual(['gap of 2d (2 missing bars) after 2024-01-05T00:00:00Z on line 2']);
  });
});

describe('file-level problems', () => {
  it('an empty file, a header without rows, a wrong header', () => {
    expect(reasons('')).toEqual(['1: the file is empty (expected the header date,open,high,low,close,volume)']);
    expect(reasons('\r\n\n')).toEqual(['1: the file is empty (expected the header date,open,high,low,close,volume)']);
    expect(reasons(`${HEADER}\n`)).toEqual(['0: the file has a header but no rows of bars']);
    expect(reasons('time,open,high,low,close\n2024-01-05,1,2,0.5,1\n')).toEqual([
      "1: the header lacks 'date', 'volume' (expected the header date,open,high,low,close,volume, found 'time,open,high,low,close')",
    ]);
    expect(reasons('date,open,open,high,low,close,volume\n')).toEqual(["1: column 'open' appears twice in the header"]);
  });

  it('a file name that names no symbol and timeframe is an error, and the rows are still checked', () => {
    const { series, errors } = validateCsv(csv('2024-01-05,1,2,0.5,x,1'), 'prices.csv');
    expect(series).toBeNull();
    expect(errors.map((problem) => `${problem.line}: ${problem.reason}`)).toEqual([
      "0: file name 'prices.csv' has no '_' between symbol and timeframe (expected <SYMBOL>_<TIMEFRAME>.csv, e.g. EURUSD_1h.csv)",
      "2: close 'x' is not a number",
    ]);
  });

  it('symbol and timeframe may be given instead of coming from the name', () => {
    const { series, errors } = validateCsv(csv('2024-01-05,1,2,0.5,1,1'), 'prices.csv', { symbol: 'SPY', timeframe: '1d' });
    expect(errors).toEqual([]);
    expect(series?.symbol).toBe('SPY');
    expect(series?.timeframe).toBe('1d');
  });
});

describe('loadBars', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-csv-'));

  it('reads a valid file', async () => {
    const path = join(dir, 'AAPL_1d.csv');
    writeFileSync(path, csv('2024-01-02,10,11,9,10.5,100', '2024-01-03,10.5,11,10,10.8,120'));
    const series = await loadBars(path);
    expect(series.symbol).toBe('AAPL');
    expect(Array.from(series.close)).toEqual([10.5, 10.8]);
  });

  it('throws MarketDataError carrying every problem with the path as file', async () => {
    const path = join(dir, 'AAPL_1h.csv');
    writeFileSync(path, csv('2024-01-02T00:00:00Z,10,11,9,abc,100', '2024-01-02T00:00:00Z,10,11,9,10,100'));
    const error = await loadBars(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MarketDataError);
    const problems = (error as MarketDataError).problems;
    expect(problems).toEqual([
      { file: path, line: 2, reason: "close 'abc' is not a number" },
      { file: path, line: 3, reason: 'duplicate timestamp 2024-01-02T00:00:00Z: already on line 2' },
    ]);
    expect((error as MarketDataError).code).toBe('VALIDATION_ERROR');
    expect((error as MarketDataError).message).toContain(`${path}:2: close 'abc' is not a number`);
  });
});
