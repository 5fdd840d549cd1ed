/**
 * Context data throughput (STRATEGY-V3 §2.6): the example strategy
 * strategies/context_macro_eurusd.yaml (hourly RSI plus an SMA on a FRED rate,
 * on a yield spread and on the COT percentile rank) over 1,000,000 one-hour
 * base bars (~114 years) with a daily FRED pair and weekly COT reports over the
 * same span. Timed: deriving the series (spread join, 52-week percentile rank);
 * laying one series onto the base bars (the as-of alignment every context
 * indicator reads); and the model's whole feature matrix with its context columns.
 */
import { generateContextSeries } from '../src/market-data/context.js';
import { generateBars } from '../src/market-data/generate.js';
import { readFileSync } from 'node:fs';
import { alignContextFrame, loadContextFrames, percentileRank, yieldSpread } from '../src/strategy/context.js';
import { buildFeaturesFromSpec, featureSpec } from '../src/strategy/features.js';
import { parseStrategy } from '../src/strategy/load.js';
import { fmt, median, timeRuns } from './stats.js';

const BARS = 1_000_000;
const RUNS = 3;
const START = Date.parse('1950-01-02T00:00:00Z');

export async function contextBench(): Promise<void> {
  const yaml = readFileSync(new URL('../../strategies/context_macro_eurusd.yaml', import.meta.url), 'utf8');
  const spec = featureSpec(parseStrategy(yaml, 'context_macro_eurusd.yaml'));
  const bars = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: BARS, seed: 7, start: START });
  const weekdays = Math.ceil((BARS / 24) * (5 / 7)) + 10;
  const weeks = Math.ceil(BARS / 24 / 7) + 60;
  const files = {
    'fred/DGS10': generateContextSeries({ provider: 'fred', series: 'DGS10', count: weekdays, seed: 1, start: START }),
    'fred/DGS2': generateContextSeries({ provider: 'fred', series: 'DGS2', count: weekdays, seed: 2, start: START }),
    'cftc_cot/EUR': generateContextSeries({ provider: 'cftc_cot', series: 'EUR', count: weeks, seed: 3, start: START - 60 * 7 * 86_400_000 }),
  };
  console.log(`context: ${BARS.toLocaleString('en-US')} hourly bars, ${weekdays.toLocaleString('en-US')} daily FRED observations ×2, ${weeks.toLocaleString('en-US')} weekly COT reports; median of ${RUNS} runs`);

  const spread = median(timeRuns(() => void yieldSpread(files['fred/DGS10'], files['fred/DGS2']), RUNS, 1));
  const rank = median(timeRuns(() => void percentileRank(files['cftc_cot/EUR'].value), RUNS, 1));
  const frames = await loadContextFrames({
    sources: spec.context,
    series: { load: (provider, series) => Promise.resolve(files[`${provider}/${series}` as keyof typeof files]) },
    bars: () => Promise.resolve(null),
    end: '2200-01-01',
    missingBars: () => '',
  });
  const fred = frames.get('fred_DGS10');
  if (!fred) throw new Error('fred_DGS10 was not loaded');
  const align = median(timeRuns(() => void alignContextFrame(fred, bars.time, 3_600_000), RUNS, 1));
  const inputs = { base: bars, timeframes: new Map([['1h', bars]]), context: frames };
  const matrix = median(timeRuns(() => void buildFeaturesFromSpec(spec, inputs), RUNS, 1));
  const perBar = (ms: number) => `${((ms * 1e6) / BARS).toFixed(0)} ns/bar`;
  const row = (label: string, ms: number, bars?: boolean) => console.log(`  ${label.padEnd(52)}${fmt(ms).padStart(12)}${bars ? `  ${perBar(ms)}` : ''}`);
  row(`yield spread (inner join of 2 × ${weekdays.toLocaleString('en-US')})`, spread);
  row(`COT 52-week percentile rank (${weeks.toLocaleString('en-US')} weeks)`, rank);
  row('one series laid onto the base bars', align, true);
  row(`feature matrix (${spec.columns.length} columns, 3 context indicators)`, matrix, true);
}
