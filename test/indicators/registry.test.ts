/**
 * The registry's contract: the 31 types of the earlier ktrdr under every name
 * it accepts (any case, its aliases), their outputs and primary output, the
 * original's parameter defaults, bounds and strictness, unknown parameters
 * refused with the allowed ones named, and warm-ups that match the outputs.
 */
import { describe, expect, it } from 'vitest';
import { canonicalIndicatorType, findIndicator, IndicatorParamsError, INDICATORS, SINGLE_OUTPUT } from '../../src/indicators/registry.js';
import type { RawIndicatorParams } from '../../src/indicators/types.js';
import { barsFrom, leadingNaNs, syntheticBars } from './series.js';

function paramsError(type: string, params: RawIndicatorParams): IndicatorParamsError {
  try {
    findIndicator(type)!.warmup(params);
  } catch (error) {
    if (error instanceof IndicatorParamsError) return error;
    throw error;
  }
  throw new Error(`${type} accepted ${JSON.stringify(params)}`);
}

const parse = (type: string, params: RawIndicatorParams = {}) => findIndicator(type)!.params.parse(params);

describe('registry', () => {
  it('lists the 31 types of the reference with their outputs', () => {
    const outputs = Object.fromEntries(Object.entries(INDICATORS).map(([type, def]) => [type, def.outputs]));
    expect(outputs).toEqual({
      rsi: [], roc: [], momentum: [], cci: [], williamsr: [],
      stochastic: ['k', 'd'],
      rvi: ['rvi', 'signal'],
      fishertransform: ['fisher', 'signal'],
      aroon: ['up', 'down', 'oscillator'],
      atr: [],
      bollingerbands: ['upper', 'middle', 'lower', 'width'],
      bollingerbandwidth: [],
      keltnerchannels: ['upper', 'middle', 'lower'],
      donchianchannels: ['upper', 'middle', 'lower'],
      supertrend: ['trend', 'direction'],
      sma: [], ema: [], wma: [],
      macd: ['line', 'signal', 'histogram'],
      adx: ['adx', 'plus_di', 'minus_di'],
      parabolicsar: [],
      ichimoku: ['tenkan', 'kijun', 'senkou_a', 'senkou_b', 'chikou'],
      obv: [], vwap: [], mfi: [],
      cmf: ['cmf', 'mf_multiplier', 'mf_volume', 'momentum', 'signal', 'histogram', 'above_zero', 'below_zero'],
      adline: ['line', 'mf_multiplier', 'mf_volume', 'roc_10', 'momentum_21', 'relative_strength'],
      volumeratio: [], distancefromma: [], squeezeintensity: [], zigzag: [],
    });
    for (const [type, def] of Object.entries(INDICATORS)) {
      expect(def.type).toBe(type);
      expect(def.primaryOutput).toBe(def.outputs[0] ?? SINGLE_OUTPUT);
    }
  });

  it('the primary output is what a bare id means (3.3 examples)', () => {
    expect(findIndicator('macd')!.primaryOutput).toBe('line');
    expect(findIndicator('bbands')!.primaryOutput).toBe('upper');
    expect(findIndicator('adx')!.primaryOutput).toBe('adx');
    expect(findIndicator('stochastic')!.primaryOutput).toBe('k');
    expect(findIndicator('aroon')!.primaryOutput).toBe('up');
    expect(findIndicator('rsi')!.primaryOutput).toBe(SINGLE_OUTPUT);
  });

  it('finds a type in any case, by its class name and by its aliases', () => {
    for (const name of ['rsi', 'RSI', 'Rsi', 'rsiindicator', 'RSIIndicator']) expect(canonicalIndicatorType(name), name).toBe('rsi');
    expect(canonicalIndicatorType('BBands')).toBe('bollingerbands');
    expect(canonicalIndicatorType('BollingerBandsIndicator')).toBe('bollingerbands');
    expect(canonicalIndicatorType('SimpleMovingAverage')).toBe('sma');
    expect(canonicalIndicatorType('ExponentialMovingAverage')).toBe('ema');
    expect(canonicalIndicatorType('WeightedMovingAverage')).toBe('wma');
    expect(canonicalIndicatorType('SuperTrendIndicator')).toBe('supertrend');
    expect(canonicalIndicatorType('DistanceFromMAIndicator')).toBe('distancefromma');
    expect(findIndicator('MACDIndicator')).toBe(INDICATORS.macd);
    for (const [type, def] of Object.entries(INDICATORS)) {
      expect(findIndicator(type.toUpperCase())).toBe(def);
      for (const alias of def.aliases) expect(findIndicator(alias)).toBe(def);
    }
  });

  it('knows no other spelling, as the original', () => {
    for (const name of ['bollinger_band_width', 'williams_r', 'stoch', 'bb', 'rsi_14', 'smaindicator', 'toString', 'constructor', '']) {
      expect(findIndicator(name), name).toBeUndefined();
      expect(canonicalIndicatorType(name)).toBeUndefined();
    }
  });

  it('applies the original defaults', () => {
    expect(parse('rsi')).toEqual({ period: 14, source: 'close' });
    expect(parse('atr')).toEqual({ period: 14 });
    expect(parse('sma')).toEqual({ period: 20, source: 'close' });
    expect(parse('ema')).toEqual({ period: 20, source: 'close', adjust: true });
    expect(parse('macd')).toEqual({ fast_period: 12, slow_period: 26, signal_period: 9, source: 'close' });
    expect(parse('bbands')).toEqual({ period: 20, multiplier: 2, source: 'close' });
    expect(parse('stochastic')).toEqual({ k_period: 14, d_period: 3, smooth_k: 3 });
    expect(parse('keltnerchannels')).toEqual({ period: 20, atr_period: 10, multiplier: 2 });
    expect(parse('supertrend')).toEqual({ period: 10, multiplier: 3 });
    expect(parse('parabolicsar')).toEqual({ initial_af: 0.02, step_af: 0.02, max_af: 0.2 });
    expect(parse('ichimoku')).toEqual({ tenkan_period: 9, kijun_period: 26, senkou_b_period: 52, displacement: 26 });
    expect(parse('vwap')).toEqual({ period: 20, use_typical_price: true });
    expect(parse('cmf')).toEqual({ period: 21 });
    expect(parse('adline')).toEqual({ use_sma_smoothing: false, smoothing_period: 21 });
    expect(parse('distancefromma')).toEqual({ period: 20, ma_type: 'SMA', source: 'close' });
    expect(parse('squeezeintensity')).toEqual({ bb_period: 20, bb_multiplier: 2, kc_period: 20, kc_multiplier: 2, source: 'close' });
    expect(parse('zigzag')).toEqual({ threshold: 0.05, source: 'close' });
    expect(parse('obv')).toEqual({});
  });

  it("takes MACD's fast/slow/signal as the _period names", () => {
    expect(parse('macd', { fast: 5, slow: 35, signal: 5 })).toEqual({ fast_period: 5, slow_period: 35, signal_period: 5, source: 'close' });
    expect(paramsError('macd', { fast: 5, fast_period: 6 }).issues).toEqual([{ path: 'fast', message: 'fast is another name for fast_period; give only one of them' }]);
    expect(paramsError('macd', { fast: 0 }).issues).toEqual([{ path: 'fast_period', message: 'fast_period must be an integer in [1..100] (got 0)' }]);
    // As in the original, fast need not be below slow.
    expect(parse('macd', { fast_period: 26, slow_period: 12 })).toMatchObject({ fast_period: 26, slow_period: 12 });
  });
});

