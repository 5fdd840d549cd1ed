/**
 * The registry's contract: every indicator declares its outputs, its warm-up is
 * exactly its count of leading NaNs for any parameters, series shorter than the
 * warm-up are all NaN, bad parameters are refused with messages naming them,
 * and degenerate windows (no movement at all) give defined values.
 */
import { describe, expect, it } from 'vitest';
import { findIndicator, IndicatorParamsError, INDICATORS } from '../../src/indicators/registry.js';
import type { RawIndicatorParams } from '../../src/indicators/types.js';
import { barsFrom, leadingNaNs, syntheticBars } from './series.js';

function paramsError(type: string, params: RawIndicatorParams): IndicatorParamsError {
  try {
    INDICATORS[type]!.warmup(params);
  } catch (error) {
    if (error instanceof IndicatorParamsError) return error;
    throw error;
  }
  throw new Error(`${type} accepted ${JSON.stringify(params)}`);
}

describe('registry', () => {
  it('lists the nine indicators of docs/architecture.md §6.2 with their outputs', () => {
    const outputs = Object.fromEntries(Object.entries(INDICATORS).map(([type, def]) => [type, def.outputs]));
    expect(outputs).toEqual({
      sma: [], ema: [], rsi: [], roc: [], atr: [],
      macd: ['line', 'signal', 'histogram'],
      adx: ['adx', 'plus_di', 'minus_di'],
      bbands: ['upper', 'middle', 'lower', 'width'],
      stochastic: ['k', 'd'],
    });
    for (const [type, def] of Object.entries(INDICATORS)) expect(def.type).toBe(type);
  });

  it('finds indicators by type and nothing else', () => {
    expect(findIndicator('rsi')?.type).toBe('rsi');
    expect(findIndicator('rsi_14')).toBeUndefined();
    expect(findIndicator('toString')).toBeUndefined();
    expect(findIndicator('constructor')).toBeUndefined();
  });

  it('applies the documented defaults', () => {
    const parse = (type: string, params: RawIndicatorParams = {}) => INDICATORS[type]!.params.parse(params);
    expect(parse('rsi')).toEqual({ period: 14, source: 'close' });
    expect(parse('atr')).toEqual({ period: 14, source: 'close' });
    expect(parse('adx')).toEqual({ period: 14 });
    expect(parse('macd')).toEqual({ fast_period: 12, slow_period: 26, signal_period: 9, source: 'close' });
    expect(parse('bbands')).toEqual({ period: 20, multiplier: 2, source: 'close' });
    expect(parse('stochastic')).toEqual({ k_period: 14, d_period: 3 });
    expect(parse('sma', { period: 5 })).toEqual({ period: 5, source: 'close' });
    // Keys a strategy file adds for itself (e.g. `type`) are not parameters and are dropped.
    expect(parse('ema', { period: 5, type: 'ema' })).toEqual({ period: 5, source: 'close' });
  });
});

describe('warm-up', () => {
  const bars = syntheticBars(400, 5);
  const SWEEP: [string, RawIndicatorParams][] = [
    ...[1, 2, 7, 50].flatMap((period): [string, RawIndicatorParams][] =>
      ['sma', 'ema', 'rsi', 'roc', 'atr', 'adx'].map((type) => [type, { period }]),
    ),
    ['macd', {}], ['macd', { fast_period: 1, slow_period: 2, signal_period: 1 }], ['macd', { fast_period: 3, slow_period: 40, signal_period: 20 }],
    ['bbands', { period: 2 }], ['bbands', {}], ['bbands', { period: 99, multiplier: 0.5 }],
    ['stochastic', { k_period: 1, d_period: 1 }], ['stochastic', {}], ['stochastic', { k_period: 30, d_period: 10 }],
  ];

  for (const [type, params] of SWEEP) {
    it(`${type} ${JSON.stringify(params)}: warmup() leading NaNs on every output, none after`, () => {
      const def = INDICATORS[type]!;
      const warmup = def.warmup(params);
      for (const [output, values] of Object.entries(def.compute(bars, params))) {
        expect(leadingNaNs(values), output).toBe(warmup);
        expect(values.subarray(warmup).every((v) => Number.isFinite(v)), output).toBe(true);
      }
    });
  }

  it('a series no longer than the warm-up is all NaN, and an empty one is empty', () => {
    for (const [type, def] of Object.entries(INDICATORS)) {
      const params = type === 'sma' || type === 'ema' || type === 'roc' ? { period: 10 } : {};
      const warmup = def.warmup(params);
      const short = syntheticBars(warmup, 1);
      for (const values of Object.values(def.compute(short, params))) {
        expect(values.length).toBe(warmup);
        expect(values.every(Number.isNaN), type).toBe(true);
      }
      const justEnough = syntheticBars(warmup + 1, 1);
      for (const values of Object.values(def.compute(justEnough, params))) expect(Number.isFinite(values[warmup]), type).toBe(true);
      for (const values of Object.values(def.compute(syntheticBars(0), params))) expect(values.length).toBe(0);
    }
  });
});

