/**
 * Indicator throughput: each of the 31 indicator types (the earlier ktrdr's
 * conventions) on 1,000,000 one-hour bars, beside technicalindicators 3.1 and
 * trading-signals 8.3 wherever they have the indicator, on the same data in
 * the same run. Library inputs are converted to plain arrays once, outside the
 * timing; their timings include laying results out as Float64Arrays (one pass
 * per output), ours include validating parameters. The last columns show the
 * largest difference from ours from bar 1000 on (past every seeding
 * difference), relative above 1: near 1e-15 where the conventions agree; the
 * ones that differ by convention (bench/indicator-libraries.ts) are marked *.
 */
import { INDICATORS, type RawIndicatorParams } from '../src/indicators/registry.js';
import { generateBars } from '../src/market-data/generate.js';
import { maxDifference, TECHNICAL_INDICATORS, TRADING_SIGNALS, plainBars, type LibraryIndicator } from './indicator-libraries.js';
import { median, timeRuns } from './stats.js';

const BARS = 1_000_000;
const OUR_RUNS = 5;
const LIBRARY_RUNS = 3;
const COMPARE_FROM = 1000;

/** Every type with its defaults, plus the EMA form trading-signals computes. */
const CASES: { type: string; params: RawIndicatorParams; library: string }[] = [
  ...Object.keys(INDICATORS).map((type) => ({ type, params: {}, library: type === 'bollingerbands' ? 'bbands' : type })),
  { type: 'ema', params: { adjust: false }, library: 'ema' },
];

/** Library indicators whose convention is not the original's (so their difference is expected). */
const OTHER_CONVENTION: Readonly<Record<'ti' | 'ts', ReadonlySet<string>>> = {
  ti: new Set(['ema', 'atr', 'bbands', 'stochastic', 'adline', 'parabolicsar', 'mfi', 'rsi']),
  // ts adx: a +DM/-DM tie counts for both sides there (for neither in Wilder and the original); prices rounded to 5
  // decimals make ties happen.
  ts: new Set(['atr', 'bbands', 'aroon', 'parabolicsar', 'keltnerchannels', 'supertrend', 'rvi', 'fishertransform', 'vwap', 'adx']),
};

const rate = (ms: number): string => {
  const perSecond = (BARS / ms) * 1000;
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(1)} M/s` : `${(perSecond / 1e3).toFixed(0)} k/s`;
};
const pad = (text: string, width: number): string => text.padStart(width);

function worstOf(ours: Record<string, Float64Array>, theirs: Record<string, Float64Array>): number {
  let worst = 0;
  for (const [output, values] of Object.entries(theirs)) {
    const mine = ours[output] ?? ours.value;
    if (!mine) continue;
    try {
      worst = Math.max(worst, maxDifference(mine, values, COMPARE_FROM));
    } catch {
      worst = Number.POSITIVE_INFINITY; // NaN where the other has a value: another convention
    }
  }
  return worst;
}

export async function indicatorsBench(): Promise<void> {
  const bars = generateBars({ symbol: 'BENCH', timeframe: '1h', bars: BARS, seed: 7, startPrice: 100 });
  const plain = plainBars(bars);
  console.log(`indicators: ${BARS.toLocaleString('en-US')} bars, median of ${OUR_RUNS} runs (ours) / ${LIBRARY_RUNS} runs (libraries), bars per second`);
  console.log(
    `  ${'indicator'.padEnd(30)}${pad('ktrdr', 20)}${pad('technicalindicators', 24)}${pad('trading-signals', 24)}${pad('max |Δ| ti', 12)}${pad('max |Δ| ts', 12)}`,
  );
  for (const { type, params, library } of CASES) {
    const definition = INDICATORS[type]!;
    const parsed = Object.fromEntries(
      Object.entries(definition.params.parse(params)).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
    );
    const ours = median(timeRuns(() => void definition.compute(bars, params), OUR_RUNS, 1));
    const result = definition.compute(bars, params);
    const cell = (ms: number, speedup?: number) => `${ms.toFixed(0)} ms ${rate(ms)}${speedup === undefined ? '' : ` (${speedup.toFixed(1)}x)`}`;
    const side = (name: 'ti' | 'ts', implementation: LibraryIndicator | undefined) => {
      if (!implementation) return { time: '—', difference: '—' };
      const ms = median(timeRuns(() => void implementation(plain, parsed), LIBRARY_RUNS, 1));
      const worst = worstOf(result, implementation(plain, parsed));
      const mark = OTHER_CONVENTION[name].has(library) ? '*' : '';
      return { time: cell(ms, ms / ours), difference: `${Number.isFinite(worst) ? worst.toExponential(1) : 'NaNs'}${mark}` };
    };
    const ti = side('ti', TECHNICAL_INDICATORS[library]);
    const ts = side('ts', TRADING_SIGNALS[library]);
    const label = Object.keys(params).length === 0 ? type : `${type} ${JSON.stringify(params)}`;
    console.log(`  ${label.padEnd(30)}${pad(cell(ours), 20)}${pad(ti.time, 24)}${pad(ts.time, 24)}${pad(ti.difference, 12)}${pad(ts.difference, 12)}`);
  }
  console.log('  (Nx) = how many times longer the library takes than ktrdr; — = the library has no such indicator');
  console.log('  * = the library follows another convention than the original (bench/indicator-libraries.ts), so the values differ by design');
}
