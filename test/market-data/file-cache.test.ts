import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/common/clock.js';
import { MarketDataError, MarketDataNotFoundError, MarketDataRangeError } from '../../src/market-data/errors.js';
import { ParsedFileCache } from '../../src/market-data/file-cache.js';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { MarketDataRepository } from '../../src/market-data/repository.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** Files older than any timestamp tick, so the cache trusts them. */
const LONG_AGO = new Date(Date.now() - 3_600_000);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ktrdr-file-cache-'));
});

/** Writes `text` and dates it an hour back (a file the cache may keep). */
function writeOld(path: string, text: string, when = LONG_AGO): void {
  writeFileSync(path, text);
  utimesSync(path, when, when);
}

/** A cache and a parse that counts its calls. */
function counted(options: ConstructorParameters<typeof ParsedFileCache>[0] = {}) {
  const cache = new ParsedFileCache(options);
  const calls = { parses: 0 };
  const parse = (text: string) => {
    calls.parses += 1;
    if (text.startsWith('bad')) throw new Error(`bad content: ${text}`);
    return text;
  };
  const get = (path: string, variant = 'v') => cache.get(path, variant, parse, (text) => text.length);
  return { cache, calls, get };
}

describe('ParsedFileCache', () => {
  it('parses a file once and serves the copy while the file is unchanged', async () => {
    const path = join(dir, 'a.txt');
    writeOld(path, 'first');
    const { cache, calls, get } = counted();
    expect(await get(path)).toBe('first');
    expect(await get(path)).toBe('first');
    expect(calls.parses).toBe(1);
    expect(cache.stats()).toEqual({ hits: 1, reads: 1, entries: 1, bytes: 5 });
    // Another variant of the same file is another parse.
    expect(await get(path, 'other')).toBe('first');
    expect(calls.parses).toBe(2);
  });

  it('re-reads a file rewritten with the same size and the same mtime (the ctime differs)', async () => {
    const path = join(dir, 'a.txt');
    writeOld(path, 'AAAA');
    const { calls, get } = counted();
    expect(await get(path)).toBe('AAAA');
    const before = statSync(path, { bigint: true });
    writeOld(path, 'BBBB');
    const after = statSync(path, { bigint: true });
    expect([after.size, after.ino, after.mtimeNs]).toEqual([before.size, before.ino, before.mtimeNs]);
    expect(await get(path)).toBe('BBBB');
    expect(calls.parses).toBe(2);
  });

  it('re-reads a file replaced by a rename (another inode) or given another mtime', async () => {
    const path = join(dir, 'a.txt');
    writeOld(path, 'AAAA');
    const { get } = counted();
    expect(await get(path)).toBe('AAAA');
    const staged = join(dir, 'a.txt.tmp');
    writeOld(staged, 'CCCC');
    renameSync(staged, path);
    expect(await get(path)).toBe('CCCC');
    writeOld(path, 'DDDD', new Date(LONG_AGO.getTime() + 1_000));
    expect(await get(path)).toBe('DDDD');
  });

  it('does not keep a copy of a file younger than the racy window: a rewrite within one timestamp tick is still seen', async () => {
    const path = join(dir, 'a.txt');
    const clock = new ManualClock(Date.now());
    const { cache, calls, get } = counted({ clock, racyWindowMs: 60_000 });
    writeFileSync(path, 'AAAA');
    expect(await get(path)).toBe('AAAA');
    expect(cache.stats().entries).toBe(0);
    writeFileSync(path, 'BBBB');
    expect(await get(path)).toBe('BBBB');
    expect(calls.parses).toBe(2);
    // Once the file is older than the window, the copy is kept.
    clock.advance(61_000);
    expect(await get(path)).toBe('BBBB');
    expect(await get(path)).toBe('BBBB');
    expect(calls.parses).toBe(3);
    expect(cache.stats().entries).toBe(1);
  });

  it('a deleted file fails as without a cache (ENOENT) and its copy is dropped', async () => {
    const path = join(dir, 'a.txt');
    writeOld(path, 'AAAA');
    const { cache, get } = counted();
    await get(path);
    rmSync(path);
    await expect(get(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('keeps no failure: an invalid file throws on every request (parsed each time) until it is fixed', async () => {
    const path = join(dir, 'a.txt');
    writeOld(path, 'bad one');
    const { cache, calls, get } = counted();
    await expect(get(path)).rejects.toThrow('bad content: bad one');
    await expect(get(path)).rejects.toThrow('bad content: bad one');
    expect(calls.parses).toBe(2);
    expect(cache.stats().entries).toBe(0);
    writeOld(path, 'good');
    expect(await get(path)).toBe('good');
  });

  it('concurrent requests for an unread file share one read and one parse', async () => {
    const path = join(dir, 'a.txt');
    writeOld(path, 'shared');
    const { cache, calls, get } = counted();
    const results = await Promise.all(Array.from({ length: 8 }, () => get(path)));
    expect(results).toEqual(Array(8).fill('shared'));
    expect(calls.parses).toBe(1);
    expect(cache.stats().reads).toBe(1);
    // A shared failure reaches every waiter, once parsed.
    writeOld(path, 'bad shared', new Date(LONG_AGO.getTime() + 1_000));
    const failures = await Promise.allSettled(Array.from({ length: 4 }, () => get(path)));
    expect(failures.map((result) => result.status)).toEqual(Array(4).fill('rejected'));
    expect(calls.parses).toBe(2);
  });

  it('drops the least recently used copies past its byte budget, and keeps none larger than the budget', async () => {
    const paths = ['a', 'b', 'c', 'big'].map((name) => join(dir, `${name}.txt`));
    const [a, b, c, big] = paths as [string, string, string, string];
    writeOld(a, 'aaaa');
    writeOld(b, 'bbbb');
    writeOld(c, 'cccc');
    writeOld(big, 'x'.repeat(11));
    const { cache, calls, get } = counted({ budgetBytes: 10 });
    await get(a);
    await get(b);
    await get(a); // a is now the most recent: c's arrival evicts b
    await get(c);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 8 });
    expect(calls.parses).toBe(3);
    await get(a);
    expect(calls.parses).toBe(3);
    await get(b);
    expect(calls.parses).toBe(4);
    expect(await get(big)).toBe('x'.repeat(11));
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 8 });
  });
});

