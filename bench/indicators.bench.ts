/**
 * Indicator throughput (issue 4): each of our nine indicators on 1,000,000
 * one-hour bars beside technicalindicators 3.1 and trading-signals 8.3 (the two
 * libraries test/indicators/libraries.test.ts cross-checks against) on the same
 * data in the same run. Library inputs are converted to plain arrays once,
 * outside the timing; their timings include laying results out as
 * Float64Arrays (one pass per output), ours include validating parameters.
 * The last columns show that all three computed the same thing: the largest
 * difference from ours from bar 1000 on (past every seeding difference),
 * relative above 1. Two differences are conventions, not errors:
 * technicalindicators rounds RSI to 2 decimals, and trading-signals counts a
 * bar whose up and down moves tie for both +DM and -DM (Wilder: for neither),
 * which prices rounded to 5 decimals make possible; the bench counts them.
 */
import { INDICATORS, type RawIndicatorParams } from '../src/indicators/registry.js';
import { generateBars } from '../src/market-data/generate.js';
import { maxDifference, TECHNICAL_INDICATORS, TRADING_SIGNALS, plainBars, type LibraryIndicator } from './indicator-libraries.js';
import { median, timeRuns } from './stats.js';

const BARS = 1_000_000;
const OUR_RUNS = 7;
const LIBRARY_RUNS = 3;
const COMPARE_FROM = 1000;

const CASES: { type: string; params: RawIndicatorParams }[] = [
  { type: 'sma', params: { period: 20 } },
  { type: 'ema', params: { period: 20 } },
  { type: 'rsi', params: { period: 14 } },
  { type: 'roc', params: { period: 10 } },
  { type: 'atr', params: { period: 14 } },
  { type: 'macd', params: {} },
  { type: 'adx', params: { period: 14 } },
  { type: 'bbands', params: {} },
  { type: 'stochastic', params: {} },
];

const rate = (ms: number): string => {
  const perSecond = (BARS / ms) * 1000;
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(1)} M/s` : `${(perSecond / 1e3).toFixed(0)} k/s`;
};
const pad = (text: string, width: number): string => text.padStart(width);
const worstOf = (ours: Record<string, Float64Array>, theirs: Record<string, Float64Array>): number =>
  Math.max(...Object.keys(ours).map((output) => maxDifference(ours[output]!, theirs[output]!, COMPARE_FROM)));

export async function indicatorsBench(): Promise<void> {
  const bars = generateBars({ symbol: 'BENCH', timeframe: '1h', bars: BARS, seed: 7, startPrice: 100 });
  const plain = plainBars(bars);
  console.log(`indicators: ${BARS.toLocaleString('en-US')} bars, median of ${OUR_RUNS} runs (ours) / ${LIBRARY_RUNS} runs (libraries), bars per second`);
  console.log(
    `  ${'indicator'.padEnd(11)}${pad('ktrdr', 20)}${pad('technicalindicators', 24)}${pad('trading-signals', 24)}${pad('max |Δ| ti', 12)}${pad('max |Δ| ts', 12)}`,
  );
  for (const { type, params } of CASES) {
    const definition = INDICATORS[type]!;
    const parsed = definition.params.parse(params) as Record<string, number>;
    const ours = median(timeRuns(() => void definition.compute(bars, params), OUR_RUNS, 1));
    const timeLibrary = (library: LibraryIndicator) => median(timeRuns(() => void library(plain, parsed), LIBRARY_RUNS, 1));
    const ti = timeLibrary(TECHNICAL_INDICATORS[type]!);
    const ts = timeLibrary(TRADING_SIGNALS[type]!);
    const result = definition.compute(bars, params);
    const cell = (ms: number, speedup?: number) =>
      `${ms.toFixed(0)} ms ${rate(ms)}${speedup === undefined ? '' : ` (${speedup.toFixed(1)}x)`}`;
    console.log(
      `  ${type.padEnd(11)}${pad(cell(ours), 20)}${pad(cell(ti, ti / ours), 24)}${pad(cell(ts, ts / ours), 24)}` +
        `${pad(worstOf(result, TECHNICAL_INDICATORS[type]!(plain, parsed)).toExponential(1), 12)}` +
        `${pad(worstOf(result, TRADING_SIGNALS[type]!(plain, parsed)).toExponential(1), 12)}`,
    );
  }
  let ties = 0;
  for (let t = 1; t < BARS; t++) {
    const up = bars.high[t]! - bars.high[t - 1]!;
    if (up > 0 && up === bars.low[t - 1]! - bars.low[t]!) ties++;
  }
  console.log('  (Nx) = how many times longer the library takes than ktrdr');
  console.log(`  ti RSI is rounded to 2 decimals; ts ADX counts a +DM/-DM tie for both sides (${ties} such bars here; Wilder: neither)`);
}
