/**
 * Features: the columns (order and names), their values against a hand-written
 * reference (SMA and ROC by loop, triangular/trapezoidal/gaussian memberships by
 * formula), the first complete row, no look-ahead, and the stored feature
 * specification rebuilding bit-identical matrices.
 */
import { describe, expect, it } from 'vitest';
import { generateBars } from '../../src/market-data/generate.js';
import type { BarSeries } from '../../src/market-data/types.js';
import { buildFeatures, buildFeaturesFromSpec, FeatureSpecError, featureSpec, parseFeatureSpec, warmupBars, type FeatureMatrix } from '../../src/strategy/features.js';
import { parseStrategy } from '../../src/strategy/load.js';
import { DESIGN_YAML } from './fixtures.js';

const STRATEGY_YAML = `
name: features_test
version: "1"
training_data: {symbols: {mode: single, symbol: TEST}, timeframes: {mode: single, timeframe: 1h}}
indicators:
  unused_ema: {type: ema, period: 5}
  sma_3: {type: sma, period: 3}
  roc_2: {type: roc, period: 2}
fuzzy_sets:
  level:
    indicator: sma_3
    low: [0, 0, 10, 12]
    high: [10, 14, 20]
  change:
    indicator: roc_2
    up: {type: gaussian, parameters: [10, 5]}
nn_inputs:
  - {fuzzy_set: change}
  - {fuzzy_set: level}
model: {type: mlp, architecture: {hidden_layers: [4]}, features: {lookback_periods: 2}}
training: {labels: {zigzag_threshold: 0.01, label_lookahead: 3}}
`;

/** A hand-made series: a zig-zag of closes so that every membership takes several values. */
function handMadeBars(closes: readonly number[]): BarSeries {
  const n = closes.length;
  const close = Float64Array.from(closes);
  return {
    symbol: 'TEST',
    timeframe: '1h',
    time: Float64Array.from({ length: n }, (_, t) => Date.UTC(2024, 0, 1) + t * 3_600_000),
    open: close.slice(),
    high: close.map((value) => value + 0.5),
    low: close.map((value) => value - 0.5),
    close,
    volume: new Float64Array(n).fill(100),
  };
}

const CLOSES = [10, 11, 13, 12, 14, 16, 15, 13, 11, 12, 14, 17, 18, 16, 15, 13, 12, 10, 9, 11];

// The reference, written independently of src/: plain loops and the textbook formulas.
function smaReference(values: readonly number[], period: number): number[] {
  return values.map((_, t) => (t < period - 1 ? NaN : values.slice(t - period + 1, t + 1).reduce((a, b) => a + b, 0) / period));
}
function rocReference(values: readonly number[], period: number): number[] {
  return values.map((value, t) => (t < period ? NaN : (100 * (value - values[t - period]!)) / values[t - period]!));
}
function trapezoid(x: number, a: number, b: number, c: number, d: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= a && a < b) return 0;
  if (x >= d && c < d) return 0;
  if (x < b) return (x - a) / (b - a);
  if (x <= c) return 1;
  return (d - x) / (d - c);
}
const triangle = (x: number, a: number, b: number, c: number) => trapezoid(x, a, b, b, c);
const gauss = (x: number, mean: number, sigma: number) => Math.exp(-((x - mean) ** 2) / (2 * sigma * sigma));

const at = (matrix: FeatureMatrix, row: number, column: number) => matrix.data[row * matrix.cols + column]!;

