import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MarketDataError, MarketDataNotFoundError, MarketDataRangeError } from '../../src/market-data/errors.js';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { MarketDataRepository } from '../../src/market-data/repository.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
let dir: string;
let repository: MarketDataRepository;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ktrdr-repo-'));
  repository = new MarketDataRepository(dir);
  writeFileSync(join(dir, 'EURUSD_1h.csv'), formatCsv(generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 48, seed: 1, start: T0 })));
  writeFileSync(join(dir, 'EURUSD_1d.csv'), formatCsv(generateBars({ symbol: 'EURUSD', timeframe: '1d', bars: 10, seed: 2, start: T0 })));
  writeFileSync(join(dir, 'AAPL_4h.csv'), 'date,open,high,low,close,volume\r\n2024-01-01T00:00:00Z,1,2,0.5,1,1\r\n2024-01-01T04:00:00Z,1,2,0.5,abc,1\r\n');
  writeFileSync(join(dir, 'notes.csv'), 'whatever\n');
  writeFileSync(join(dir, 'README.md'), 'not data\n');
  mkdirSync(join(dir, 'models'));
});

describe('MarketDataRepository.list', () => {
  it('lists data files sorted by symbol then timeframe, with bars and first and last dates', async () => {
    expect(await repository.list()).toEqual([
      { symbol: 'AAPL', timeframe: '4h', bars: 2, start: '2024-01-01T00:00:00Z', end: '2024-01-01T04:00:00Z', file: 'AAPL_4h.csv' },
      { symbol: 'EURUSD', timeframe: '1h', bars: 48, start: '2024-01-01T00:00:00Z', end: '2024-01-02T23:00:00Z', file: 'EURUSD_1h.csv' },
      { symbol: 'EURUSD', timeframe: '1d', bars: 10, start: '2024-01-01T00:00:00Z', end: '2024-01-10T00:00:00Z', file: 'EURUSD_1d.csv' },
    ]);
  });

  it('says which .csv files it ignored and why', async () => {
    const { ignored } = await repository.scan();
    expect(ignored).toEqual([{ file: 'notes.csv', reason: expect.stringContaining("no '_' between symbol and timeframe") }]);
  });

  it('finds nothing in a directory that does not exist', async () => {
    expect(await new MarketDataRepository(join(dir, 'absent')).list()).toEqual([]);
  });
});

describe('MarketDataRepository.load', () => {
  it('loads a whole series', async () => {
    const series = await repository.load('EURUSD', '1h');
    expect(series.time.length).toBe(48);
    expect(series.time[47]).toBe(T0 + 47 * HOUR);
  });

  it('selects [start, end): the start inclusive, the end exclusive', async () => {
    const series = await repository.load('EURUSD', '1h', { start: '2024-01-01T10:00:00Z', end: '2024-01-01T13:00:00Z' });
    expect(Array.from(series.time)).toEqual([T0 + 10 * HOUR, T0 + 11 * HOUR, T0 + 12 * HOUR]);
    const whole = await repository.load('EURUSD', '1h');
    expect(Array.from(series.close)).toEqual(Array.from(whole.close.slice(10, 13)));
  });

  it('takes plain dates (midnight UTC) and milliseconds, and open ends', async () => {
    const secondDay = await repository.load('EURUSD', '1h', { start: '2024-01-02' });
    expect(secondDay.time.length).toBe(24);
    expect(secondDay.time[0]).toBe(Date.UTC(2024, 0, 2));
    const firstDay = await repository.load('EURUSD', '1h', { end: Date.UTC(2024, 0, 2) });
    expect(firstDay.time.length).toBe(24);
    expect(firstDay.time[23]).toBe(Date.UTC(2024, 0, 1, 23));
  });

  it('names the file it looked for when there is none, and the timeframes the symbol has', async () => {
    const missing = await repository.load('EURUSD', '5m').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(MarketDataNotFoundError);
    expect((missing as MarketDataNotFoundError).code).toBe('NOT_FOUND');
    expect((missing as Error).message).toBe(`no market data for EURUSD 5m: ${join(dir, 'EURUSD_5m.csv')} does not exist (EURUSD is available in 1h, 1d)`);
    const unknown = await repository.load('GBPUSD', '1h').catch((error: unknown) => error);
    expect((unknown as Error).message).toContain(`${join(dir, 'GBPUSD_1h.csv')} does not exist (run: ktrdr data generate GBPUSD 1h)`);
  });

  it('refuses a file with errors, naming its lines', async () => {
    const error = await repository.load('AAPL', '4h').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MarketDataError);
    expect((error as MarketDataError).problems).toEqual([{ file: join(dir, 'AAPL_4h.csv'), line: 3, reason: "close 'abc' is not a number" }]);
  });

  it('refuses a bad symbol, a bad date, a reversed range and a range with no bars', async () => {
    await expect(repository.load('../x', '1h')).rejects.toBeInstanceOf(MarketDataError);
    await expect(repository.load('EURUSD', '1h', { start: 'monday' })).rejects.toThrow("start 'monday' is not an ISO date or date-time");
    await expect(repository.load('EURUSD', '1h', { start: '2024-01-02', end: '2024-01-02' })).rejects.toThrow(MarketDataRangeError);
    await expect(repository.load('EURUSD', '1h', { start: '2025-01-01' })).rejects.toThrow(
      `no EURUSD 1h bars in [2025-01-01T00:00:00Z, -): ${join(dir, 'EURUSD_1h.csv')} covers 2024-01-01T00:00:00Z to 2024-01-02T23:00:00Z`,
    );
  });
});
