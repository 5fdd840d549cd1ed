/**
 * Strategy files written the way the earlier ktrdr's own files are
 * (test/strategy/fixtures/): each loads, means what the original means, and
 * says through its notes what this ktrdr ignores or does not do yet.
 */
import { describe, expect, it } from 'vitest';
import { assertTrainable } from '../../src/strategy/capabilities.js';
import { loadStrategyText, type LoadedStrategy } from '../../src/strategy/load.js';
import { ORIGINAL_STYLE_FILES, originalStyle } from './fixtures.js';

const load = (file: string): LoadedStrategy => loadStrategyText(originalStyle(file), file);
const notes = (loaded: LoadedStrategy) => loaded.notes.map((note) => `${note.path}: ${note.message}`);

describe('strategy files in the style of the earlier ktrdr', () => {
  it.each(ORIGINAL_STYLE_FILES)('%s loads', (file) => {
    const loaded = load(file);
    expect(loaded.strategy.nn_inputs.length).toBeGreaterThan(0);
  });

  it('multi_timeframe: the list wins, the base goes first, `all` expands in list order, MACD fast/slow/signal are its periods', () => {
    const { strategy, warnings } = load('v3_multi_timeframe.yaml');
    expect(warnings).toEqual([]);
    expect(strategy.training_data.timeframes).toMatchObject({ mode: 'multi_timeframe', list: ['1h', '4h', '1d'], base_timeframe: '1h', timeframe: '1h' });
    expect(strategy.nn_inputs.map((input) => input.timeframes)).toEqual([['1h', '4h', '1d'], ['4h', '1d'], ['1h'], ['4h', '1d'], ['1h']]);
    expect(strategy.nn_inputs[3]).toEqual({ fuzzy_set: null, raw_indicator: 'macd_12_26_9.line', timeframes: ['4h', '1d'], normalization: 'zscore' });
    expect(strategy.indicators.macd_12_26_9?.params).toMatchObject({ fast_period: 12, slow_period: 26, signal_period: 9 });
    expect(strategy.fuzzy_sets.macd_trend?.sets.bullish).toEqual({ type: 'triangular', parameters: [0, 0.005, 0.01] });
    expect(strategy.fuzzy_sets.macd_hist?.sets.positive).toEqual({ type: 'gaussian', parameters: [0.002, 0.001] });
    // training.labels is absent: zigzag with the original's defaults.
    expect(strategy.training.labels).toEqual({ source: 'zigzag', zigzag_threshold: 0.02, label_lookahead: null });
    expect(strategy.training.early_stopping).toEqual({ enabled: true, patience: 15, min_delta: 0.001, monitor: 'val_loss' });
    expect(notes(load('v3_multi_timeframe.yaml'))).toEqual([
      'description: ignored: description',
      'scope: ignored: scope',
      'deployment: ignored: deployment',
      'decisions.filters.volume_filter: ignored: decisions.filters.volume_filter',
      'training.method: ignored: training.method',
    ]);
  });

  it('focal loss, date range, YAML 1.1 booleans and dates, model.training overridden by the top level', () => {
    const { strategy, warnings } = load('v3_focal_date_range.yaml');
    expect(strategy.training_data).toMatchObject({ history_required: 100, start_date: '2023-01-02', end_date: '2023-06-30' });
    expect(strategy.decisions).toMatchObject({ position_awareness: true, allow_short_from_flat: false, min_signal_separation: 2, confidence_threshold: 0.55 });
    expect(strategy.model).toMatchObject({ type: 'mlp', architecture: { activation: 'relu', dropout: 0.3 } });
    expect(strategy.training).toMatchObject({ epochs: 50, batch_size: 64, learning_rate: 0.01, loss: 'focal', focal_gamma: 2 });
    expect(strategy.fuzzy_sets.trend_strength?.sets.strong).toEqual({ type: 'trapezoidal', parameters: [20, 30, 100, 100] });
    expect(warnings.map((warning) => `${warning.path}: ${warning.message}`)).toEqual([
      "indicators.ema_50: indicator 'ema_50' is read by no fuzzy set and no raw input",
      'model.training.epochs: overridden by training.epochs (50), as in the original',
    ]);
    // Focal loss is trained.
    expect(notes(load('v3_focal_date_range.yaml')).filter((note) => note.includes('training.loss'))).toEqual([]);
    expect(notes(load('v3_focal_date_range.yaml'))).toContain('backtest: ignored: backtest');
  });

  it('multi_symbol with context data: every source id the original derives is known', () => {
    const { strategy, warnings } = load('v3_multi_symbol_context.yaml');
    expect(warnings).toEqual([]);
    expect(strategy.training_data.symbols).toEqual({ mode: 'multi_symbol', symbol: 'EURUSD', list: ['EURUSD', 'GBPUSD', 'USDJPY'] });
    expect(strategy.context_data).toEqual([
      { provider: 'fred', series: ['DGS10', 'DGS2'] },
      { provider: 'cftc_cot', report: 'EUR' },
      { provider: 'ib', symbol: 'DXY', timeframe: '1d' },
    ]);
    expect(strategy.indicators.spread_sma?.data_source).toBe('yield_spread_DGS10_DGS2');
  });

  it('lstm with the temporal-design triple-barrier keys, read as the real ones', () => {
    const { strategy } = load('v3_lstm_triple_barrier.yaml');
    expect(strategy.training_data.timeframes).toMatchObject({ mode: 'single', list: ['1h'], timeframe: '1h' });
    expect(strategy.model).toMatchObject({ type: 'lstm', architecture: { sequence_length: 20, hidden_size: 32, num_layers: 2, dropout: 0.1 } });
    expect(strategy.training.labels).toEqual({
      source: 'triple_barrier',
      pt_multiplier: 2,
      sl_multiplier: 1,
      max_holding_period: 24,
      vol_span: 50,
      vol_method: 'atr',
      compute_weights: false,
      cusum_threshold: null,
      cusum_multiplier: 0.5,
    });
  });

  it('regression with its cost model and forward_return labels', () => {
    const { strategy } = load('v3_regression.yaml');
    expect(strategy.decisions).toMatchObject({ output_format: 'regression', round_trip_cost: 0.002, min_edge_multiplier: 2.5 });
    expect(strategy.training).toMatchObject({ loss: 'huber', huber_delta: 0.01, labels: { source: 'forward_return', horizon: 6 } });
    expect(strategy.model.type).toBe('gru');
  });

  it('a training of what this ktrdr cannot do yet is refused, naming every reason; a plain one is not', () => {
    expect(() => assertTrainable(load('v3_labels_absent.yaml').strategy)).not.toThrow();
    expect(() => assertTrainable(load('v3_lstm_triple_barrier.yaml').strategy)).not.toThrow();
    // Several symbols with context data train.
    expect(() => assertTrainable(load('v3_multi_symbol_context.yaml').strategy)).not.toThrow();
    expect(() => assertTrainable(load('v3_multi_timeframe.yaml').strategy)).not.toThrow();
    const adagrad = loadStrategyText(originalStyle('v3_labels_absent.yaml').replace('training: {}', 'training: {optimizer: adagrad}'), 'adagrad.yaml');
    expect(() => assertTrainable(adagrad.strategy)).toThrow(/cannot be trained by this ktrdr yet: training\.optimizer adagrad \(adam, adamw, sgd, rmsprop\) \(training\.optimizer\)/);
  });
});