describe('buildFeatures', () => {
  const strategy = parseStrategy(STRATEGY_YAML, 'features.yaml');
  const bars = handMadeBars(CLOSES);
  const matrix = buildFeatures(strategy, bars);

  it('has one column per (nn_input, membership, lag), in nn_inputs order, with readable names', () => {
    expect(matrix.names).toEqual([
      '1h_change_up',
      '1h_change_up[t-1]',
      '1h_change_up[t-2]',
      '1h_level_low',
      '1h_level_low[t-1]',
      '1h_level_low[t-2]',
      '1h_level_high',
      '1h_level_high[t-1]',
      '1h_level_high[t-2]',
    ]);
    expect(matrix.rows).toBe(CLOSES.length);
    expect(matrix.cols).toBe(9);
    expect(matrix.data).toHaveLength(CLOSES.length * 9);
  });

  it('holds the memberships of the indicator values at each lag', () => {
    const sma = smaReference(CLOSES, 3);
    const roc = rocReference(CLOSES, 2);
    const lagged = (series: number[], t: number, lag: number) => (t - lag >= 0 ? series[t - lag]! : NaN);
    for (let t = 0; t < CLOSES.length; t++) {
      for (let lag = 0; lag <= 2; lag++) {
        const expected = [
          gauss(lagged(roc, t, lag), 10, 5),
          trapezoid(lagged(sma, t, lag), 0, 0, 10, 12),
          triangle(lagged(sma, t, lag), 10, 14, 20),
        ];
        expected.forEach((value, set) => {
          const actual = at(matrix, t, set * 3 + lag);
          if (Number.isNaN(value)) expect(actual, `row ${t} set ${set} lag ${lag}`).toBeNaN();
          else expect(actual, `row ${t} set ${set} lag ${lag}`).toBeCloseTo(value, 12);
        });
      }
    }
    // Spot checks by hand: at t = 4, SMA = (13 + 12 + 14) / 3 = 13 → high = (13 - 10) / 4 = 0.75, low = 0.
    expect(at(matrix, 4, 6)).toBeCloseTo(0.75, 12);
    expect(at(matrix, 4, 3)).toBe(0);
    // ROC(2) at t = 4: 100 * (14 - 13) / 13; its lag 1 at t = 5 is the same value.
    expect(at(matrix, 4, 0)).toBeCloseTo(gauss(100 / 13, 10, 5), 12);
    expect(at(matrix, 5, 1)).toBe(at(matrix, 4, 0));
  });

  it('starts at the first row where every column is defined', () => {
    // SMA(3) from t = 2, ROC(2) from t = 2, two lags more: t = 4.
    expect(matrix.firstValidRow).toBe(4);
    for (let c = 0; c < matrix.cols; c++) expect(Number.isNaN(at(matrix, 4, c))).toBe(false);
    expect([...Array(matrix.cols).keys()].some((c) => Number.isNaN(at(matrix, 3, c)))).toBe(true);
    expect(warmupBars(featureSpec(strategy))).toBe(4);
  });

  it('reports rows when no row is complete', () => {
    const short = buildFeatures(strategy, handMadeBars(CLOSES.slice(0, 4)));
    expect(short.rows).toBe(4);
    expect(short.firstValidRow).toBe(4);
  });

  it('stores only the indicators the inputs read', () => {
    expect(featureSpec(strategy).indicators.map((indicator) => indicator.id)).toEqual(['sma_3', 'roc_2']);
  });
});

describe('no look-ahead', () => {
  it('row t is the same whatever the bars after t', () => {
    const strategy = parseStrategy(DESIGN_YAML, 'design.yaml');
    const bars = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 400, seed: 7 });
    const full = buildFeatures(strategy, bars);
    expect(full.firstValidRow).toBeGreaterThan(0);
    expect(full.firstValidRow).toBeLessThan(100);
    for (const cut of [full.firstValidRow, 150, 399]) {
      // Replace every bar after `cut` by a different, wild series.
      const changed: BarSeries = {
        ...bars,
        open: bars.open.map((value, t) => (t > cut ? value * (1 + 0.3 * Math.sin(t)) : value)),
        high: bars.high.map((value, t) => (t > cut ? value * 1.5 : value)),
        low: bars.low.map((value, t) => (t > cut ? value * 0.5 : value)),
        close: bars.close.map((value, t) => (t > cut ? value * (1 + 0.3 * Math.sin(t)) : value)),
      };
      const other = buildFeatures(strategy, changed);
      const rowsUpTo = (matrix: FeatureMatrix) => Array.from(matrix.data.subarray(0, (cut + 1) * matrix.cols));
      expect(rowsUpTo(other)).toEqual(rowsUpTo(full));
      if (cut < 399) expect(Array.from(other.data)).not.toEqual(Array.from(full.data));
    }
  });
});