describe('parameter validation', () => {
  it('names the parameter, the value and the rule', () => {
    expect(paramsError('sma', { period: 1 }).message).toBe('sma: period must be an integer in [2..500] (got 1)');
    expect(paramsError('sma', { period: 2.5 }).message).toBe('sma: period must be an integer in [2..500] (got 2.5)');
    expect(paramsError('rsi', { period: 101 }).message).toBe('rsi: period must be an integer in [2..100] (got 101)');
    expect(paramsError('rsi', { source: 'hl2' }).message).toBe('rsi: source must be one of open, high, low, close, volume (got "hl2")');
    expect(paramsError('bbands', { multiplier: 0 }).message).toBe('bollingerbands: multiplier must be a number in (0..10] (got 0)');
    expect(paramsError('zigzag', { threshold: 1 }).message).toBe('zigzag: threshold must be a number in (0..1) (got 1)');
    expect(paramsError('distancefromma', { ma_type: 'sma' }).message).toBe('distancefromma: ma_type must be one of SMA, EMA (got "sma")');
    expect(paramsError('ema', { adjust: 'yes' }).message).toBe('ema: adjust must be true or false (got "yes")');
    expect(paramsError('adline', { use_sma_smoothing: true }).issues[0]!.message).toMatch(/use_sma_smoothing: true is not supported/);
  });

  it('strict integers refuse strings and booleans; lax floats take numeric strings, strict ones do not', () => {
    expect(paramsError('rsi', { period: '14' }).issues[0]!.path).toBe('period');
    expect(paramsError('rsi', { period: true }).issues[0]!.path).toBe('period');
    expect(parse('bbands', { multiplier: '2.5' })).toMatchObject({ multiplier: 2.5 });
    expect(parse('bbands', { multiplier: 3 })).toMatchObject({ multiplier: 3 });
    expect(paramsError('squeezeintensity', { bb_multiplier: '2.5' }).issues[0]!.path).toBe('bb_multiplier');
    expect(parse('donchianchannels', { include_middle: 'no' })).toMatchObject({ include_middle: false });
    expect(paramsError('aroon', { include_oscillator: 'no' }).issues[0]!.path).toBe('include_oscillator');
  });

  it('refuses unknown parameters, each at its key, naming the allowed ones', () => {
    expect(paramsError('adx', { source: 'close' }).issues).toEqual([{ path: 'source', message: "unknown parameter 'source' for adx (allowed: period)" }]);
    expect(paramsError('obv', { period: 3 }).issues).toEqual([{ path: 'period', message: "unknown parameter 'period' for obv (obv takes no parameters)" }]);
    expect(paramsError('macd', { fats: 3 }).message).toBe(
      "macd: unknown parameter 'fats' for macd (allowed: fast_period, slow_period, signal_period, source, fast, slow, signal)",
    );
  });

  it('reports every problem at once, each with its path, as a VALIDATION_ERROR', () => {
    const error = paramsError('bbands', { period: 0, multiplier: -1, source: 'x', colour: 'red' });
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.indicator).toBe('bollingerbands');
    expect(error.issues.map((issue) => issue.path)).toEqual(['period', 'multiplier', 'source', 'colour']);
  });

  it('compute refuses bad parameters too', () => {
    expect(() => INDICATORS.ema!.compute(syntheticBars(10), { period: -3 })).toThrow(IndicatorParamsError);
  });
});

