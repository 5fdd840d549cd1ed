/**
 * Multi-timeframe features: resampling (hand-computed OHLCV aggregation on UTC
 * boundaries), the completed-bar alignment (no look-ahead: a higher timeframe's
 * still-open bar never reaches a base bar), section 5.2 naming and order,
 * normalisation fitted on given rows only, and the loader (missing higher
 * timeframe resampled and logged, missing lower one refused naming the file).
 */
import { describe, expect, it } from 'vitest';
import { generateBars } from '../../src/market-data/generate.js';
import { resampleBars } from '../../src/market-data/resample.js';
import type { BarSeries, Timeframe } from '../../src/market-data/types.js';
import { completedBarIndex, observedIndex } from '../../src/strategy/alignment.js';
import { buildFeaturesFromSpec, featureSpec, fitNormalization, parseFeatureSpec, type MarketInputs } from '../../src/strategy/features.js';
import { loadMarketInputs, type BarsSource } from '../../src/strategy/market-inputs.js';
import { applyNormalizer, fitNormalizer } from '../../src/strategy/normalization.js';
import { parseStrategy } from '../../src/strategy/load.js';

const HOUR = 3_600_000;

function bars(timeframe: Timeframe, rows: readonly [time: number, open: number, high: number, low: number, close: number, volume: number][]): BarSeries {
  const column = (i: number) => Float64Array.from(rows.map((row) => row[i] as number));
  return { symbol: 'TEST', timeframe, time: column(0), open: column(1), high: column(2), low: column(3), close: column(4), volume: column(5) };
}

const MTF_YAML = `
name: mtf_test
training_data:
  symbols: {mode: single, symbol: EURUSD}
  timeframes: {mode: multi_timeframe, list: ["1h", "4h"], base_timeframe: "1h"}
indicators:
  rsi_3: {type: rsi, period: 3}
  macd: {type: macd, fast: 3, slow: 6, signal: 2}
fuzzy_sets:
  rsi_zone:
    indicator: rsi_3
    low: [0, 0, 40, 60]
    high: [40, 60, 100, 100]
nn_inputs:
  - {fuzzy_set: rsi_zone, timeframes: all}
  - {raw_indicator: macd.histogram, timeframes: ["4h"], normalization: zscore}
  - {raw_indicator: rsi_3, timeframes: ["1h"], normalization: minmax}
model: {type: mlp, architecture: {hidden_layers: [4]}, features: {lookback_periods: 1}}
training: {labels: {zigzag_threshold: 0.01, label_lookahead: 3}}
`;

describe('resampleBars', () => {
  it('aggregates OHLCV on UTC boundaries: first open, max high, min low, last close, summed volume; a span without bars gives none', () => {
    const t0 = Date.UTC(2024, 0, 1, 2); // 02:00: the 00:00-04:00 bar holds only two hourly bars
    const hourly = bars('1h', [
      [t0, 1.0, 1.5, 0.9, 1.2, 10],
      [t0 + HOUR, 1.2, 1.3, 1.1, 1.25, 20],
      [t0 + 2 * HOUR, 1.25, 2.0, 1.2, 1.9, 30], // 04:00
      [t0 + 3 * HOUR, 1.9, 1.95, 0.5, 0.8, 40],
      [t0 + 4 * HOUR, 0.8, 0.9, 0.7, 0.85, 50],
      [t0 + 5 * HOUR, 0.85, 1.0, 0.8, 0.95, 60],
      // 08:00-12:00 missing (a gap): no 4h bar at 08:00
      [t0 + 10 * HOUR, 1.0, 1.1, 0.95, 1.05, 70], // 12:00
    ]);
    const fourHourly = resampleBars(hourly, '4h');
    expect(fourHourly.timeframe).toBe('4h');
    expect(Array.from(fourHourly.time)).toEqual([Date.UTC(2024, 0, 1, 0), Date.UTC(2024, 0, 1, 4), Date.UTC(2024, 0, 1, 12)]);
    expect(Array.from(fourHourly.open)).toEqual([1.0, 1.25, 1.0]);
    expect(Array.from(fourHourly.high)).toEqual([1.5, 2.0, 1.1]);
    expect(Array.from(fourHourly.low)).toEqual([0.9, 0.5, 0.95]);
    expect(Array.from(fourHourly.close)).toEqual([1.25, 0.95, 1.05]);
    expect(Array.from(fourHourly.volume)).toEqual([30, 180, 70]);
    const daily = resampleBars(hourly, '1d');
    expect(Array.from(daily.time)).toEqual([Date.UTC(2024, 0, 1)]);
    expect([daily.open[0], daily.high[0], daily.low[0], daily.close[0], daily.volume[0]]).toEqual([1.0, 2.0, 0.5, 1.05, 280]);
  });

  it('refuses to build a shorter timeframe, or one that is not a whole number of bars', () => {
    const hourly = generateBars({ symbol: 'X', timeframe: '1h', bars: 10, seed: 1 });
    expect(() => resampleBars(hourly, '30m')).toThrow(/only a longer timeframe/);
  });
});