describe('parameter validation', () => {
  it('names the parameter, the value and the rule', () => {
    expect(paramsError('sma', { period: 0 }).message).toBe('sma: period must be an integer >= 1 (got 0)');
    expect(paramsError('sma', { period: 2.5 }).message).toBe('sma: period must be an integer >= 1 (got 2.5)');
    expect(paramsError('sma', { period: '14' }).message).toBe('sma: period must be an integer >= 1 (got "14")');
    expect(paramsError('sma', {}).message).toBe('sma: period is required (an integer >= 1)');
    expect(paramsError('rsi', { source: 'hl2' }).message).toBe('rsi: source must be one of open, high, low, close, volume (got "hl2")');
    expect(paramsError('bbands', { period: 1 }).message).toBe('bbands: period must be an integer >= 2 (got 1)');
    expect(paramsError('bbands', { multiplier: 0 }).message).toBe('bbands: multiplier must be a number > 0 (got 0)');
    expect(paramsError('stochastic', { d_period: -1 }).message).toBe('stochastic: d_period must be an integer >= 1 (got -1)');
    expect(paramsError('atr', { source: 'open' }).message).toBe(
      `atr: source may only be 'close' for atr, which reads high, low and close (got "open")`,
    );
  });

  it('checks fast_period < slow_period and reports it on fast_period', () => {
    const error = paramsError('macd', { fast_period: 26, slow_period: 12 });
    expect(error.issues).toEqual([{ path: 'fast_period', message: 'fast_period must be < slow_period (got fast_period 26, slow_period 12)' }]);
    // Against the default slow_period 26, and with equal periods.
    expect(paramsError('macd', { fast_period: 30 }).issues[0]?.message).toBe('fast_period must be < slow_period (got fast_period 30, slow_period 26)');
    expect(paramsError('macd', { fast_period: 12, slow_period: 12 }).issues[0]?.path).toBe('fast_period');
  });

  it('reports every problem at once, each with its path, as a VALIDATION_ERROR', () => {
    const error = paramsError('bbands', { period: 0, multiplier: -1, source: 'x' });
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.indicator).toBe('bbands');
    expect(error.issues.map((issue) => issue.path)).toEqual(['period', 'multiplier', 'source']);
  });

  it('compute refuses bad parameters too', () => {
    expect(() => INDICATORS.ema!.compute(syntheticBars(10), { period: -3 })).toThrow(IndicatorParamsError);
  });
});

describe('degenerate windows', () => {
  // Ten bars with no movement at all: every range and change is zero.
  const flat = barsFrom({ high: Array(10).fill(5), low: Array(10).fill(5), close: Array(10).fill(5) });

  it('rsi is 50 when nothing moved, 100 when nothing fell, 0 when nothing rose', () => {
    expect(Array.from(INDICATORS.rsi!.compute(flat, { period: 3 }).value!.subarray(3))).toEqual(Array(7).fill(50));
    const rising = barsFrom({ high: [1, 2, 3, 4, 5], low: [1, 2, 3, 4, 5], close: [1, 2, 3, 4, 5] });
    expect(Array.from(INDICATORS.rsi!.compute(rising, { period: 2 }).value!.subarray(2))).toEqual([100, 100, 100]);
    const falling = barsFrom({ high: [5, 4, 3, 2, 1], low: [5, 4, 3, 2, 1], close: [5, 4, 3, 2, 1] });
    expect(Array.from(INDICATORS.rsi!.compute(falling, { period: 2 }).value!.subarray(2))).toEqual([0, 0, 0]);
  });

  it('stochastic %K and %D are 50 when the window has no range', () => {
    const out = INDICATORS.stochastic!.compute(flat, { k_period: 3, d_period: 2 });
    expect(Array.from(out.k!.subarray(3))).toEqual(Array(7).fill(50));
    expect(Array.from(out.d!.subarray(3))).toEqual(Array(7).fill(50));
  });

  it('adx, +DI and -DI are 0 and atr is 0 without any range', () => {
    const out = INDICATORS.adx!.compute(flat, { period: 2 });
    for (const values of Object.values(out)) expect(Array.from(values.subarray(3))).toEqual(Array(7).fill(0));
    expect(Array.from(INDICATORS.atr!.compute(flat, { period: 2 }).value!.subarray(2))).toEqual(Array(8).fill(0));
  });

  it('bbands collapse onto the mean with zero width', () => {
    const out = INDICATORS.bbands!.compute(flat, { period: 3 });
    expect(Array.from(out.upper!.subarray(2))).toEqual(Array(8).fill(5));
    expect(Array.from(out.lower!.subarray(2))).toEqual(Array(8).fill(5));
    expect(Array.from(out.width!.subarray(2))).toEqual(Array(8).fill(0));
  });

  it('roc of a zero base is NaN (volume only; prices are positive)', () => {
    const bars = barsFrom({ high: [1, 1, 1], low: [1, 1, 1], close: [1, 1, 1], volume: [0, 10, 20] });
    const roc = INDICATORS.roc!.compute(bars, { period: 1, source: 'volume' }).value!;
    expect(roc[1]).toBeNaN();
    expect(roc[2]).toBe(100);
  });
});
