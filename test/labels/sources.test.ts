/**
 * Every label source against values worked out by hand from the formulas of
 * STRATEGY-V3 §7.8, and the dispatcher's contract: one value per bar, NaN
 * where unlabelled, the horizon looked ahead, the class names.
 */
import { describe, expect, it } from 'vitest';
import { labelsFor } from '../../src/labels/index.js';
import { zigzagPivots } from '../../src/labels/pivots.js';
import { regimeLabels } from '../../src/labels/regime.js';
import { contextLabels, forwardReturnLabels } from '../../src/labels/returns.js';
import { zigzagSegmentLabels } from '../../src/labels/segments.js';
import { cusumEvents, tripleBarrierLabels } from '../../src/labels/triple-barrier.js';
import { ewmMean, ewmStd } from '../../src/labels/ewm.js';
import type { BarSeries } from '../../src/market-data/types.js';
import { KtrdrError } from '../../src/common/errors.js';

function series(rows: readonly (readonly [number, number, number])[]): BarSeries {
  const n = rows.length;
  return {
    symbol: 'TEST',
    timeframe: '1h',
    time: Float64Array.from({ length: n }, (_, i) => i * 3_600_000),
    open: Float64Array.from(rows, (r) => r[2]),
    high: Float64Array.from(rows, (r) => r[0]),
    low: Float64Array.from(rows, (r) => r[1]),
    close: Float64Array.from(rows, (r) => r[2]),
    volume: new Float64Array(n).fill(1),
  };
}

const closes = (values: number[]) => series(values.map((c) => [c, c, c] as const));

describe('zigzag segment labels (7.8.1)', () => {
  // 100 → 103 (+3%: up, pivot 1) → 101 → 99 (−3.9% from 103: down, pivot 3) → 104 (+5%: up, pivot 4) → 105 (moves it to 5) → 102 (−2.9%: down, pivot 6).
  const close = Float64Array.from([100, 103, 101, 99, 104, 105, 102]);

  it('finds the pivots as the original', () => {
    expect(zigzagPivots(close, 0.02).index).toEqual([0, 1, 3, 5, 6]);
  });

  it('labels the bars strictly between pivots by the direction of their segment, pivots HOLD', () => {
    const result = zigzagSegmentLabels(close, 0.02);
    expect(Array.from(result.values)).toEqual([1, 1, 2, 1, 0, 1, 1]);
    // Segment 3→5 ends on a pivot settled at bar 6: three bars after bar 3.
    expect(result.horizon).toBe(3);
    expect(result.classes).toEqual(['BUY', 'HOLD', 'SELL']);
  });

  it('uses segment labels when label_lookahead is absent and the bounded look-ahead when it is written', () => {
    const bars = closes([100, 103, 101, 99, 104, 105, 102]);
    expect(Array.from(labelsFor({ source: 'zigzag', zigzag_threshold: 0.02, label_lookahead: null }, bars).values)).toEqual([1, 1, 2, 1, 0, 1, 1]);
    const bounded = labelsFor({ source: 'zigzag', zigzag_threshold: 0.02, label_lookahead: 1 }, bars);
    // Bar 0: 103 ≥ 102 next bar → BUY; bar 1: 101 within ±2% → HOLD; bar 2: 99 > 98.98 → HOLD; bar 3: 104 → BUY; bar 4: 105 → HOLD; bar 5: 102 ≤ 102.9 → SELL; last bar unlabelled.
    expect(Array.from(bounded.values)).toEqual([0, 1, 1, 0, 1, 2, NaN]);
    expect(bounded.horizon).toBe(1);
  });
});

describe('forward_return and context labels (7.8.2, 7.8.4)', () => {
  const close = Float64Array.from([100, 110, 99, 99]);
  const spec = { horizon: 1, bullish_threshold: 0.005, bearish_threshold: -0.005 };

  it('regression: the return horizon bars ahead, the last horizon bars unlabelled', () => {
    const result = forwardReturnLabels(close, spec, 'regression');
    expect(Array.from(result.values)).toEqual([0.1, -0.1, 0, NaN]);
    expect(result).toMatchObject({ horizon: 1, kind: 'regression', classes: [] });
  });

  it('classification: BUY above the bullish threshold, SELL below the bearish one, HOLD between', () => {
    expect(Array.from(forwardReturnLabels(close, spec, 'classification').values)).toEqual([0, 2, 1, NaN]);
  });

  it('context: BULLISH 0, BEARISH 1, NEUTRAL 2', () => {
    const result = contextLabels(close, spec);
    expect(Array.from(result.values)).toEqual([0, 1, 2, NaN]);
    expect(result.classes).toEqual(['BULLISH', 'BEARISH', 'NEUTRAL']);
  });

  it('refuses a zero close and too few bars, naming them', () => {
    expect(() => forwardReturnLabels(Float64Array.from([0, 1, 2]), spec, 'regression')).toThrow(/close at bar 0 is 0/);
    expect(() => forwardReturnLabels(Float64Array.from([1]), spec, 'regression')).toThrow(KtrdrError);
  });
});