describe('completed-bar alignment', () => {
  it('shows a base bar the latest other bar closed by the base bar close, and nothing before the first one', () => {
    const base = Float64Array.from({ length: 9 }, (_, i) => i * HOUR); // 00:00 .. 08:00
    const four = Float64Array.from([0, 4 * HOUR, 8 * HOUR]);
    // The 00:00 4h bar closes at 04:00 = the close of the 03:00 hourly bar.
    expect(Array.from(completedBarIndex(base, HOUR, four, 4 * HOUR))).toEqual([-1, -1, -1, 0, 0, 0, 0, 1, 1]);
    // A lower timeframe: the last 15m bar of each hour.
    const quarter = Float64Array.from({ length: 8 }, (_, i) => i * 15 * 60_000);
    expect(Array.from(completedBarIndex(base.subarray(0, 3), HOUR, quarter, 15 * 60_000))).toEqual([3, 7, 7]);
    // Observations (context series): those stamped at or before the bar's opening.
    expect(Array.from(observedIndex(base.subarray(0, 4), Float64Array.from([HOUR, 2.5 * HOUR])))).toEqual([-1, 0, 0, 1]);
  });
});

describe('multi-timeframe features', () => {
  const strategy = parseStrategy(MTF_YAML, 'mtf.yaml');
  const spec = featureSpec(strategy);
  const hourly = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 400, seed: 5, start: '2024-01-01T00:00:00Z' });
  const market = (fourHourly: BarSeries): MarketInputs => ({ base: hourly, timeframes: new Map([['1h', hourly], ['4h', fourHourly]]) });
  const fourHourly = resampleBars(hourly, '4h');

  it('names and orders the columns as section 5.2: per input, per timeframe, per membership, each with its lags', () => {
    expect(spec.base_timeframe).toBe('1h');
    expect(spec.timeframes).toEqual(['1h', '4h']);
    expect(spec.columns).toEqual([
      '1h_rsi_zone_low',
      '1h_rsi_zone_low[t-1]',
      '1h_rsi_zone_high',
      '1h_rsi_zone_high[t-1]',
      '4h_rsi_zone_low',
      '4h_rsi_zone_low[t-1]',
      '4h_rsi_zone_high',
      '4h_rsi_zone_high[t-1]',
      '4h_macd.histogram_raw',
      '4h_macd.histogram_raw[t-1]',
      '1h_rsi_3_raw',
      '1h_rsi_3_raw[t-1]',
    ]);
  });

  it("never shows a base bar the higher timeframe's still-open bar: changing it leaves the base bar's features unchanged", () => {
    const before = buildFeaturesFromSpec(spec, market(fourHourly));
    // Base bar 201 (09:00 on day 9) lies inside the 4h bar opened at 08:00, still open until 12:00.
    const row = 201;
    const open = fourHourly.time.indexOf(Math.floor((hourly.time[row] as number) / (4 * HOUR)) * 4 * HOUR);
    expect(open).toBeGreaterThan(0);
    const changed = { ...fourHourly, close: fourHourly.close.slice(), high: fourHourly.high.slice() };
    changed.close[open] = (changed.close[open] as number) * 1.2;
    changed.high[open] = Math.max(changed.high[open] as number, changed.close[open] as number);
    const after = buildFeaturesFromSpec(spec, market(changed));
    const rowOf = (matrix: typeof before, r: number) => Array.from(matrix.data.subarray(r * matrix.cols, (r + 1) * matrix.cols));
    expect(rowOf(after, row)).toEqual(rowOf(before, row));
    // The base bar at which that 4h bar closes (11:00, closing at 12:00) does see the change: the test can fail.
    const closesAt = hourly.time.indexOf((fourHourly.time[open] as number) + 3 * HOUR);
    const column = spec.columns.indexOf('4h_macd.histogram_raw');
    expect(after.data[closesAt * after.cols + column]).not.toBe(before.data[closesAt * before.cols + column]);
  });

  it('gives the same features from a 4h file as from 4h bars resampled from the base', () => {
    const fromFile = { ...fourHourly, time: fourHourly.time.slice() };
    const a = buildFeaturesFromSpec(spec, market(fromFile));
    const b = buildFeaturesFromSpec(spec, market(resampleBars(hourly, '4h')));
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
  });

  it('fits the normalisation on the given rows only, stores it in the spec and re-applies it identically', () => {
    const raw = buildFeaturesFromSpec(spec, market(fourHourly));
    const trainRows = Array.from({ length: 200 }, (_, i) => 100 + i);
    const data = raw.data.slice();
    const fitted = fitNormalization(spec, data, raw.cols, trainRows);
    const column = spec.columns.indexOf('1h_rsi_3_raw');
    const normalizer = fitted.normalizers?.[column];
    expect(normalizer?.method).toBe('minmax');
    // By hand: min and max of the raw column over the train rows only.
    const values = trainRows.map((r) => raw.data[r * raw.cols + column] as number);
    expect(normalizer).toEqual({ method: 'minmax', min: Math.min(...values), max: Math.max(...values) });
    expect(fitted.normalizers?.[spec.columns.indexOf('1h_rsi_zone_low')]).toEqual({ method: 'none' });
    expect(fitted.normalizers?.[spec.columns.indexOf('4h_macd.histogram_raw')]?.method).toBe('zscore');
    // Stored as JSON and rebuilt: the same normalised matrix.
    const rebuilt = buildFeaturesFromSpec(parseFeatureSpec(JSON.parse(JSON.stringify(fitted))), market(fourHourly));
    expect(Array.from(rebuilt.data)).toEqual(Array.from(data));
  });
});

