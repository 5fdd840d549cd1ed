/**
 * `ktrdr data generate | list | validate` as real child processes of the
 * compiled CLI, with KTRDR_DATA_DIR in a temporary directory.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatContextCsv, generateContextSeries } from '../../src/market-data/context.js';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { cleanEnv, runCli } from '../cli/helpers/run-cli.js';
import { assertBuilt } from '../support/processes.js';

let dataDir: string;

const ktrdr = (args: string[], dir = dataDir) => runCli(args, cleanEnv({ KTRDR_DATA_DIR: dir, KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true' }));

beforeAll(() => {
  // `npm test` builds once before any test runs; rebuilding here would swap dist/ under the other process tests.
  assertBuilt('dist/src/cli/commands/data.js');
  dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-data-cli-'));
});

describe('ktrdr data generate', () => {
  it('writes <SYMBOL>_<TF>.csv with 5000 bars from seed 42 by default, the same bytes as the library', async () => {
    const result = await ktrdr(['data', 'generate', 'EURUSD', '1h']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const path = join(dataDir, 'EURUSD_1h.csv');
    expect(result.stdout).toBe(`wrote ${path}: 5000 bars of EURUSD 1h from 2020-01-01T00:00:00Z to 2020-07-27T07:00:00Z (seed 42)\n`);
    expect(readFileSync(path, 'utf8')).toBe(formatCsv(generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 5000, seed: 42 })));
  });

  it('--context writes a context series (date,value) under context/<provider>/, the same bytes as the library; only for 1d', async () => {
    const result = await ktrdr(['data', 'generate', 'EUR', '1d', '--context', 'cftc_cot', '--bars', '5', '--start', '2024-01-01', '--seed', '4']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const path = join(dataDir, 'context', 'cftc_cot', 'EUR.csv');
    expect(result.stdout).toBe(`wrote ${path}: 5 cftc_cot observations of EUR from 2024-01-02 to 2024-01-30 (seed 4)\n`);
    expect(readFileSync(path, 'utf8')).toBe(formatContextCsv(generateContextSeries({ provider: 'cftc_cot', series: 'EUR', count: 5, seed: 4, start: Date.UTC(2024, 0, 1) })));
    const hourly = await ktrdr(['data', 'generate', 'DGS10', '1h', '--context', 'fred']);
    expect(hourly.code).toBe(2);
    expect(hourly.stderr).toContain('give the timeframe 1d (got 1h)');
    const unknown = await ktrdr(['data', 'generate', 'DGS10', '1d', '--context', 'ecb']);
    expect(unknown.code).toBe(2);
  });

  it('refuses to overwrite without --force (exit 1, file untouched), overwrites with it', async () => {
    const path = join(dataDir, 'GBPUSD_4h.csv');
    expect((await ktrdr(['data', 'generate', 'GBPUSD', '4h', '--bars', '100', '--seed', '1'])).code).toBe(0);
    const before = readFileSync(path, 'utf8');

    const refused = await ktrdr(['data', 'generate', 'GBPUSD', '4h', '--bars', '100', '--seed', '2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${path} already exists; use --force to overwrite it`);
    expect(readFileSync(path, 'utf8')).toBe(before);

    const forced = await ktrdr(['data', 'generate', 'GBPUSD', '4h', '--bars', '100', '--seed', '2', '--start', '2022-03-04', '--force']);
    expect(forced.code).toBe(0);
    const after = readFileSync(path, 'utf8');
    expect(after).toBe(formatCsv(generateBars({ symbol: 'GBPUSD', timeframe: '4h', bars: 100, seed: 2, start: '2022-03-04' })));
    expect(after).not.toBe(before);
    expect(after.split('\n')[1]).toMatch(/^2022-03-04T00:00:00Z,/);
  });

  it('rejects a bad symbol, timeframe, bar count, seed or start as usage errors (exit 2) and writes nothing', async () => {
    const cases: [string[], string][] = [
      [['EUR/USD', '1h'], "symbol 'EUR/USD' may contain only letters, digits, '-' and '.'"],
      [['EURUSD', '2h'], 'Allowed choices are 1m, 5m, 15m, 30m, 1h, 4h, 1d'],
      [['EURUSD', '1m', '--bars', '0'], "'0' is not an integer in 1..50000000"],
      [['EURUSD', '1m', '--seed', 'abc'], "'abc' is not an integer in 0..4294967295"],
      [['EURUSD', '1m', '--start', 'tomorrow'], "'tomorrow' is not an ISO date or date-time"],
    ];
    for (const [args, message] of cases) {
      const result = await ktrdr(['data', 'generate', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(existsSync(join(dataDir, 'EURUSD_1m.csv'))).toBe(false);
  });
});

describe('ktrdr data list', () => {
  it('prints a table of the files, and JSON with --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-data-list-'));
    expect((await ktrdr(['data', 'generate', 'SPY', '1d', '--bars', '30', '--start', '2024-01-01'], dir)).code).toBe(0);
    expect((await ktrdr(['data', 'generate', 'BTC-USD', '5m', '--bars', '12', '--start', '2024-01-01T00:00:00Z'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'junk.csv'), 'x\n');

    const table = await ktrdr(['data', 'list'], dir);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SYMBOL\s+TIMEFRAME\s+BARS\s+START\s+END\s+FILE$/);
    expect(lines[1]).toMatch(/^BTC-USD\s+5m\s+12\s+2024-01-01T00:00:00Z\s+2024-01-01T00:55:00Z\s+BTC-USD_5m\.csv$/);
    expect(lines[2]).toMatch(/^SPY\s+1d\s+30\s+2024-01-01T00:00:00Z\s+2024-01-30T00:00:00Z\s+SPY_1d\.csv$/);
    expect(lines).toHaveLength(3);
    expect(table.stderr).toContain('note: ignored junk.csv');

    const json = await ktrdr(['data', 'list', '--json'], dir);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      items: [
        { symbol: 'BTC-USD', timeframe: '5m', bars: 12, start: '2024-01-01T00:00:00Z', end: '2024-01-01T00:55:00Z', file: 'BTC-USD_5m.csv' },
        { symbol: 'SPY', timeframe: '1d', bars: 30, start: '2024-01-01T00:00:00Z', end: '2024-01-30T00:00:00Z', file: 'SPY_1d.csv' },
      ],
      total: 2,
    });
  });

  it('says so when there is no data (and --json prints an empty list)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ktrdr-data-empty-')), 'absent');
    const result = await ktrdr(['data', 'list'], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`no market data in ${dir}`);
    expect(JSON.parse((await ktrdr(['data', 'list', '--json'], dir)).stdout)).toEqual({ items: [], total: 0 });
  });
});

describe('ktrdr data validate', () => {
  const header = 'date,open,high,low,close,volume';
  let badFile: string;
  let gappyFile: string;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-data-validate-'));
    badFile = join(dir, 'BAD_1h.csv');
    writeFileSync(
      badFile,
      [header, '2024-01-05T00:00:00Z,1,2,0.5,1,1', '2024-01-05T01:00:00Z,1,2,0.5,abc,1', '2024-01-05T05:00:00Z,1,2,0.5,1,1', '2024-01-05T05:00:00Z,1,0.4,0.5,1,1', ''].join('\r\n'),
    );
    gappyFile = join(dir, 'GAP_1h.csv');
    writeFileSync(gappyFile, [header, '2024-01-05T00:00:00Z,1,2,0.5,1,1', '2024-01-05T03:00:00Z,1,2,0.5,1,1', ''].join('\n'));
  });

  it('exits 0 on a valid file and says what it holds', async () => {
    const file = join(dataDir, 'EURUSD_1h.csv');
    const result = await ktrdr(['data', 'validate', file]);
    expect(result.code).toBe(0);
    // A success line is a result: stdout (stderr is for problems).
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`${file}: valid: 5000 bars of EURUSD 1h from 2020-01-01T00:00:00Z to 2020-07-27T07:00:00Z\n`);
  });

  it('prints every problem as FILE:LINE: reason, in line order, and exits 1', async () => {
    const result = await ktrdr(['data', 'validate', badFile]);
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      `${badFile}:3: close 'abc' is not a number`,
      `${badFile}:4: warning: gap of 3h (3 missing bars) after 2024-01-05T01:00:00Z on line 3`,
      `${badFile}:5: high 0.4 is below low 0.5`,
      `${badFile}:5: duplicate timestamp 2024-01-05T05:00:00Z: already on line 4`,
    ]);
    expect(result.stderr).toBe(`${badFile}: invalid: 3 errors, 1 warning\n`);
  });

  it('prints warnings but exits 0 when there are only warnings; --gaps error makes gaps errors', async () => {
    const lax = await ktrdr(['data', 'validate', gappyFile]);
    expect(lax.code).toBe(0);
    expect(lax.stdout).toBe(`${gappyFile}:3: warning: gap of 2h (2 missing bars) after 2024-01-05T00:00:00Z on line 2\n${gappyFile}: valid: 2 bars of GAP 1h from 2024-01-05T00:00:00Z to 2024-01-05T03:00:00Z (1 warning)\n`);
    const strict = await ktrdr(['data', 'validate', gappyFile, '--gaps', 'error']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe(`${gappyFile}:3: gap of 2h (2 missing bars) after 2024-01-05T00:00:00Z on line 2\n`);
    // Ignored gaps: no problem line, only the verdict.
    expect((await ktrdr(['data', 'validate', gappyFile, '--gaps', 'ignore'])).stdout).toBe(`${gappyFile}: valid: 2 bars of GAP 1h from 2024-01-05T00:00:00Z to 2024-01-05T03:00:00Z\n`);
  });

  it('--json prints the verdict with every problem', async () => {
    const result = await ktrdr(['data', 'validate', badFile, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ file: badFile, valid: false, symbol: null, bars: null });
    expect(report.errors.map((problem: { line: number }) => problem.line)).toEqual([3, 5, 5]);
    expect(report.warnings).toEqual([{ file: badFile, line: 4, reason: 'gap of 3h (3 missing bars) after 2024-01-05T01:00:00Z on line 3' }]);

    const good = JSON.parse((await ktrdr(['data', 'validate', gappyFile, '--json'])).stdout);
    expect(good).toMatchObject({ valid: true, symbol: 'GAP', timeframe: '1h', bars: 2, start: '2024-01-05T00:00:00Z', end: '2024-01-05T03:00:00Z', errors: [] });
  });

  it('exits 1 when the file cannot be read, and reports a badly named file', async () => {
    const missing = await ktrdr(['data', 'validate', join(dataDir, 'NOPE_1h.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cannot read ${join(dataDir, 'NOPE_1h.csv')}`);

    const misnamed = join(mkdtempSync(join(tmpdir(), 'ktrdr-data-name-')), 'prices.csv');
    writeFileSync(misnamed, `${header}\n2024-01-05,1,2,0.5,1,1\n`);
    const result = await ktrdr(['data', 'validate', misnamed]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${misnamed}: file name 'prices.csv' has no '_' between symbol and timeframe`);
  });
});

describe('--help', () => {
  it.each([
    [['data'], ['generate', 'list', 'validate']],
    [['data', 'generate'], ['--bars <n>', '(default: 5000)', '--seed <s>', '(default: 42)', '--start <iso>', '--force']],
    [['data', 'list'], ['--json']],
    [['data', 'validate'], ['--gaps <policy>', '--json', 'FILE:LINE: reason']],
  ])('ktrdr %j --help', async (command, expected) => {
    const result = await ktrdr([...command, '--help']);
    expect(result.code).toBe(0);
    for (const text of expected) expect(result.stdout.replace(/\s+/g, ' ')).toContain(text);
  });
});