describe('warm-up', () => {
  const bars = syntheticBars(600, 5);
  const SWEEP: [string, RawIndicatorParams][] = [
    ...Object.keys(INDICATORS).map((type): [string, RawIndicatorParams] => [type, {}]),
    ...[2, 7, 50].flatMap((period): [string, RawIndicatorParams][] =>
      ['sma', 'ema', 'wma', 'rsi', 'roc', 'momentum', 'atr', 'adx', 'cci', 'williamsr', 'mfi', 'aroon', 'donchianchannels', 'supertrend', 'volumeratio'].map((type) => [
        type,
        { period },
      ]),
    ),
    ['macd', { fast: 3, slow: 40, signal: 20 }],
    ['stochastic', { k_period: 1, d_period: 1, smooth_k: 1 }], ['stochastic', { k_period: 30, d_period: 10, smooth_k: 5 }],
    ['rvi', { period: 4, signal_period: 1 }], ['fishertransform', { period: 2, smoothing: 1 }],
    ['keltnerchannels', { period: 5, atr_period: 30 }], ['ichimoku', { tenkan_period: 50, kijun_period: 5, senkou_b_period: 7 }],
    ['distancefromma', { ma_type: 'EMA' }], ['squeezeintensity', { bb_period: 5 }], ['squeezeintensity', { bb_period: 40 }],
    ['cmf', { period: 2 }], ['vwap', { period: 0 }], ['ema', { adjust: false }],
  ];

  for (const [type, params] of SWEEP) {
    it(`${type} ${JSON.stringify(params)}: defined on every output from warmup() on, and some output is NaN just before`, () => {
      const def = INDICATORS[type]!;
      const warmup = def.warmup(params);
      const outputs = def.compute(bars, params);
      expect(Object.keys(outputs)).toEqual(def.outputs.length === 0 ? [SINGLE_OUTPUT] : def.outputs);
      for (const [output, values] of Object.entries(outputs)) {
        expect(values.length).toBe(bars.close.length);
        if (type === 'zigzag') continue; // NaN between pivots by design
        expect(values.subarray(warmup).every((v) => Number.isFinite(v)), output).toBe(true);
      }
      if (warmup > 0) expect(Object.values(outputs).some((values) => Number.isNaN(values[warmup - 1])), 'some output at warmup - 1').toBe(true);
      if (warmup > 0 && type !== 'squeezeintensity') expect(Math.max(...Object.values(outputs).map(leadingNaNs)), 'the slowest output').toBe(warmup);
    });
  }

  it('an empty series gives empty outputs', () => {
    for (const [type, def] of Object.entries(INDICATORS)) {
      for (const values of Object.values(def.compute(syntheticBars(0), {}))) expect(values.length, type).toBe(0);
    }
  });

  it('declares the minimum bars of the original', () => {
    const minBars = Object.fromEntries(Object.entries(INDICATORS).map(([type, def]) => [type, def.minBars({})]));
    expect(minBars).toMatchObject({ rsi: 15, stochastic: 17, fishertransform: 13, atr: 15, keltnerchannels: 21, macd: 35, adx: 29, ichimoku: 52, zigzag: 3 });
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

  it('a window with no range reads the middle of the scale: stochastic 50, williams %R -50', () => {
    const out = INDICATORS.stochastic!.compute(flat, { k_period: 3, d_period: 2 });
    expect(Array.from(out.k!)).toEqual(Array(10).fill(50));
    expect(Array.from(out.d!)).toEqual(Array(10).fill(50));
    expect(Array.from(INDICATORS.williamsr!.compute(flat, { period: 3 }).value!)).toEqual(Array(10).fill(-50));
  });

  it('adx, +DI, -DI and atr are 0 without any range; bands collapse; bandwidth and squeeze read 0', () => {
    for (const values of Object.values(INDICATORS.adx!.compute(flat, { period: 2 }))) expect(Array.from(values)).toEqual(Array(10).fill(0));
    expect(Array.from(INDICATORS.atr!.compute(flat, { period: 2 }).value!.subarray(1))).toEqual(Array(9).fill(0));
    const bands = INDICATORS.bollingerbands!.compute(flat, { period: 3 });
    expect(Array.from(bands.upper!.subarray(2))).toEqual(Array(8).fill(5));
    expect(Array.from(bands.lower!.subarray(2))).toEqual(Array(8).fill(5));
    expect(Array.from(INDICATORS.bollingerbandwidth!.compute(flat, { period: 3 }).value!)).toEqual(Array(10).fill(0));
    expect(Array.from(INDICATORS.squeezeintensity!.compute(flat, { bb_period: 3 }).value!)).toEqual(Array(10).fill(0));
  });

  it('roc of a zero base is NaN (volume only; prices are positive)', () => {
    const bars = barsFrom({ high: [1, 1, 1], low: [1, 1, 1], close: [1, 1, 1], volume: [0, 10, 20] });
    const roc = INDICATORS.roc!.compute(bars, { period: 1, source: 'volume' }).value!;
    expect(roc[1]).toBeNaN();
    expect(roc[2]).toBe(100);
  });

  it('zero volume: vwap NaN, volumeratio 1, cmf 0, mfi 100', () => {
    const bars = barsFrom({ high: [2, 3, 4, 5], low: [1, 1, 2, 3], close: [1.5, 2, 3, 4], volume: [0, 0, 0, 0] });
    expect(Array.from(INDICATORS.vwap!.compute(bars, { period: 2 }).value!).every(Number.isNaN)).toBe(true);
    expect(Array.from(INDICATORS.volumeratio!.compute(bars, { period: 2 }).value!)).toEqual([1, 1, 1, 1]);
    expect(Array.from(INDICATORS.cmf!.compute(bars, { period: 2 }).cmf!.subarray(1))).toEqual([0, 0, 0]);
    expect(Array.from(INDICATORS.mfi!.compute(bars, { period: 2 }).value!.subarray(2))).toEqual([100, 100]);
  });
});