describe('normalizers', () => {
  it('minmax and zscore by hand (sample standard deviation), NaN skipped, constant columns to 0', () => {
    const data = Float64Array.from([1, 10, 3, 10, Number.NaN, 10, 5, 10]); // 4 rows × 2 columns
    expect(fitNormalizer('minmax', data, 2, 0, [0, 1, 2, 3])).toEqual({ method: 'minmax', min: 1, max: 5 });
    const z = fitNormalizer('zscore', data, 2, 0, [0, 1, 2, 3]);
    expect(z).toEqual({ method: 'zscore', mean: 3, std: 2 }); // values 1, 3, 5: mean 3, sample variance (4+0+4)/2 = 4
    expect(fitNormalizer('zscore', data, 2, 0, [0, 1])).toEqual({ method: 'zscore', mean: 2, std: Math.SQRT2 });
    const constant = fitNormalizer('minmax', data, 2, 1, [0, 1, 2, 3]);
    const copy = data.slice();
    applyNormalizer(z, copy, 2, 0);
    applyNormalizer(constant, copy, 2, 1);
    expect(Array.from(copy)).toEqual([-1, 0, 0, 0, Number.NaN, 0, 1, 0]);
  });
});

describe('loadMarketInputs', () => {
  const hourly = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 300, seed: 3, start: '2024-01-01T00:00:00Z' });
  const source = (series: Record<string, BarSeries>): BarsSource & { asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      load(symbol, timeframe) {
        asked.push(`${symbol}_${timeframe}`);
        return Promise.resolve(series[`${symbol}_${timeframe}`] ?? null);
      },
    };
  };

  it('resamples a higher timeframe whose file is missing, and says so', async () => {
    const messages: string[] = [];
    const loaded = await loadMarketInputs({ spec: { base_timeframe: '1h', timeframes: ['1h', '4h'] }, symbol: 'EURUSD', source: source({ EURUSD_1h: hourly }), log: (m) => messages.push(m) });
    expect(loaded.resampled).toEqual(['4h']);
    expect(Array.from(loaded.inputs.timeframes.get('4h')?.close ?? [])).toEqual(Array.from(resampleBars(hourly, '4h').close));
    expect(messages).toEqual(['EURUSD_4h.csv does not exist: 4h bars resampled from 1h (UTC-aligned OHLCV aggregation)']);
  });

  it('keeps history_required base bars before the start, and the other timeframes from their first bar', async () => {
    const fourHourly = resampleBars(hourly, '4h');
    const loaded = await loadMarketInputs({
      spec: { base_timeframe: '1h', timeframes: ['1h', '4h'] },
      symbol: 'EURUSD',
      source: source({ EURUSD_1h: hourly, EURUSD_4h: fourHourly }),
      start: '2024-01-08T00:00:00Z',
      warmupBars: 24,
    });
    expect(loaded.firstRow).toBe(24);
    expect(loaded.inputs.base.time[0]).toBe(Date.UTC(2024, 0, 7));
    expect(loaded.inputs.timeframes.get('4h')).toBe(fourHourly);
    expect(loaded.resampled).toEqual([]);
  });

  it('refuses a missing base, or a missing lower timeframe, naming the file, its format and the command that creates it', async () => {
    await expect(loadMarketInputs({ spec: { base_timeframe: '1h', timeframes: ['1h'] }, symbol: 'GBPUSD', source: source({}) })).rejects.toThrow(
      'GBPUSD_1h.csv does not exist in KTRDR_DATA_DIR (a CSV with the header date,open,high,low,close,volume; create one with: ktrdr data generate GBPUSD 1h)',
    );
    await expect(loadMarketInputs({ spec: { base_timeframe: '1h', timeframes: ['1h', '15m'] }, symbol: 'EURUSD', source: source({ EURUSD_1h: hourly }) })).rejects.toThrow(
      /EURUSD_15m\.csv does not exist.*ktrdr data generate EURUSD 15m.*cannot be resampled/,
    );
  });
});
