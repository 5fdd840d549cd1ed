/**
 * Context series files (`KTRDR_DATA_DIR/context/<provider>/<SERIES>.csv`,
 * `date,value`): the seeded generator (weekdays for fred, Tuesdays for
 * cftc_cot), the round trip through the file, every problem of a bad file by
 * line, and a missing file's message naming the file, the format and the command.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextFilePath, formatContextCsv, generateContextSeries, loadContextSeries, parseContextCsv } from '../../src/market-data/context.js';
import { MarketDataError, MarketDataNotFoundError } from '../../src/market-data/errors.js';

const START = Date.UTC(2024, 0, 1); // a Monday

describe('context series', () => {
  it('generates weekday fred observations and Tuesday cftc_cot ones, the same for a seed', () => {
    const fred = generateContextSeries({ provider: 'fred', series: 'DGS10', count: 10, seed: 1, start: START });
    expect(Array.from(fred.time, (ms) => new Date(ms).getUTCDay())).toEqual([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
    expect(fred.value.every((v) => v > 0 && Math.round(v * 100) === Math.round(v * 100))).toBe(true);
    const cot = generateContextSeries({ provider: 'cftc_cot', series: 'EUR', count: 3, seed: 1, start: START });
    expect(Array.from(cot.time)).toEqual([Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 9), Date.UTC(2024, 0, 16)]);
    expect(cot.value.every(Number.isInteger)).toBe(true);
    expect(formatContextCsv(generateContextSeries({ provider: 'fred', series: 'DGS10', count: 10, seed: 1, start: START }))).toBe(formatContextCsv(fred));
    expect(formatContextCsv(generateContextSeries({ provider: 'fred', series: 'DGS10', count: 10, seed: 2, start: START }))).not.toBe(formatContextCsv(fred));
  });

  it('reads back what it writes, and refuses a missing file naming the file, its format and the command that creates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-context-'));
    const fred = generateContextSeries({ provider: 'fred', series: 'DGS2', count: 20, seed: 3, start: START });
    const path = contextFilePath(dir, 'fred', 'DGS2');
    expect(path).toBe(join(dir, 'context', 'fred', 'DGS2.csv'));
    mkdirSync(join(dir, 'context', 'fred'), { recursive: true });
    writeFileSync(path, formatContextCsv(fred));
    const read = await loadContextSeries(dir, 'fred', 'DGS2');
    expect(Array.from(read.time)).toEqual(Array.from(fred.time));
    expect(Array.from(read.value)).toEqual(Array.from(fred.value));
    const missing = loadContextSeries(dir, 'cftc_cot', 'EUR');
    await expect(missing).rejects.toBeInstanceOf(MarketDataNotFoundError);
    await expect(missing).rejects.toThrow(
      `no cftc_cot series EUR: ${join(dir, 'context', 'cftc_cot', 'EUR.csv')} does not exist (a CSV with the header date,value, one UTC date per row, ascending; create one with: ktrdr data generate EUR 1d --context cftc_cot)`,
    );
  });

  it('lists every problem of a bad file by line', () => {
    const text = 'date,value\n2024-01-02,1.5\n2024-01-02,1.6\nnot-a-date,1\n2024-01-05,abc\n2024-01-06,1,2\n';
    let error: unknown;
    try {
      parseContextCsv(text, 'DGS10.csv', 'fred', 'DGS10');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MarketDataError);
    expect((error as MarketDataError).problems.map((problem) => problem.line)).toEqual([3, 4, 5, 6]);
    expect(() => parseContextCsv('day,value\n', 'x.csv', 'fred', 'X')).toThrow("header must be 'date,value'");
    expect(() => contextFilePath('/d', 'fred', '../up')).toThrow(/series '\.\.\/up' may contain only/);
  });
});