describe('triple_barrier labels (7.8.3)', () => {
  // vol_span 1: the EWM is the bar's own range / close. pt = sl = 1, H = 2.
  const bars = series([
    [101, 99, 100], // σ 0.02: barriers 102 / 98; bar 1's high 103 touches 102 first → BUY.
    [103, 100, 102], // σ 3/102: barriers 105 / 99; bar 2's low 97 → SELL.
    [102, 97, 98], // σ 5/98: barriers 103 / 93, no touch in 2 bars; return 0.2% < σ·√2·0.5 → HOLD.
    [99, 97.5, 98.5],
    [99, 97, 98.2],
  ]);
  const spec = { pt_multiplier: 1, sl_multiplier: 1, max_holding_period: 2, vol_span: 1, vol_method: 'atr', compute_weights: true, cusum_threshold: null, cusum_multiplier: 0.5 };

  it('labels by the first barrier touched, the vertical barrier by the return, the last H bars unlabelled', () => {
    const result = tripleBarrierLabels(bars, spec);
    expect(Array.from(result.values)).toEqual([0, 2, 1, NaN, NaN]);
    expect(result.horizon).toBe(2);
    // Windows [0,1), [1,2), [2,4) do not overlap: every label is unique, weight 1.
    expect(Array.from(result.weights as Float64Array)).toEqual([1, 1, 1, NaN, NaN]);
  });

  it('reads the temporal-design names as the original ones, through the dispatcher', () => {
    const viaAliases = labelsFor({ source: 'triple_barrier', ...spec, compute_weights: false }, bars);
    expect(Array.from(viaAliases.values)).toEqual([0, 2, 1, NaN, NaN]);
  });

  it('keeps only CUSUM event bars, leaving the others unlabelled on their own bars', () => {
    const events = cusumEvents(bars.close, 0.015, 0.5, 1);
    // log returns: +0.0198 (S+ 0.0048), −0.0408 (S− −0.0258 < −0.015: event at 2), +0.0051, −0.0031.
    expect(Array.from(events)).toEqual([0, 0, 1, 0, 0]);
    const result = tripleBarrierLabels(bars, { ...spec, cusum_threshold: 0.015 });
    expect(Array.from(result.values)).toEqual([NaN, NaN, 1, NaN, NaN]);
  });

  it('refuses fewer bars than max_holding_period + vol_span', () => {
    expect(() => tripleBarrierLabels(bars, { ...spec, max_holding_period: 4, vol_span: 2 })).toThrow(/max_holding_period 4 \+ vol_span 2 need at least 6/);
  });
});

describe('EWM statistics as pandas (adjust=True)', () => {
  it('mean and bias-corrected std of [1, 2, 3] with span 3', () => {
    // α = 0.5: weights 0.25, 0.5, 1 → mean (0.25 + 1 + 3) / 1.75.
    expect(ewmMean(Float64Array.from([1, 2, 3]), 3)[2]).toBeCloseTo(4.25 / 1.75, 12);
    // Two values, weights 0.5 and 1: mean 5/3, biased var (0.5·4/9 + 1·1/9)/1.5 = 2/9, ×(2.25/(2.25−1.25)) = 0.5.
    expect(ewmStd(Float64Array.from([1, 2]), 3)[1]).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(Number.isNaN(ewmStd(Float64Array.from([1, 2]), 3)[0] as number)).toBe(true);
  });
});

describe('regime labels (7.8.5)', () => {
  const spec = { vol_crisis_threshold: 2, vol_lookback: 20, macro_atr_mult: 3, micro_atr_mult: 1, atr_period: 5, progression_tolerance: 0.5 };

  it('a staircase uptrend of higher lows is TRENDING_UP, labels on their own bars', () => {
    // Up 6, down 3, repeatedly (higher lows), then a flat range swinging ±3 around the top.
    const up: number[] = [];
    let price = 100;
    for (let step = 0; step < 12; step++) {
      for (let k = 0; k < 6; k++) up.push((price += 1));
      for (let k = 0; k < 3; k++) up.push((price -= 1));
    }
    const result = regimeLabels(series(up.map((c) => [c + 0.5, c - 0.5, c] as const)), spec);
    const labelled = Array.from(result.values).filter((value) => !Number.isNaN(value));
    expect(labelled.length).toBeGreaterThan(50);
    expect(labelled.filter((value) => value === 0).length / labelled.length).toBeGreaterThan(0.9);
    expect(result.classes).toEqual(['TRENDING_UP', 'TRENDING_DOWN', 'RANGING', 'VOLATILE']);
    // Bar 0 starts the first segment: no shift by vol_lookback.
    expect(Number.isNaN(result.values[0] as number)).toBe(false);
  });

  it('marks VOLATILE where the forward volatility exceeds vol_crisis_threshold × the historical one', () => {
    const close: number[] = [];
    for (let t = 0; t < 80; t++) close.push(100 + (t % 2 === 0 ? 0.1 : -0.1) + t * 0.5);
    // A violent swing from bar 80 on.
    for (let t = 80; t < 100; t++) close.push(140 + (t % 2 === 0 ? 8 : -8));
    const result = regimeLabels(series(close.map((c) => [c + 0.2, c - 0.2, c] as const)), spec);
    // Bar 78's forward window (returns of bars 79-83) holds the swing; bar 60's does not.
    expect(result.values[78]).toBe(3);
    expect(result.values[60]).not.toBe(3);
  });
});
