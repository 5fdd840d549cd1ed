/**
 * Cross-check against technicalindicators 3.1 and trading-signals 8.3 on the
 * same 3000 synthetic bars, wherever their convention is the earlier ktrdr's
 * (bench/indicator-libraries.ts lists which and why):
 * - from the library's first value, to 1e-9;
 * - where only a seed differs, from bar 1000 (the seed's weight is below
 *   1e-30 there), to 1e-9 — and the test shows that they do differ early on;
 * - technicalindicators' RSI and MFI are rounded to 2 decimals: within 0.005.
 * Differences are measured as |ours - theirs| / max(1, |theirs|).
 */
import { describe, expect, it } from 'vitest';
import { findIndicator, INDICATORS } from '../../src/indicators/registry.js';
import { TECHNICAL_INDICATORS, TRADING_SIGNALS, plainBars, type LibraryIndicator } from '../../bench/indicator-libraries.js';
import { leadingNaNs, maxDifference, syntheticBars } from './series.js';

const bars = syntheticBars(3000, 2024);
const plain = plainBars(bars);
const TOLERANCE = 1e-9;
const CONVERGED_FROM = 1000;

interface Check {
  type: string;
  /** Our parameters; the library reads the numeric ones under the same names. */
  params: Record<string, number | boolean>;
  /** 'first': from the library's first value; 'converged': from CONVERGED_FROM; 'rounded': within 0.005. */
  from: 'first' | 'converged' | 'rounded';
  /** Outputs compared (default: every output the library gives). */
  outputs?: readonly string[];
}

const TS_CHECKS: Check[] = [
  { type: 'sma', params: { period: 20 }, from: 'first' },
  { type: 'ema', params: { period: 20, adjust: false }, from: 'first' },
  { type: 'ema', params: { period: 5, adjust: false }, from: 'first' },
  { type: 'rsi', params: { period: 14 }, from: 'first' },
  { type: 'rsi', params: { period: 7 }, from: 'first' },
  { type: 'roc', params: { period: 10 }, from: 'first' },
  { type: 'momentum', params: { period: 10 }, from: 'first' },
  { type: 'wma', params: { period: 20 }, from: 'first' },
  { type: 'cci', params: { period: 20 }, from: 'first' },
  { type: 'williamsr', params: { period: 14 }, from: 'first' },
  { type: 'stochastic', params: { k_period: 14, d_period: 3, smooth_k: 3 }, from: 'first' },
  { type: 'stochastic', params: { k_period: 5, d_period: 5, smooth_k: 2 }, from: 'first' },
  { type: 'macd', params: { fast_period: 12, slow_period: 26, signal_period: 9 }, from: 'first', outputs: ['line'] },
  { type: 'macd', params: { fast_period: 12, slow_period: 26, signal_period: 9 }, from: 'converged', outputs: ['signal', 'histogram'] },
  { type: 'adx', params: { period: 14 }, from: 'converged' },
  { type: 'keltnerchannels', params: { period: 20, atr_period: 10, multiplier: 2 }, from: 'first', outputs: ['middle'] },
  { type: 'donchianchannels', params: { period: 20 }, from: 'first' },
  { type: 'rvi', params: { period: 10, signal_period: 4 }, from: 'first', outputs: ['rvi'] },
  { type: 'mfi', params: { period: 14 }, from: 'first' },
  { type: 'vwap', params: { period: 0 }, from: 'first' },
  { type: 'cmf', params: { period: 21 }, from: 'first' },
  { type: 'adline', params: {}, from: 'first' },
];

const TI_CHECKS: Check[] = [
  { type: 'sma', params: { period: 3 }, from: 'first' },
  { type: 'rsi', params: { period: 14 }, from: 'rounded' },
  { type: 'roc', params: { period: 1 }, from: 'first' },
  { type: 'wma', params: { period: 7 }, from: 'first' },
  { type: 'cci', params: { period: 14 }, from: 'first' },
  { type: 'williamsr', params: { period: 5 }, from: 'first' },
  { type: 'obv', params: {}, from: 'first' },
  { type: 'mfi', params: { period: 14 }, from: 'rounded' },
  { type: 'macd', params: { fast_period: 8, slow_period: 17, signal_period: 5 }, from: 'converged' },
  { type: 'adx', params: { period: 7 }, from: 'converged' },
];

