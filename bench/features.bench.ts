/**
 * `ktrdr strategy features` throughput (issue 8): 1,000,000 one-hour base bars, 10 indicators
 * (9 single-output + MACD) on 3 timeframes (1h, 4h, 1d; the 4h and 1d bars resampled from the
 * hourly ones as the loader does when their files are missing), one fuzzy set on every timeframe
 * and every indicator a raw input on every timeframe. Timed: resampling; the model's feature
 * matrix alone (what training and backtests build: indicators per timeframe, completed-bar
 * alignment, memberships, lags); and the whole table `strategy features` prints (every indicator
 * output and membership on every timeframe, then the model's columns), without writing CSV.
 */
import { generateBars } from '../src/market-data/generate.js';
import { resampleBars } from '../src/market-data/resample.js';
import type { BarSeries } from '../src/market-data/types.js';
import { featureTable } from '../src/strategy/feature-table.js';
import { buildFeaturesFromSpec, featureSpec, type MarketInputs } from '../src/strategy/features.js';
import { parseStrategy } from '../src/strategy/load.js';
import { fmt, median, timeRuns } from './stats.js';

const BARS = 1_000_000;
const RUNS = 3;

const INDICATORS: Record<string, string> = {
  sma_20: '{type: sma, period: 20}',
  ema_20: '{type: ema, period: 20}',
  wma_10: '{type: wma, period: 10}',
  rsi_14: '{type: rsi, period: 14}',
  roc_10: '{type: roc, period: 10}',
  momentum_10: '{type: momentum, period: 10}',
  cci_20: '{type: cci, period: 20}',
  williamsr_14: '{type: williamsr, period: 14}',
  atr_14: '{type: atr, period: 14}',
  macd_12_26: '{type: macd, fast_period: 12, slow_period: 26, signal_period: 9}',
};

const STRATEGY = `
name: bench_features
training_data:
  symbols: {mode: single, symbol: EURUSD}
  timeframes: {mode: multi_timeframe, list: ["1h", "4h", "1d"], base_timeframe: "1h"}
indicators:
${Object.entries(INDICATORS).map(([id, definition]) => `  ${id}: ${definition}`).join('\n')}
fuzzy_sets:
  rsi_zone: {indicator: rsi_14, low: [0, 0, 30, 50], high: [50, 70, 100, 100]}
nn_inputs:
  - {fuzzy_set: rsi_zone, timeframes: all}
${Object.keys(INDICATORS).map((id) => `  - {raw_indicator: ${id === 'macd_12_26' ? 'macd_12_26.histogram' : id}, timeframes: all, normalization: zscore}`).join('\n')}
model: {type: mlp, architecture: {hidden_layers: [8]}, features: {lookback_periods: 1}}
training: {labels: {zigzag_threshold: 0.01, label_lookahead: 3}}
`;

export function featuresBench(): void {
  const strategy = parseStrategy(STRATEGY, 'bench_features.yaml');
  const spec = featureSpec(strategy);
  const hourly = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: BARS, seed: 1 });
  let inputs: MarketInputs = { base: hourly, timeframes: new Map<string, BarSeries>() };
  const resampling = timeRuns(() => {
    inputs = { base: hourly, timeframes: new Map([['1h', hourly], ['4h', resampleBars(hourly, '4h')], ['1d', resampleBars(hourly, '1d')]]) };
  }, RUNS, 1);
  let cols = 0;
  const matrix = timeRuns(() => {
    cols = buildFeaturesFromSpec(spec, inputs).cols;
  }, RUNS, 1);
  let columns = 0;
  const table = timeRuns(() => {
    columns = featureTable(strategy, inputs).columns.length;
  }, RUNS, 1);
  const perBar = (ms: number) => `${((ms * 1e6) / BARS).toFixed(0)} ns/bar`;
  // CPU time of one more run of each, beside the wall time: on a shared machine the wall time includes waiting for a core.
  const cpu = (fn: () => void) => {
    const before = process.cpuUsage();
    fn();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  };
  const cpuMatrix = cpu(() => buildFeaturesFromSpec(spec, inputs));
  const cpuTable = cpu(() => featureTable(strategy, inputs));
  console.log(`\nstrategy features — ${BARS.toLocaleString('en')} 1h base bars, 10 indicators on 1h/4h/1d (4h and 1d resampled), median of ${RUNS}`);
  console.log(`  resample 1h → 4h and 1d             ${fmt(median(resampling)).padStart(12)}  ${perBar(median(resampling))}`);
  console.log(`  model feature matrix (${cols} columns)   ${fmt(median(matrix)).padStart(12)}  ${perBar(median(matrix))}  (CPU ${perBar(cpuMatrix)})`);
  console.log(`  strategy features table (${columns} columns) ${fmt(median(table)).padStart(12)}  ${perBar(median(table))}  (CPU ${perBar(cpuTable)})`);
}
