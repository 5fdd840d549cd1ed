/**
 * Training and backtesting workloads on the example strategies that read
 * several timeframes (strategies/mtf_trend_raw.yaml: 1h base, 4h from a file,
 * 1d resampled) and several symbols (strategies/multi_symbol_bbands.yaml), over
 * in-memory services that answer per series and 404 a missing one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelArtifact } from '../../src/api/contract.js';
import { KtrdrError } from '../../src/common/errors.js';
import { zigzagLabels } from '../../src/labels/zigzag.js';
import { generateBars } from '../../src/market-data/generate.js';
import { resampleBars } from '../../src/market-data/resample.js';
import { sliceByTime, type BarSeries } from '../../src/market-data/types.js';
import { buildFeaturesFromSpec, parseFeatureSpec } from '../../src/strategy/features.js';
import { loadStrategyText, parseStrategy } from '../../src/strategy/load.js';
import { backtestingWorkload } from '../../src/workloads/backtesting/backtesting.js';
import { BacktestingParams } from '../../src/workloads/backtesting/params.js';
import { prepareData, type LabelsFor } from '../../src/workloads/training/dataset.js';
import { TrainingParams } from '../../src/workloads/training/params.js';
import { trainingWorkload } from '../../src/workloads/training/training.js';
import type { BarsRequest, WorkloadServices } from '../../src/workloads/types.js';
import { generateContextSeries, type ContextSeries } from '../../src/market-data/context.js';
import { fakeContext } from './support/fake-context.js';
import { parseIsoUtc } from '../../src/market-data/dates.js';

const read = (name: string) => readFileSync(new URL(`../../strategies/${name}`, import.meta.url), 'utf8');
const MTF_YAML = read('mtf_trend_raw.yaml');
const MULTI_YAML = read('multi_symbol_bbands.yaml');
const CONTEXT_YAML = read('context_macro_eurusd.yaml');

class SeriesServices implements WorkloadServices {
  readonly saved: ModelArtifact[] = [];
  readonly requests: BarsRequest[] = [];
  readonly contextRequests: string[] = [];
  constructor(
    private readonly series: Record<string, BarSeries>,
    private readonly models: ModelArtifact[] = [],
    private readonly context: Record<string, ContextSeries> = {},
  ) {}

  bars(request: BarsRequest): Promise<BarSeries> {
    this.requests.push(request);
    const found = this.series[`${request.symbol}_${request.timeframe}`];
    if (!found) return Promise.reject(new KtrdrError('NOT_FOUND', `no market data for ${request.symbol} ${request.timeframe}`));
    const ms = (text: string | undefined) => (text === undefined ? undefined : (parseIsoUtc(text) ?? Number.NaN));
    return Promise.resolve(sliceByTime(found, ms(request.startDate), ms(request.endDate)));
  }

  contextSeries(provider: string, series: string): Promise<ContextSeries> {
    this.contextRequests.push(`${provider}/${series}`);
    const found = this.context[`${provider}/${series}`];
    return found ? Promise.resolve(found) : Promise.reject(new KtrdrError('NOT_FOUND', `no context series ${provider}/${series} here`));
  }

  model(modelId: string): Promise<ModelArtifact> {
    const found = [...this.models, ...this.saved].find((model) => model.model_id === modelId);
    return found ? Promise.resolve(structuredClone(found)) : Promise.reject(new KtrdrError('NOT_FOUND', `model '${modelId}' not found`));
  }

  saveModel(artifact: ModelArtifact): Promise<void> {
    this.saved.push(JSON.parse(JSON.stringify(artifact)) as ModelArtifact);
    return Promise.resolve();
  }
}

const HOURLY = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 2_400, seed: 21, start: '2023-01-02T00:00:00Z' });

describe('a multi-timeframe strategy', () => {
  it('trains (4h from its file, 1d resampled and logged), stores fitted normalisation, and backtests on its base timeframe with the same features', async () => {
    const services = new SeriesServices({ EURUSD_1h: HOURLY, EURUSD_4h: resampleBars(HOURLY, '4h') });
    const params = TrainingParams.parse({ strategy_yaml: MTF_YAML, strategy_name: 'mtf_trend_raw', symbol: 'EURUSD', timeframe: '1h' });
    const training = fakeContext(params, { services });
    await trainingWorkload.run(training);
    expect(services.saved).toHaveLength(1);
    const artifact = ModelArtifact.parse(services.saved[0]);
    expect(training.updates.some((update) => update.current_step === 'EURUSD_1d.csv does not exist: 1d bars resampled from 1h (UTC-aligned OHLCV aggregation)')).toBe(true);
    expect(services.requests.map((request) => request.timeframe)).toEqual(['1h', '4h', '1d']);

    const spec = parseFeatureSpec(artifact.feature_spec);
    expect(spec.timeframes).toEqual(['1h', '4h', '1d']);
    expect(spec.columns).toContain('1d_rsi_14_raw');
    expect(spec.columns).toContain('4h_macd_12_26.histogram_raw');
    const minmax = spec.normalizers?.[spec.columns.indexOf('1d_rsi_14_raw')];
    expect(minmax?.method).toBe('minmax');
    // Fitted on the train split only: the train set's raw daily RSI spans [min, max] exactly, later sets may leave it.
    const strategy = parseStrategy(MTF_YAML, 'x');
    const inputs = { base: HOURLY, timeframes: new Map([['1h', HOURLY], ['4h', resampleBars(HOURLY, '4h')], ['1d', resampleBars(HOURLY, '1d')]]) };
    const data = prepareData(strategy, [{ symbol: 'EURUSD', inputs, firstRow: 0 }]);
    const column = spec.columns.indexOf('1d_rsi_14_raw');
    const trainValues = Array.from({ length: data.train.data.rows }, (_, r) => data.train.data.X[r * data.train.data.cols + column] as number);
    expect(Math.min(...trainValues)).toBe(0);
    expect(Math.max(...trainValues)).toBe(1);

    // The backtest asks for the same timeframes and sees the normalised features training saw.
    const backtest = fakeContext(BacktestingParams.parse({ model_id: artifact.model_id, symbol: 'EURUSD', timeframe: '1h' }), {
      services: new SeriesServices({ EURUSD_1h: HOURLY, EURUSD_4h: resampleBars(HOURLY, '4h') }, [artifact]),
    });
    const result = await backtestingWorkload.run(backtest);
    expect((result.resultSummary as Record<string, unknown>).bars).toBeGreaterThan(0);
    const rebuilt = buildFeaturesFromSpec(spec, inputs);
    const testRow = HOURLY.time.indexOf(data.test.start);
    expect(Array.from(rebuilt.data.subarray(testRow * rebuilt.cols, (testRow + 1) * rebuilt.cols))).toEqual(
      Array.from(data.test.data.X.subarray(0, data.test.data.cols)),
    );

    // On another timeframe than its base it is refused, naming why.
    const other = fakeContext(BacktestingParams.parse({ model_id: artifact.model_id, symbol: 'EURUSD', timeframe: '4h' }), {
      services: new SeriesServices({ EURUSD_4h: resampleBars(HOURLY, '4h') }, [artifact]),
    });
    await expect(backtestingWorkload.run(other)).rejects.toThrow("timeframe '4h': model " + artifact.model_id + ' reads 1h, 4h, 1d with 1h as its base');
  }, 120_000);
});

describe('a multi-symbol strategy', () => {
  const GBP = generateBars({ symbol: 'GBPUSD', timeframe: '1h', bars: 1_500, seed: 22, start: '2023-02-01T00:00:00Z', startPrice: 1.3 });
  const EUR = sliceByTime(HOURLY, undefined, undefined);

  it("labels each symbol with its own prices, splits each chronologically, and stacks the sets in symbol order", () => {
    const strategy = parseStrategy(MULTI_YAML, 'x');
    const labelled: string[] = [];
    const labelsFor: LabelsFor = (bars) => {
      labelled.push(bars.symbol);
      const classes = zigzagLabels(bars.close, 0.01, 24);
      return { values: Float64Array.from(classes, (c) => (c < 0 ? Number.NaN : c)), horizon: 24, kind: 'classification' as const, classes: ['BUY', 'HOLD', 'SELL'] };
    };
    const symbols = [EUR, GBP].map((bars) => ({ symbol: bars.symbol, inputs: { base: bars, timeframes: new Map([['1h', bars]]) }, firstRow: 0 }));
    const data = prepareData(strategy, symbols, 0, labelsFor);
    expect(labelled).toEqual(['EURUSD', 'GBPUSD']);
    const [eur, gbp] = data.perSymbol;
    expect(eur?.symbol).toBe('EURUSD');
    expect(gbp?.symbol).toBe('GBPUSD');
    expect(data.train.data.rows).toBe((eur?.train ?? 0) + (gbp?.train ?? 0));
    expect(data.test.data.rows).toBe((eur?.test ?? 0) + (gbp?.test ?? 0));
    // Each symbol keeps its own proportions (not the first symbol's rows only).
    expect((gbp?.train ?? 0) / ((gbp?.train ?? 0) + (gbp?.validation ?? 0) + (gbp?.test ?? 0))).toBeGreaterThan(0.65);
    // Segments tell the symbols apart, in symbol order.
    const segments = Array.from(data.train.data.segments ?? []);
    expect(segments.slice(0, eur?.train)).toEqual(new Array(eur?.train).fill(0));
    expect(segments.slice(eur?.train)).toEqual(new Array(gbp?.train).fill(1));
    // The labels are the symbol's own: with a label source that tags each symbol, every stacked row carries its symbol's.
    const tagged = prepareData(strategy, symbols, 0, (bars) => ({ values: new Float64Array(bars.time.length).fill(bars.symbol === 'EURUSD' ? 0 : 2), horizon: 24, kind: 'classification' as const, classes: ['BUY', 'HOLD', 'SELL'] }));
    for (const split of [tagged.train, tagged.validation, tagged.test]) {
      const segs = Array.from(split.data.segments ?? []);
      expect(Array.from(split.data.y)).toEqual(segs.map((segment) => (segment === 0 ? 0 : 2)));
    }
  });

  it('trains on every symbol of the list when the request names none, and backtests on one of them', async () => {
    const services = new SeriesServices({ EURUSD_1h: EUR, GBPUSD_1h: GBP });
    const params = TrainingParams.parse({ strategy_yaml: MULTI_YAML, strategy_name: 'multi_symbol_bbands', symbol: 'EURUSD', symbols: ['EURUSD', 'GBPUSD'], timeframe: '1h' });
    const result = await trainingWorkload.run(fakeContext(params, { services }));
    const perSymbol = (result.resultSummary as { rows_per_symbol: { symbol: string }[] }).rows_per_symbol;
    expect(perSymbol.map((entry) => entry.symbol)).toEqual(['EURUSD', 'GBPUSD']);
    expect(services.requests.map((request) => request.symbol)).toEqual(['EURUSD', 'GBPUSD']);
    const artifact = ModelArtifact.parse(services.saved[0]);
    const backtest = fakeContext(BacktestingParams.parse({ model_id: artifact.model_id, symbol: 'GBPUSD', timeframe: '1h' }), { services: new SeriesServices({ GBPUSD_1h: GBP }, [artifact]) });
    const summary = (await backtestingWorkload.run(backtest)).resultSummary as Record<string, unknown>;
    expect(summary.symbol).toBe('GBPUSD');
  }, 120_000);
});

describe('a context strategy (strategies/context_macro_eurusd.yaml)', () => {
  const context = {
    'fred/DGS10': generateContextSeries({ provider: 'fred', series: 'DGS10', count: 250, seed: 1, start: Date.parse('2022-09-01') }),
    'fred/DGS2': generateContextSeries({ provider: 'fred', series: 'DGS2', count: 250, seed: 2, start: Date.parse('2022-09-01') }),
    'cftc_cot/EUR': generateContextSeries({ provider: 'cftc_cot', series: 'EUR', count: 100, seed: 3, start: Date.parse('2021-10-01') }),
  };

  it('validates without errors, trains with its series read once each, and backtests on the same context features', async () => {
    const loaded = loadStrategyText(CONTEXT_YAML, 'context_macro_eurusd.yaml');
    expect(loaded.warnings).toEqual([]);
    const services = new SeriesServices({ EURUSD_1h: HOURLY }, [], context);
    const params = TrainingParams.parse({ strategy_yaml: CONTEXT_YAML, strategy_name: 'context_macro_eurusd', symbol: 'EURUSD', timeframe: '1h' });
    await trainingWorkload.run(fakeContext(params, { services }));
    expect(services.contextRequests).toEqual(['fred/DGS10', 'fred/DGS2', 'cftc_cot/EUR']);
    const artifact = ModelArtifact.parse(services.saved[0]);
    const spec = parseFeatureSpec(artifact.feature_spec);
    expect(spec.columns).toContain('1h_positioning_long_crowded');
    expect(spec.normalizers?.[spec.columns.indexOf('1h_spread_sma_raw')]?.method).toBe('zscore');

    const backtestServices = new SeriesServices({ EURUSD_1h: HOURLY }, [artifact], context);
    const backtest = fakeContext(BacktestingParams.parse({ model_id: artifact.model_id, symbol: 'EURUSD', timeframe: '1h' }), { services: backtestServices });
    const summary = (await backtestingWorkload.run(backtest)).resultSummary as Record<string, unknown>;
    expect(summary.bars).toBeGreaterThan(0);
    expect(backtestServices.contextRequests).toEqual(['fred/DGS10', 'fred/DGS2', 'cftc_cot/EUR']);

    // A missing series fails the run naming it.
    const without = new SeriesServices({ EURUSD_1h: HOURLY }, [artifact], { 'fred/DGS10': context['fred/DGS10'], 'fred/DGS2': context['fred/DGS2'] });
    await expect(backtestingWorkload.run(fakeContext(BacktestingParams.parse({ model_id: artifact.model_id, symbol: 'EURUSD', timeframe: '1h' }), { services: without }))).rejects.toThrow(
      'no context series cftc_cot/EUR here',
    );
  }, 120_000);
});
