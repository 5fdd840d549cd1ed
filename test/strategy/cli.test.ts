/**
 * `ktrdr strategy` through the compiled CLI as a child process (build first:
 * `npx tsc -p tsconfig.build.json`; `npm test` does): exit codes, the problem
 * list with paths and lines, the summary, --json, --help and the docs check.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { resampleBars } from '../../src/market-data/resample.js';
import { firstIndexAtOrAfter, sliceByIndex } from '../../src/market-data/types.js';
import { renderStrategyDocs, STRATEGY_DOCS_PATH } from '../../src/strategy/docs.js';
import { buildFeatures } from '../../src/strategy/features.js';
import { parseStrategy } from '../../src/strategy/load.js';
import { cleanEnv, REPO_ROOT, runCli } from '../cli/helpers/run-cli.js';
import { DESIGN_YAML, originalStyle } from './fixtures.js';

const ktrdr = (args: string[]) => runCli(args, cleanEnv(), { cwd: REPO_ROOT });
const workDir = mkdtempSync(join(tmpdir(), 'ktrdr-strategy-cli-'));
const writeStrategy = (name: string, text: string) => {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
};

describe('ktrdr strategy validate', () => {
  it('summarises a valid file and exits 0', async () => {
    const result = await ktrdr(['strategy', 'validate', 'strategies/rsi_adx_example.yaml']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('strategies/rsi_adx_example.yaml: valid');
    expect(result.stdout).toMatch(/indicators\s+rsi_14 = rsi\(period=14, source=close\); adx_14 = adx\(period=14\)/);
    expect(result.stdout).toMatch(/fuzzy sets\s+rsi_momentum on rsi_14 \(oversold, overbought\); adx_trend on adx_14\.adx \(weak, strong\)/);
    // 4 memberships × (lookback 2 + 1) lags.
    expect(result.stdout).toMatch(/features\s+12 \(3 lags each\)/);
    expect(result.stdout).toMatch(/range\s+first bar → last bar, 200 bars of warm-up before it/);
    expect(result.stdout).toMatch(/labels\s+zigzag: BUY \/ SELL on a 2\.5% move within 20 bars, else HOLD/);
  });

  it('lists every problem with file:line:column and its path, and exits 1', async () => {
    const bad = DESIGN_YAML.replace('indicator: rsi_14\n', 'indicator: rsi_41\n')
      .replace('version: "3.0"', 'version: 3.0')
      .replace('test: 0.15}', 'test: 0.15}\n  labels: {source: triple}')
      .replace('  labels: {source: zigzag, zigzag_threshold: 0.025, label_lookahead: 20}\n', '')
      .replace('{type: adx, period: 14}', '{type: adxx, period: 14}');
    const path = writeStrategy('bad.yaml', bad);
    const result = await ktrdr(['strategy', 'validate', path]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n').filter(Boolean);
    expect(lines[0]).toBe(`${path}: invalid strategy, 4 problems:`);
    expect(lines[1]).toBe(`  ${path}:2:10: version: must be a quoted string such as "3.0" (an unquoted 3 is a number in YAML, which the original refuses too)`);
    expect(lines[2]).toMatch(new RegExp(`^  ${path}:9:18: indicators\\.adx_14\\.type: unknown indicator type 'adxx'; did you mean 'adx'\\? \\(known: .*\\)$`));
    expect(lines[3]).toBe(`  ${path}:12:16: fuzzy_sets.rsi_momentum.indicator: unknown indicator 'rsi_41' (defined: rsi_14, adx_14)`);
    expect(lines[4]).toBe(`  ${path}:35:20: training.labels.source: must be one of 'zigzag', 'forward_return', 'triple_barrier', 'context', 'regime' (got 'triple')`);
    expect(lines).toHaveLength(5);
  });

  it('loads what the original loads: warnings and notes, exit 0', async () => {
    const path = writeStrategy(
      'notes.yaml',
      DESIGN_YAML.replace('version: "3.0"', 'version: "3.0"\nscope: universal\nfuzy_sets: {}').replace('optimizer: adam\n', 'optimizer: adagrad\n'),
    );
    const result = await ktrdr(['strategy', 'validate', path]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${path}: valid`);
    expect(result.stdout).toContain(`warnings (1):\n  ${path}:4:1: fuzy_sets: unknown key 'fuzy_sets' at the top level is not read; did you mean 'fuzzy_sets'?\n`);
    expect(result.stdout).toContain(`notes (2):\n  ${path}:3:1: ignored: scope\n  ${path}:36:3: not yet used by this ktrdr: training.optimizer adagrad (adam, adamw, sgd, rmsprop) (a training is refused)\n`);
  });

  it('validates a name under KTRDR_DATA_STRATEGIES_DIR, as train does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-strategy-dir-'));
    writeFileSync(join(dir, 'mtf.yaml'), originalStyle('v3_multi_timeframe.yaml'));
    const env = cleanEnv({ KTRDR_DATA_STRATEGIES_DIR: dir });
    const found = await runCli(['strategy', 'validate', 'mtf', '--json'], env, { cwd: REPO_ROOT });
    expect(found.code).toBe(0);
    const report = JSON.parse(found.stdout) as { valid: boolean; file: string; notes: { path: string; message: string; line: number }[]; summary: { timeframes: string[]; features: number } };
    expect(report).toMatchObject({ valid: true, file: join(dir, 'mtf.yaml'), summary: { timeframes: ['1h', '4h', '1d'] } });
    expect(report.summary.features).toBeGreaterThan(0);
    expect(report.notes[0]).toEqual({ path: 'description', message: 'ignored: description', line: 4, column: 1 });
    const missing = await runCli(['strategy', 'validate', 'nope'], env, { cwd: REPO_ROOT });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`strategy 'nope' not found in ${dir} (KTRDR_DATA_STRATEGIES_DIR); available: mtf.yaml`);
  });

  it('reports a YAML syntax error with its line and column', async () => {
    const path = writeStrategy('syntax.yaml', 'name: x\nindicators:\n  rsi: {type: rsi, period: 14\nfuzzy_sets: {}\n');
    const result = await ktrdr(['strategy', 'validate', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path}:4:1: (file): YAML syntax error at line 4, column 1:`);
  });

  it('prints JSON for scripts with --json, valid or not', async () => {
    const valid = await ktrdr(['strategy', 'validate', 'strategies/macd_roc_trend.yaml', '--json']);
    expect(valid.code).toBe(0);
    const report = JSON.parse(valid.stdout) as { valid: boolean; problems: unknown[]; notes: unknown[]; summary: { features: number; feature_names: string[] }; strategy: { name: string } };
    expect(report.valid).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.notes).toEqual([{ path: 'description', message: 'ignored: description', line: 7, column: 1 }]);
    expect(report.strategy.name).toBe('macd_roc_trend');
    // 8 memberships × 4 lags.
    expect(report.summary.features).toBe(32);
    expect(report.summary.feature_names[1]).toBe('1h_macd_momentum_bearish[t-1]');

    const path = writeStrategy('invalid.yaml', DESIGN_YAML.replace('{fuzzy_set: adx_trend,', '{fuzzy_set: adx_trnd,'));
    const invalid = await ktrdr(['strategy', 'validate', path, '--json']);
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stdout)).toEqual({
      valid: false,
      file: path,
      problems: [{ path: 'nn_inputs[1].fuzzy_set', message: "unknown fuzzy set 'adx_trnd' (defined: rsi_momentum, adx_trend)", line: 21, column: 17 }],
      warnings: [],
      notes: [],
    });
  });

  it('reports a missing file and exits 1', async () => {
    const result = await ktrdr(['strategy', 'validate', 'strategies/nope.yaml']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot read strategies/nope.yaml: no such file');
  });

  it('has --help, and a missing argument is a usage error (exit 2)', async () => {
    const help = await ktrdr(['strategy', 'validate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ktrdr strategy validate [options] <strategy>');
    expect(help.stdout).toContain('--json');
    const usage = await ktrdr(['strategy', 'validate']);
    expect(usage.code).toBe(2);
  });
});

describe('ktrdr strategy docs', () => {
  it('the committed docs/strategies.md is what the schema renders', async () => {
    expect(readFileSync(join(REPO_ROOT, STRATEGY_DOCS_PATH), 'utf8')).toBe(renderStrategyDocs());
    const check = await ktrdr(['strategy', 'docs', '--check']);
    expect(check.code).toBe(0);
  });

  it('--check fails on a stale copy and docs --write rewrites it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-strategy-docs-'));
    expect((await ktrdr(['strategy', 'docs', '--check', '--dir', dir])).code).toBe(1);
    expect((await ktrdr(['strategy', 'docs', '--write', '--dir', dir])).code).toBe(0);
    expect(readFileSync(join(dir, STRATEGY_DOCS_PATH), 'utf8')).toBe(renderStrategyDocs());
  });

  it('documents every field and indicator the schema knows', () => {
    const docs = renderStrategyDocs();
    for (const field of ['`training.labels.zigzag_threshold`', '`model.features.lookback_periods`', '`fuzzy_sets.<name>.<membership>`', '`nn_inputs[].timeframes`']) {
      expect(docs).toContain(field);
    }
    expect(docs).toContain('| `adx`, `adxindicator` | period: 14, [2..200] | `<id>.adx`, `<id>.plus_di`, `<id>.minus_di`; `<id>` alone is `adx` | 0 |');
    expect(docs).toContain('fast_period (or fast): 12, [1..100]');
    for (const field of ['`training_data.date_range.start`', '`decisions.position_awareness`', '`training.loss`', '`model.architecture.sequence_length`', '`nn_inputs[].raw_indicator`', '`context_data[].provider`']) {
      expect(docs).toContain(field);
    }
  });
});

describe('ktrdr strategy schema', () => {
  it('prints a JSON Schema that allows the shorthand memberships', async () => {
    const result = await ktrdr(['strategy', 'schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { properties: Record<string, { additionalProperties?: { additionalProperties?: { anyOf?: { type?: string }[] } } }> };
    expect(Object.keys(schema.properties)).toEqual([
      'name', 'version', 'description', 'training_data', 'context_data', 'deployment', 'indicators', 'fuzzy_sets', 'nn_inputs', 'model', 'decisions', 'training',
      'scope', 'backtest', 'backtesting', 'orchestrator', 'risk_management',
    ]);
    expect(schema.properties.fuzzy_sets?.additionalProperties?.additionalProperties?.anyOf?.map((branch) => branch.type)).toEqual(['array', 'object']);
  });
});

describe('ktrdr strategy features', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-strategy-features-'));
  const env = cleanEnv({ KTRDR_DATA_DIR: dataDir });
  const bars = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 400, seed: 3, start: '2023-01-02T00:00:00Z' });
  writeFileSync(join(dataDir, 'EURUSD_1h.csv'), formatCsv(bars));

  it('prints, without a backend, the indicator, membership and model feature columns of every bar of the range, as training computes them', async () => {
    const result = await runCli(['strategy', 'features', 'strategies/rsi_adx_example.yaml', '--start', '2023-01-10', '--end', '2023-01-11'], env, { cwd: REPO_ROOT });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    const columns = header!.split(',');
    expect(columns.slice(0, 10)).toEqual([
      'date', '1h_rsi_14', '1h_adx_14', '1h_adx_14.adx', '1h_adx_14.plus_di', '1h_adx_14.minus_di',
      '1h_rsi_momentum_oversold', '1h_rsi_momentum_overbought', '1h_adx_trend_weak', '1h_adx_trend_strong',
    ]);
    // The model's columns follow; a lag-0 fuzzy feature is its membership column, listed once.
    expect(columns.slice(10, 12)).toEqual(['1h_rsi_momentum_oversold[t-1]', '1h_rsi_momentum_oversold[t-2]']);
    expect(rows).toHaveLength(24);
    expect(rows[0]!.split(',')[0]).toBe('2023-01-10T00:00:00.000Z');

    // The same numbers as the training's own feature builder on the bars training loads (history_required before the range).
    const strategy = parseStrategy(readFileSync(join(REPO_ROOT, 'strategies/rsi_adx_example.yaml'), 'utf8'), 'x');
    const first = firstIndexAtOrAfter(bars.time, Date.parse('2023-01-10T00:00:00Z'));
    const from = Math.max(0, first - strategy.training_data.history_required);
    const loaded = sliceByIndex(bars, from, firstIndexAtOrAfter(bars.time, Date.parse('2023-01-11T00:00:00Z')));
    const features = buildFeatures(strategy, loaded);
    expect(features.names.every((name) => columns.includes(name))).toBe(true);
    rows.forEach((row, index) => {
      const cells = row.split(',');
      const printed = features.names.map((name) => Number(cells[columns.indexOf(name)]));
      const expected = Array.from(features.data.subarray((first - from + index) * features.cols, (first - from + index + 1) * features.cols));
      expect(printed).toEqual(expected);
    });
  });

  it('prints JSON with --format json, and names the missing data of a strategy it cannot compute (exit 1)', async () => {
    const json = await runCli(['strategy', 'features', 'strategies/macd_roc_trend.yaml', '--format', 'json', '--start', '2023-01-15', '--end', '2023-01-15T03:00:00Z'], env, { cwd: REPO_ROOT });
    expect(json.code).toBe(0);
    const table = JSON.parse(json.stdout) as { columns: string[]; rows: Record<string, unknown>[] };
    expect(table.columns).toContain('1h_macd_12_26.histogram');
    expect(table.rows.map((row) => row.date)).toEqual(['2023-01-15T00:00:00.000Z', '2023-01-15T01:00:00.000Z', '2023-01-15T02:00:00.000Z']);

    const context = await runCli(['strategy', 'features', 'test/strategy/fixtures/v3_multi_symbol_context.yaml'], env, { cwd: REPO_ROOT });
    expect(context.code).toBe(1);
    expect(context.stderr).toContain('EURUSD_1d.csv does not exist in KTRDR_DATA_DIR');
    expect(context.stderr).toContain('ktrdr data generate EURUSD 1d');
  });

  it('computes a context strategy on series written by data generate; a missing series names its file, format and command', async () => {
    const contextDir = mkdtempSync(join(tmpdir(), 'ktrdr-strategy-features-context-'));
    const contextEnv = cleanEnv({ KTRDR_DATA_DIR: contextDir });
    writeFileSync(join(contextDir, 'EURUSD_1h.csv'), formatCsv(generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 24 * 30, seed: 4, start: '2023-01-02T00:00:00Z' })));
    const args = ['strategy', 'features', 'strategies/context_macro_eurusd.yaml', '--format', 'json', '--start', '2023-01-20', '--end', '2023-01-21'];

    const validated = await runCli(['strategy', 'validate', 'strategies/context_macro_eurusd.yaml'], contextEnv, { cwd: REPO_ROOT });
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain('dgs10_sma = sma(period=24, source=close) on fred_DGS10');
    expect(validated.stdout).not.toContain('not yet used');

    const missing = await runCli(args, contextEnv, { cwd: REPO_ROOT });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no fred series DGS10: ${join(contextDir, 'context', 'fred', 'DGS10.csv')} does not exist (a CSV with the header date,value`);
    expect(missing.stderr).toContain('create one with: ktrdr data generate DGS10 1d --context fred');

    for (const generate of [
      ['DGS10', '--context', 'fred', '--start', '2022-09-01', '--bars', '200'],
      ['DGS2', '--context', 'fred', '--start', '2022-09-01', '--bars', '200', '--seed', '5'],
      ['EUR', '--context', 'cftc_cot', '--start', '2021-10-01', '--bars', '80'],
    ]) {
      const [series, ...rest] = generate;
      const written = await runCli(['data', 'generate', series as string, '1d', ...rest], contextEnv, { cwd: REPO_ROOT });
      expect(written.code, written.stderr).toBe(0);
    }
    const result = await runCli(args, contextEnv, { cwd: REPO_ROOT });
    expect(result.code, result.stderr).toBe(0);
    const table = JSON.parse(result.stdout) as { columns: string[]; features: string[]; rows: Record<string, number | string | null>[] };
    expect(table.columns).toEqual(expect.arrayContaining(['1h_dgs10_sma', '1h_spread_sma', '1h_cot_rank', '1h_positioning_short_crowded', '1h_dgs10_sma_raw']));
    expect(table.rows).toHaveLength(24);

    // Each context column is the series as of the bar: the last observation dated at or before the bar's opening.
    const csv = (path: string) => readFileSync(join(contextDir, 'context', path), 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
    const asOf = (rows: string[][], ms: number) => rows.filter(([date]) => Date.parse(date as string) <= ms).at(-1)?.[1];
    const dgs10 = csv('fred/DGS10.csv');
    const dgs2 = csv('fred/DGS2.csv');
    for (const row of table.rows) {
      const ms = Date.parse(row.date as string);
      // A 24-bar SMA of hourly bars: the 24 bars ending at this one, each reading its own as-of value.
      let sum = 0;
      let spread = 0;
      for (let k = 0; k < 24; k++) {
        sum += Number(asOf(dgs10, ms - k * 3_600_000));
        spread += Number(asOf(dgs10, ms - k * 3_600_000)) - Number(asOf(dgs2, ms - k * 3_600_000));
      }
      expect(row['1h_dgs10_sma']).toBeCloseTo(sum / 24, 9);
      expect(row['1h_spread_sma']).toBeCloseTo(spread / 24, 9);
      expect(row['1h_cot_rank']).toBeGreaterThanOrEqual(0);
      expect(row['1h_cot_rank']).toBeLessThanOrEqual(100);
    }
  });

  it('computes a multi-timeframe strategy: 4h resampled (and said so), 1d from its file, no look-ahead, the model columns in order', async () => {
    const hourly = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 1_200, seed: 8, start: '2023-01-02T00:00:00Z' });
    const mtfDir = mkdtempSync(join(tmpdir(), 'ktrdr-strategy-features-mtf-'));
    writeFileSync(join(mtfDir, 'EURUSD_1h.csv'), formatCsv(hourly));
    const daily = resampleBars(hourly, '1d');
    writeFileSync(join(mtfDir, 'EURUSD_1d.csv'), formatCsv(daily));
    const args = ['strategy', 'features', 'strategies/mtf_trend_raw.yaml', '--format', 'json', '--start', '2023-02-10', '--end', '2023-02-11'];
    const run = async () => {
      const result = await runCli(args, cleanEnv({ KTRDR_DATA_DIR: mtfDir }), { cwd: REPO_ROOT });
      expect(result.code).toBe(0);
      return { stderr: result.stderr, table: JSON.parse(result.stdout) as { columns: string[]; features: string[]; rows: Record<string, number | string | null>[] } };
    };
    const { stderr, table } = await run();
    expect(stderr).toBe('note: EURUSD_4h.csv does not exist: 4h bars resampled from 1h (UTC-aligned OHLCV aggregation)\n');
    expect(table.rows).toHaveLength(24);
    expect(table.features.slice(0, 2)).toEqual(['1h_rsi_zone_oversold', '1h_rsi_zone_oversold[t-1]']);
    expect(table.features.slice(-6)).toEqual(['1d_rsi_14_raw', '1d_rsi_14_raw[t-1]', '1h_price_return', '1h_price_return[t-1]', '1h_price_range', '1h_price_range[t-1]']);
    expect(table.features.every((name) => table.columns.includes(name))).toBe(true);
    // The hourly rows of 2023-02-10 show the daily bar of 02-09 (closed at 02-10 00:00); only the last one, closing
    // at 02-11 00:00 with the 02-10 daily bar, shows that bar.
    const dailyRsi = table.rows.map((row) => row['1d_rsi_14']);
    expect(new Set(dailyRsi.slice(0, 23)).size).toBe(1);
    expect(dailyRsi[23]).not.toEqual(dailyRsi[0]);

    // Change the daily bar of 2023-02-10 in the file: it is still open during the day, so no row but the last changes.
    const changed = { ...daily, close: daily.close.slice(), high: daily.high.slice() };
    const open = daily.time.indexOf(Date.parse('2023-02-10T00:00:00Z'));
    changed.close[open] = (changed.close[open] as number) * 1.5;
    changed.high[open] = changed.close[open] as number; // a valid bar: the high contains the close
    writeFileSync(join(mtfDir, 'EURUSD_1d.csv'), formatCsv(changed));
    const after = await run();
    expect(after.table.rows.slice(0, 23)).toEqual(table.rows.slice(0, 23));
    expect(after.table.rows[23]?.['1d_rsi_14']).not.toEqual(table.rows[23]?.['1d_rsi_14']);
  }, 60_000);
});
