/**
 * Context data (STRATEGY-V3 §2.6-2.7): source ids, the derived series (yield
 * spread, COT percentile rank), alignment onto base bars with no look-ahead,
 * and indicators routed to a context series through the feature pipeline.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ContextSeries } from '../../src/market-data/context.js';
import { generateBars } from '../../src/market-data/generate.js';
import { alignContextFrame, loadContextFrames, percentileRank, resolveContextSources, yieldSpread, type ContextFrame } from '../../src/strategy/context.js';
import { buildFeaturesFromSpec, featureSpec, parseFeatureSpec } from '../../src/strategy/features.js';
import { parseStrategy } from '../../src/strategy/load.js';
import { loadMarketInputs } from '../../src/strategy/market-inputs.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1); // a Monday
const YAML = readFileSync(new URL('../../strategies/context_macro_eurusd.yaml', import.meta.url), 'utf8');

const series = (provider: 'fred' | 'cftc_cot', name: string, time: number[], value: number[]): ContextSeries => ({
  provider,
  series: name,
  time: Float64Array.from(time),
  value: Float64Array.from(value),
});

describe('source ids', () => {
  it('resolves every id of §2.6: fred_<id> and the first two series’ spread, COT net_pos and net_pct, an ib symbol (1h by default)', () => {
    const sources = resolveContextSources([
      { provider: 'fred', series: ['DGS10', 'DGS2', 'DFF'] },
      { provider: 'cftc_cot', report: 'EUR' },
      { provider: 'ib', symbol: 'DXY', timeframe: '1d' },
      { provider: 'ib', symbol: 'SPY' },
    ]);
    expect(Object.fromEntries(sources)).toEqual({
      fred_DGS10: { id: 'fred_DGS10', kind: 'fred', series: 'DGS10' },
      fred_DGS2: { id: 'fred_DGS2', kind: 'fred', series: 'DGS2' },
      fred_DFF: { id: 'fred_DFF', kind: 'fred', series: 'DFF' },
      yield_spread_DGS10_DGS2: { id: 'yield_spread_DGS10_DGS2', kind: 'yield_spread', series: ['DGS10', 'DGS2'] },
      cot_EUR_net_pos: { id: 'cot_EUR_net_pos', kind: 'cot_net_pos', report: 'EUR' },
      cot_EUR_net_pct: { id: 'cot_EUR_net_pct', kind: 'cot_net_pct', report: 'EUR' },
      DXY: { id: 'DXY', kind: 'ib', symbol: 'DXY', timeframe: '1d' },
      SPY: { id: 'SPY', kind: 'ib', symbol: 'SPY', timeframe: '1h' },
    });
    expect([...resolveContextSources([{ provider: 'fred', series: ['DGS10'] }]).keys()]).toEqual(['fred_DGS10']);
  });

  it('the feature specification keeps each indicator’s data_source and only the sources the model reads', () => {
    const spec = featureSpec(parseStrategy(YAML, 'x'));
    expect(spec.indicators.map((indicator) => [indicator.id, indicator.data_source])).toEqual([
      ['rsi_14', null],
      ['dgs10_sma', 'fred_DGS10'],
      ['spread_sma', 'yield_spread_DGS10_DGS2'],
      ['cot_rank', 'cot_EUR_net_pct'],
    ]);
    expect(spec.context.map((source) => source.id)).toEqual(['fred_DGS10', 'yield_spread_DGS10_DGS2', 'cot_EUR_net_pct']);
    // A stored spec from before context data: no data_source, no context.
    const { context: _context, ...older } = spec;
    const parsed = parseFeatureSpec({ ...older, indicators: spec.indicators.map(({ data_source: _source, ...rest }) => rest) });
    expect(parsed.context).toEqual([]);
    expect(parsed.indicators.every((indicator) => indicator.data_source === null)).toBe(true);
  });
});

describe('derived series', () => {
  it('yield spread: series0 − series1 on the dates both have', () => {
    const a = series('fred', 'DGS10', [T0, T0 + DAY, T0 + 2 * DAY, T0 + 4 * DAY], [4.1, 4.2, 4.3, 4.5]);
    const b = series('fred', 'DGS2', [T0, T0 + 2 * DAY, T0 + 3 * DAY, T0 + 4 * DAY], [4.6, 4.4, 4.0, 4.25]);
    const spread = yieldSpread(a, b);
    expect(Array.from(spread.time)).toEqual([T0, T0 + 2 * DAY, T0 + 4 * DAY]);
    expect(Array.from(spread.value).map((v) => Math.round(v * 100) / 100)).toEqual([-0.5, -0.1, 0.25]);
  });

  it('COT percentile rank: share of the previous 51 weeks strictly below ×100, NaN for the first 51 weeks', () => {
    // Weeks 0..50 hold 1..51; week 51 is 52 (above all 51: 100), week 52 is 0.5 (below all: 0),
    // week 53 is 26 (weeks 2..50 hold 3..51, 52 and 0.5: below 26 are 3..25 and 0.5 = 24 values).
    const values = Float64Array.from([...Array.from({ length: 51 }, (_, i) => i + 1), 52, 0.5, 26]);
    const rank = percentileRank(values);
    expect(rank.subarray(0, 51).every(Number.isNaN)).toBe(true);
    expect(rank[51]).toBe(100);
    expect(rank[52]).toBe(0);
    expect(rank[53]).toBeCloseTo((24 / 51) * 100, 12);
    // Ties are not below: a flat series ranks 0.
    expect(percentileRank(new Float64Array(52).fill(7))[51]).toBe(0);
    // Small window by hand: [3, 1, 2, 5] with window 3 → week 2: 2 > 1 only of (3, 1) → 50; week 3: 5 > 1, 2 → 100.
    expect(Array.from(percentileRank(Float64Array.from([3, 1, 2, 5]), 3))).toEqual([Number.NaN, Number.NaN, 50, 100]);
  });

  it('loads each file once: fred series, their spread, COT position and rank; a missing file rejects with the reader’s message', async () => {
    const loads: string[] = [];
    const files: Record<string, ContextSeries> = {
      'fred/DGS10': series('fred', 'DGS10', [T0, T0 + DAY], [4, 5]),
      'fred/DGS2': series('fred', 'DGS2', [T0, T0 + DAY], [3, 3.5]),
      'cftc_cot/EUR': series('cftc_cot', 'EUR', [T0, T0 + 7 * DAY], [100, 200]),
    };
    const source = {
      load: (provider: 'fred' | 'cftc_cot', name: string) => {
        loads.push(`${provider}/${name}`);
        const found = files[`${provider}/${name}`];
        return found ? Promise.resolve(found) : Promise.reject(new Error(`no ${provider} series ${name}`));
      },
    };
    const sources = [...resolveContextSources([{ provider: 'fred', series: ['DGS10', 'DGS2'] }, { provider: 'cftc_cot', report: 'EUR' }]).values()];
    const frames = await loadContextFrames({ sources, series: source, bars: () => Promise.resolve(null), end: '2025-01-01', missingBars: () => 'none' });
    expect(loads).toEqual(['fred/DGS10', 'fred/DGS2', 'cftc_cot/EUR']);
    expect(Array.from(frames.get('yield_spread_DGS10_DGS2')!.bars.close)).toEqual([1, 1.5]);
    expect(Array.from(frames.get('cot_EUR_net_pos')!.bars.close)).toEqual([100, 200]);
    expect(Array.from(frames.get('cot_EUR_net_pct')!.bars.close).every(Number.isNaN)).toBe(true);
    await expect(
      loadContextFrames({ sources: [{ id: 'fred_X', kind: 'fred', series: 'X' }], series: source, bars: () => Promise.resolve(null), end: '2025-01-01', missingBars: () => 'none' }),
    ).rejects.toThrow('no fred series X');
  });
});

describe('alignment onto base bars (no look-ahead)', () => {
  const hourly = (count: number, start = T0): Float64Array => Float64Array.from({ length: count }, (_, i) => start + i * HOUR);
  const observations = (time: number[], value: number[]): ContextFrame => ({
    id: 'fred_X',
    barMs: 0,
    bars: { symbol: 'fred_X', timeframe: '1d', time: Float64Array.from(time), open: Float64Array.from(value), high: Float64Array.from(value), low: Float64Array.from(value), close: Float64Array.from(value), volume: new Float64Array(value.length) },
  });

  it('an observation dated D is read from the bar opening at D on, never by a bar opening before D; rows before the first observation are dropped', () => {
    // Bars from Jan 1 22:00 to Jan 3 01:00; observations dated Jan 2 and Jan 3 (00:00 UTC).
    const base = hourly(28, T0 + 22 * HOUR);
    const { offset, bars } = alignContextFrame(observations([T0 + DAY, T0 + 2 * DAY], [10, 20]), base, HOUR);
    expect(offset).toBe(2); // 22:00 and 23:00 of Jan 1 see nothing
    expect(bars.time[0]).toBe(T0 + DAY);
    expect(Array.from(bars.close.subarray(0, 24))).toEqual(new Array(24).fill(10));
    expect(Array.from(bars.close.subarray(24))).toEqual([20, 20]);
  });

  it('rows before the first valid value (the percentile rank’s NaN weeks) are dropped too', () => {
    const base = hourly(72);
    const { offset, bars } = alignContextFrame(observations([T0, T0 + DAY], [Number.NaN, 5]), base, HOUR);
    expect(offset).toBe(24);
    expect(Array.from(bars.close).every((v) => v === 5)).toBe(true);
  });

  it('an ib bar is read once it has closed (its opening time is not enough)', () => {
    const daily = generateBars({ symbol: 'DXY', timeframe: '1d', bars: 3, seed: 1, start: T0 });
    const frame: ContextFrame = { id: 'DXY', barMs: DAY, bars: daily };
    const { offset, bars } = alignContextFrame(frame, hourly(72), HOUR);
    // The Jan 1 daily bar closes at the close of the 23:00 hourly bar.
    expect(offset).toBe(23);
    expect(bars.close[0]).toBe(daily.close[0]);
    // Jan 3 22:00 (base row 70) still reads Jan 2's bar; the 23:00 bar closes with Jan 3's and reads it.
    expect(bars.close[70 - offset]).toBe(daily.close[1]);
    expect(bars.close[71 - offset]).toBe(daily.close[2]);
  });

  it('an ib source loads the other instrument\'s bars up to the end of the base bars; a missing file names it and the command', async () => {
    const eurusd = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 72, seed: 1, start: T0 });
    const dxy = generateBars({ symbol: 'DXY', timeframe: '1d', bars: 10, seed: 2, start: T0 - 5 * DAY });
    const requests: string[] = [];
    const files: Record<string, typeof eurusd> = { EURUSD_1h: eurusd, DXY_1d: dxy };
    const source = {
      load: (symbol: string, timeframe: string, range: { end?: string }) => {
        requests.push(`${symbol}_${timeframe} < ${range.end ?? '∞'}`);
        return Promise.resolve(files[`${symbol}_${timeframe}`] ?? null);
      },
    };
    const sources = [...resolveContextSources([{ provider: 'ib', symbol: 'DXY', timeframe: '1d' }]).values()];
    const noFiles = { load: () => Promise.reject(new Error('no file')) };
    const loaded = await loadMarketInputs({ spec: { base_timeframe: '1h', timeframes: ['1h'] }, symbol: 'EURUSD', source, context: { sources, series: noFiles } });
    expect(requests).toEqual(['EURUSD_1h < ∞', 'DXY_1d < 2024-01-04T00:00:00Z']);
    expect(loaded.inputs.context?.get('DXY')).toMatchObject({ barMs: DAY, bars: dxy });
    delete files.DXY_1d;
    await expect(loadMarketInputs({ spec: { base_timeframe: '1h', timeframes: ['1h'] }, symbol: 'EURUSD', source, context: { sources, series: noFiles } })).rejects.toThrow(
      "context source 'DXY': no market data for DXY 1d: DXY_1d.csv does not exist in KTRDR_DATA_DIR",
    );
  });

  it('features: changing observations dated after a bar never changes that bar’s row, and does change a later row', async () => {
    const strategy = parseStrategy(YAML, 'x');
    const spec = featureSpec(strategy);
    const eurusd = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 24 * 40, seed: 3, start: '2024-01-01T00:00:00Z' });
    const weekdays = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i * DAY);
    const fred = (name: string, shift: number) => series('fred', name, weekdays(T0 - 60 * DAY, 120), Array.from({ length: 120 }, (_, i) => 3 + shift + Math.sin(i / 5)));
    const cot = series('cftc_cot', 'EUR', Array.from({ length: 70 }, (_, i) => T0 - 60 * 7 * DAY + i * 7 * DAY + DAY), Array.from({ length: 70 }, (_, i) => Math.round(1000 * Math.cos(i / 3))));
    const build = async (files: Record<string, ContextSeries>) => {
      const loaded = await loadMarketInputs({
        spec: { ...spec, timeframes: ['1h'] },
        symbol: 'EURUSD',
        source: { load: () => Promise.resolve(eurusd) },
        context: { sources: spec.context, series: { load: (provider, name) => Promise.resolve(files[`${provider}/${name}`]!) } },
      });
      return buildFeaturesFromSpec(spec, loaded.inputs);
    };
    const files = { 'fred/DGS10': fred('DGS10', 1), 'fred/DGS2': fred('DGS2', 0), 'cftc_cot/EUR': cot };
    const before = await build(files);
    // Every observation dated after the cut (Jan 20 12:00) is changed.
    const cut = T0 + 19 * DAY + 12 * HOUR;
    const change = (s: ContextSeries): ContextSeries => ({ ...s, value: s.value.map((v, i) => ((s.time[i] as number) > cut ? v + 100 : v)) });
    const after = await build({ 'fred/DGS10': change(files['fred/DGS10']), 'fred/DGS2': change(files['fred/DGS2']), 'cftc_cot/EUR': change(cot) });
    const cutRow = Array.from(eurusd.time).findIndex((t) => t > cut) - 1;
    const row = (matrix: typeof before, t: number) => Array.from(matrix.data.subarray(t * matrix.cols, (t + 1) * matrix.cols));
    expect(before.firstValidRow).toBeLessThan(cutRow);
    for (let t = 0; t <= cutRow; t++) expect(row(after, t), `row ${t}`).toEqual(row(before, t));
    expect(row(after, eurusd.time.length - 1)).not.toEqual(row(before, eurusd.time.length - 1));
    // The context columns are defined and read the series (not NaN) once warmed up.
    const column = spec.columns.indexOf('1h_dgs10_sma_raw');
    expect(Number.isFinite(before.data[cutRow * before.cols + column] as number)).toBe(true);
  });
});