function compare(library: Readonly<Record<string, LibraryIndicator>>, check: Check): void {
  const definition = findIndicator(check.type)!;
  const mine = definition.compute(bars, check.params);
  const numeric = Object.fromEntries(Object.entries(check.params).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
  const theirs = library[check.type]!(plain, numeric);
  const outputs = check.outputs ?? Object.keys(theirs);
  expect(outputs.length).toBeGreaterThan(0);
  for (const output of outputs) {
    const values = mine[output] ?? mine.value!;
    const reference = theirs[output]!;
    const first = Math.max(leadingNaNs(reference), definition.warmup(check.params));
    expect(first, `${output}: the library gives values`).toBeLessThan(500);
    if (check.from === 'rounded') {
      let worst = 0;
      for (let t = first; t < values.length; t++) worst = Math.max(worst, Math.abs(values[t]! - reference[t]!));
      expect(worst, `${output}, rounded to 2 decimals by the library`).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(worst).toBeGreaterThan(0); // the rounding is real, so the comparison is not vacuous
    } else if (check.from === 'converged') {
      expect(maxDifference(values, reference, CONVERGED_FROM), output).toBeLessThan(TOLERANCE);
      // The seeds do differ: at the library's first value the two disagree visibly.
      expect(Math.abs(values[first]! - reference[first]!), `${output} at bar ${first}`).toBeGreaterThan(1e-6);
    } else {
      expect(maxDifference(values, reference, first), output).toBeLessThan(TOLERANCE);
    }
  }
}

describe('trading-signals', () => {
  for (const check of TS_CHECKS) it(`${check.type} ${JSON.stringify(check.params)} (${check.from})`, () => compare(TRADING_SIGNALS, check));
});

describe('technicalindicators', () => {
  for (const check of TI_CHECKS) it(`${check.type} ${JSON.stringify(check.params)} (${check.from})`, () => compare(TECHNICAL_INDICATORS, check));

  it('bollinger bands: the library population SD times sqrt(n / (n - 1)) is our sample SD', () => {
    for (const period of [20, 5]) {
      const mine = INDICATORS.bollingerbands!.compute(bars, { period, multiplier: 2 });
      const scaled = TECHNICAL_INDICATORS.bbands!(plain, { period, multiplier: 2 * Math.sqrt(period / (period - 1)) });
      const population = TECHNICAL_INDICATORS.bbands!(plain, { period, multiplier: 2 });
      for (const output of ['upper', 'middle', 'lower']) expect(maxDifference(mine[output]!, scaled[output]!, period - 1), output).toBeLessThan(TOLERANCE);
      // Unscaled, the bands differ: the conventions are not the same.
      expect(maxDifference(mine.upper!, population.upper!, period - 1)).toBeGreaterThan(1e-4);
    }
  });
});

describe('a +DM/-DM tie (up move = down move > 0)', () => {
  // Bar 1500 widens the previous bar's range by exactly 1 on both sides. Wilder, the
  // original and technicalindicators count such a bar for neither side, trading-signals for both.
  const tied = syntheticBars(3000, 2024);
  const t = 1500;
  tied.high[t] = tied.high[t - 1]! + 1;
  tied.low[t] = tied.low[t - 1]! - 1;
  tied.open[t] = tied.close[t - 1]!;
  tied.close[t] = tied.close[t - 1]!;
  const params = { period: 14 };
  const mine = INDICATORS.adx!.compute(tied, params);

  it('technicalindicators agrees with us through it', () => {
    const library = TECHNICAL_INDICATORS.adx!(plainBars(tied), params);
    for (const output of ['adx', 'plus_di', 'minus_di']) expect(maxDifference(mine[output]!, library[output]!, CONVERGED_FROM), output).toBeLessThan(TOLERANCE);
  });

  it('trading-signals agrees before it and differs from it on', () => {
    const library = TRADING_SIGNALS.adx!(plainBars(tied), params);
    for (const output of ['adx', 'plus_di', 'minus_di']) {
      expect(maxDifference(mine[output]!, library[output]!, CONVERGED_FROM, t), output).toBeLessThan(TOLERANCE);
      expect(Math.abs(mine[output]![t]! - library[output]![t]!), output).toBeGreaterThan(0.01);
    }
  });
});
