/**
 * `npm run bench`: every benchmark, printing figures. Benchmarks measure; they
 * assert nothing. Pass names to run some only: `npm run bench -- settings`.
 */
import { backtestBench } from './backtest.bench.js';
import { barsBench } from './bars.bench.js';
import { clusterBench } from './cluster.bench.js';
import { dashboardBench } from './dashboard.bench.js';
import { dispatchCoreBench } from './dispatch-core.bench.js';
import { dutyTakeoverBench } from './duty-takeover.bench.js';
import { dispatchBench, dispatchFleetBench } from './dispatch.bench.js';
import { contextBench } from './context.bench.js';
import { featuresBench } from './features.bench.js';
import { indicatorsBench } from './indicators.bench.js';
import { inputLimitsBench } from './input-limits.bench.js';
import { modelBacktestBench } from './model-backtest.bench.js';
import { pgliteStatementsBench } from './pglite-statements.bench.js';
import { settingsBench } from './settings.bench.js';
import { startupBench } from './startup.bench.js';
import { trainingBench } from './training.bench.js';

const BENCHES: Record<string, () => void | Promise<void>> = {
  settings: settingsBench,
  cluster: clusterBench,
  'dispatch-core': dispatchCoreBench,
  'duty-takeover': dutyTakeoverBench,
  startup: startupBench,
  training: trainingBench,
  backtest: backtestBench,
  'model-backtest': modelBacktestBench,
  indicators: indicatorsBench,
  features: featuresBench,
  context: contextBench,
  'input-limits': inputLimitsBench,
  dashboard: dashboardBench,
  bars: barsBench,
  'pglite-statements': pgliteStatementsBench,
  dispatch: dispatchBench,
  'dispatch-fleet': dispatchFleetBench,
};

/** Parts of another bench, run only when named (`dispatch` includes `dispatch-fleet`). */
const ONLY_WHEN_NAMED = new Set(['dispatch-fleet']);

const wanted = process.argv.slice(2);
console.log(`ktrdr benchmarks — node ${process.version}, ${process.platform}/${process.arch}`);
for (const [name, bench] of Object.entries(BENCHES)) {
  if (wanted.length > 0 ? !wanted.includes(name) : ONLY_WHEN_NAMED.has(name)) continue;
  await bench();
}