describe('MarketDataRepository with a cache', () => {
  const BARS = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 48, seed: 1, start: T0 });
  const repositories = () => ({ cached: new MarketDataRepository(dir, new ParsedFileCache()), plain: new MarketDataRepository(dir) });
  const errorOf = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

  beforeEach(() => {
    writeOld(join(dir, 'EURUSD_1h.csv'), formatCsv(BARS));
    writeOld(join(dir, 'AAPL_4h.csv'), 'date,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,0.5,1,1\n2024-01-01T04:00:00Z,1,2,0.5,abc,1\n');
  });

  it('slices [start, end) by binary search at the boundaries: on a bar, between bars, before the first, after the last', async () => {
    const { cached } = repositories();
    const times = async (start?: number, end?: number) => Array.from((await cached.load('EURUSD', '1h', { ...(start !== undefined && { start }), ...(end !== undefined && { end }) })).time);
    const hours = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => T0 + (from + index) * HOUR);
    expect(await times(T0 + 5 * HOUR, T0 + 8 * HOUR)).toEqual(hours(5, 8)); // start on a bar (kept), end on a bar (excluded)
    expect(await times(T0 + 5 * HOUR + 1, T0 + 8 * HOUR - 1)).toEqual(hours(6, 8)); // between bars
    expect(await times(T0 - 10 * HOUR, T0 + 2 * HOUR)).toEqual(hours(0, 2)); // before the first
    expect(await times(T0 + 46 * HOUR, T0 + 100 * HOUR)).toEqual(hours(46, 48)); // past the last
    expect(await times(T0 + 47 * HOUR)).toEqual(hours(47, 48)); // the last bar alone
    expect(await times(undefined, T0 + 1)).toEqual(hours(0, 1)); // the first bar alone
    expect(await times()).toEqual(hours(0, 48));
    // The slices are views on the one parsed copy: the file was read once.
    const whole = await cached.load('EURUSD', '1h');
    const part = await cached.load('EURUSD', '1h', { start: T0 + 5 * HOUR });
    expect(part.close.buffer).toBe(whole.close.buffer);
    expect(Array.from(whole.close)).toEqual(Array.from(BARS.close));
  });

  it('an empty range (between two bars, after the last, before the first) is the same range error as without a cache', async () => {
    const { cached, plain } = repositories();
    for (const range of [
      { start: T0 + 5 * HOUR + 1, end: T0 + 6 * HOUR },
      { start: T0 + 48 * HOUR },
      { end: T0 },
    ]) {
      const error = await errorOf(cached.load('EURUSD', '1h', range));
      expect(error).toBeInstanceOf(MarketDataRangeError);
      expect(error).toEqual(await errorOf(plain.load('EURUSD', '1h', range)));
    }
  });

  it('a malformed file gives the same validation errors, and a deleted one the same not-found error, as without a cache', async () => {
    const { cached, plain } = repositories();
    const invalid = await errorOf(cached.load('AAPL', '4h'));
    expect(invalid).toBeInstanceOf(MarketDataError);
    expect((invalid as MarketDataError).problems).toEqual((await errorOf(plain.load('AAPL', '4h')) as MarketDataError).problems);

    await cached.load('EURUSD', '1h');
    rmSync(join(dir, 'EURUSD_1h.csv'));
    const missing = await errorOf(cached.load('EURUSD', '1h'));
    expect(missing).toBeInstanceOf(MarketDataNotFoundError);
    expect((missing as Error).message).toBe((await errorOf(plain.load('EURUSD', '1h')) as Error).message);
  });

  it('serves a rewritten file (same size, same mtime) as rewritten', async () => {
    const { cached } = repositories();
    const csv = formatCsv(BARS);
    expect((await cached.load('EURUSD', '1h')).volume[0]).toBe(BARS.volume[0]);
    // Same length: the last digit of the first row's volume changed.
    const lines = csv.split('\n');
    lines[1] = (lines[1] as string).replace(/(\d)$/, (digit) => String((Number(digit) + 1) % 10));
    const rewritten = lines.join('\n');
    expect(rewritten.length).toBe(csv.length);
    expect(rewritten).not.toBe(csv);
    writeOld(join(dir, 'EURUSD_1h.csv'), rewritten);
    expect((await cached.load('EURUSD', '1h')).volume[0]).toBe(Number((lines[1] as string).split(',').at(-1)));
  });

  it('caches context series too', async () => {
    const { cached } = repositories();
    mkdirSync(join(dir, 'context', 'fred'), { recursive: true });
    writeOld(join(dir, 'context', 'fred', 'DGS10.csv'), 'date,value\n2024-01-02,3.5\n2024-01-03,3.6\n');
    const first = await cached.loadContext('fred', 'DGS10');
    expect(Array.from(first.value)).toEqual([3.5, 3.6]);
    expect(await cached.loadContext('fred', 'DGS10')).toBe(first);
    await expect(cached.loadContext('fred', 'DGS2')).rejects.toBeInstanceOf(MarketDataNotFoundError);
  });
});