describe('featureSpec', () => {
  const strategy = parseStrategy(DESIGN_YAML, 'design.yaml');
  const bars = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 300, seed: 11 });

  it('is plain JSON describing the columns', () => {
    const spec = featureSpec(strategy);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(spec).toMatchObject({
      format: 'ktrdr.features/2',
      base_timeframe: '1h',
      timeframes: ['1h'],
      lookback_periods: 2,
      normalizers: null,
      indicators: [
        { id: 'rsi_14', type: 'rsi', params: { period: 14, source: 'close' } },
        { id: 'adx_14', type: 'adx', params: { period: 14 } },
      ],
      inputs: [
        { kind: 'fuzzy', fuzzy_set: 'rsi_momentum', indicator: 'rsi_14', output: 'value', timeframes: ['1h'] },
        { kind: 'fuzzy', fuzzy_set: 'adx_trend', indicator: 'adx_14', output: 'adx', timeframes: ['1h'] },
      ],
    });
    expect(spec.columns.slice(0, 4)).toEqual(['1h_rsi_momentum_oversold', '1h_rsi_momentum_oversold[t-1]', '1h_rsi_momentum_oversold[t-2]', '1h_rsi_momentum_overbought']);
    expect(spec.columns).toHaveLength(12);
  });

  it('round-trips through JSON into a bit-identical matrix', () => {
    const direct = buildFeatures(strategy, bars);
    const stored = JSON.parse(JSON.stringify(featureSpec(strategy))) as unknown;
    const rebuilt = buildFeaturesFromSpec(parseFeatureSpec(stored), bars);
    expect(rebuilt.names).toEqual(direct.names);
    expect(rebuilt.firstValidRow).toBe(direct.firstValidRow);
    expect(rebuilt.data.length).toBe(direct.data.length);
    expect(Buffer.from(rebuilt.data.buffer).equals(Buffer.from(direct.data.buffer))).toBe(true);
  });

  it('reads a spec stored by an earlier build (ktrdr.features/1) into the same columns, in the same order', () => {
    const spec = featureSpec(strategy);
    const v1 = {
      format: 'ktrdr.features/1',
      timeframe: '1h',
      lookback_periods: spec.lookback_periods,
      indicators: spec.indicators,
      inputs: spec.inputs.map((input) => (input.kind === 'fuzzy' ? { fuzzy_set: input.fuzzy_set, indicator: input.indicator, output: input.output, memberships: input.memberships } : null)),
      columns: ['rsi_momentum.oversold[t]'],
    };
    const upgraded = parseFeatureSpec(JSON.parse(JSON.stringify(v1)));
    expect(upgraded.columns).toEqual(spec.columns);
    expect(Buffer.from(buildFeaturesFromSpec(upgraded, bars).data.buffer).equals(Buffer.from(buildFeatures(strategy, bars).data.buffer))).toBe(true);
  });

  it('rejects a stored spec whose columns do not match its inputs, or that is malformed', () => {
    const spec = featureSpec(strategy);
    expect(() => buildFeaturesFromSpec({ ...spec, columns: spec.columns.slice(1) }, bars)).toThrow(FeatureSpecError);
    expect(() => parseFeatureSpec({ ...spec, format: 'other' })).toThrow(/format/);
    expect(() => buildFeaturesFromSpec(parseFeatureSpec({ ...spec, indicators: [{ id: 'rsi_14', type: 'nope', params: {} }, spec.indicators[1]] }), bars)).toThrow(
      "unknown indicator type 'nope'",
    );
  });
});
