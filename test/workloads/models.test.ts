/**
 * The training workload with every model kind, label source and training key
 * of the strategy grammar, through the same code path as a worker: LSTM/GRU
 * windows, regression, triple-barrier weights, focal loss, schedulers, the
 * saved artifact rebuilt by a backtest, the "learned nothing" warnings and
 * the refusals at training start.
 */
import { describe, expect, it } from 'vitest';
import { ModelArtifact } from '../../src/api/contract.js';
import { modelFromJSON } from '../../src/nn/models.js';
import { createModel } from '../../src/nn/models.js';
import { createPredictor } from '../../src/nn/predictor.js';
import { Rng } from '../../src/nn/rng.js';
import { backtestingWorkload } from '../../src/workloads/backtesting/backtesting.js';
import { BacktestingParams } from '../../src/workloads/backtesting/params.js';
import { evaluateModel } from '../../src/workloads/training/evaluate.js';
import { TrainingParams } from '../../src/workloads/training/params.js';
import { trainingWorkload } from '../../src/workloads/training/training.js';
import { fakeContext, MemoryServices, STRATEGY_YAML } from './support/fake-context.js';

const MLP_MODEL = 'architecture: {hidden_layers: [16, 8], activation: tanh, dropout: 0.1}';
const MLP_TRAINING = /training: {2}[^\n]*\n {2}learning_rate: 0\.005\n {2}batch_size: 64\n {2}epochs: 25\n/;

function strategy(options: { type?: string; architecture?: string; training?: string; labels?: string; decisions?: string }): string {
  let text = STRATEGY_YAML;
  if (options.type) text = text.replace('type: mlp', `type: ${options.type}`);
  if (options.architecture) text = text.replace(MLP_MODEL, `architecture: ${options.architecture}`);
  if (options.decisions) text = text.replace('decisions: {output_format: classification, confidence_threshold: 0.4}', `decisions: ${options.decisions}`);
  text = text.replace(MLP_TRAINING, `training:\n  learning_rate: 0.005\n  batch_size: 64\n  epochs: 3\n${options.training ?? ''}`);
  if (options.labels) text = text.replace('labels: {source: zigzag, zigzag_threshold: 0.01, label_lookahead: 24}', `labels: ${options.labels}`);
  return text;
}

async function train(yaml: string, services = new MemoryServices()) {
  const params = TrainingParams.parse({ strategy_yaml: yaml, strategy_name: 'variant', symbol: 'EURUSD', timeframe: '1h' });
  const context = fakeContext(params, { services });
  const result = await trainingWorkload.run(context);
  return { summary: result.resultSummary as Record<string, unknown>, artifact: ModelArtifact.parse(services.saved[0]), services, context };
}

const LSTM = { type: 'lstm', architecture: '{sequence_length: 6, hidden_size: 6, num_layers: 1, dropout: 0.1}' };

describe('training every model kind', () => {
  it('trains an LSTM on windows, saves what a backtest needs, and the backtest rebuilds and runs it', async () => {
    const yaml = strategy(LSTM);
    expect(yaml).toContain('epochs: 3');
    const { artifact, summary, services } = await train(yaml);
    expect(artifact.model_type).toBe('lstm');
    expect(artifact.output_type).toBe('classification');
    expect(artifact.labels).toEqual(['BUY', 'HOLD', 'SELL']);
    const model = modelFromJSON(artifact.network);
    expect(model).toMatchObject({ kind: 'lstm', sequenceLength: 6 });
    expect(summary.epochs_trained).toBe(3);
    expect(Array.isArray(summary.warnings)).toBe(true);

    const params = BacktestingParams.parse({ model_id: artifact.model_id, symbol: 'EURUSD', timeframe: '1h' });
    const result = await backtestingWorkload.run(fakeContext(params, { services }));
    expect(result.resultSummary).toMatchObject({ model_id: artifact.model_id });
  }, 120_000);

  it('an LSTM resumed from the state captured at epoch 1 ends bit-identical to an uninterrupted run', async () => {
    const yaml = strategy(LSTM);
    const whole = await train(yaml);
    const params = TrainingParams.parse({ strategy_yaml: yaml, strategy_name: 'variant', symbol: 'EURUSD', timeframe: '1h' });
    const first = fakeContext(params, { onUnit: (units, controller) => units === 1 && controller.abort('shutdown') });
    await expect(trainingWorkload.run(first)).rejects.toThrow();
    const services = new MemoryServices();
    const resumed = fakeContext(params, { services, resumeFrom: { units: 1, state: first.units[0]?.state } });
    await trainingWorkload.run(resumed);
    expect((services.saved[0]?.network as { parameters: unknown }).parameters).toEqual((whole.artifact.network as { parameters: unknown }).parameters);
  }, 180_000);

  it('trains a GRU regression on forward returns: one output, directional accuracy, mse and mae', async () => {
    const yaml = strategy({
      type: 'gru',
      architecture: '{sequence_length: 4, hidden_size: 4, num_layers: 1}',
      decisions: '{output_format: regression, cost_model: {round_trip_cost: 0.002, min_edge_multiplier: 1.5}}',
      labels: '{source: forward_return, horizon: 6}',
      training: '  loss: huber\n  huber_delta: 0.01\n',
    });
    const { artifact } = await train(yaml);
    expect(artifact.output_type).toBe('regression');
    expect(artifact.labels).toEqual([]);
    expect(modelFromJSON(artifact.network).outputSize).toBe(1);
    expect(artifact.metrics.test_accuracy).toBeGreaterThanOrEqual(0);
    expect(artifact.metrics.mse).toBeGreaterThan(0);
    expect(artifact.metrics.mae).toBeGreaterThan(0);
    expect(artifact.metrics.precision).toEqual({});
  }, 120_000);

  it('trains triple-barrier labels with uniqueness weights, focal loss, AdamW and a scheduler on an MLP', async () => {
    const yaml = strategy({
      labels: '{source: triple_barrier, profit_target_atr: 2, stop_loss_atr: 1, max_holding_bars: 24, vol_span: 50, compute_weights: true}',
      training: '  loss: focal\n  focal_gamma: 2\n  lr_scheduler: {type: exponential, gamma: 0.5}\n  gradient_clip: 0.5\n',
    }).replace('optimizer: adam\n', 'optimizer: adamw\n');
    expect(yaml).toContain('optimizer: adamw');
    const { artifact, context } = await train(yaml);
    expect(artifact.labels).toEqual(['BUY', 'HOLD', 'SELL']);
    expect(artifact.metrics.epochs_trained).toBe(3);
    expect(context.updates.some((update) => update.current_step === 'Epoch 3/3')).toBe(true);
    // What reached the trainer (its checkpointed configuration): every key of the file, the original's defaults for the rest.
    const config = (context.units[0]?.state as { trainer: { config: Record<string, unknown> } }).trainer.config;
    expect(config).toMatchObject({
      optimizer: 'adamw',
      loss: { type: 'focal', focal_gamma: 2 },
      class_weights: 'balanced',
      gradient_clip: 0.5,
      lr_scheduler: { type: 'exponential', gamma: 0.5 },
      early_stopping: { enabled: true, patience: 5, min_delta: 0.0005 },
    });
    // The scheduler halved the rate after each epoch.
    const history = (context.units[2]?.state as { trainer: { history: { learning_rate: unknown }[] } }).trainer.history;
    expect(history.map((record) => record.learning_rate)).toEqual([0.005, 0.0025, 0.00125]);
  }, 120_000);

  it('trains regime labels into a 4-output model marked as not a trade signal', async () => {
    const yaml = strategy({ labels: '{source: regime, vol_lookback: 60}' });
    const { artifact } = await train(yaml);
    expect(artifact.output_type).toBe('regime_classification');
    expect(artifact.labels).toEqual(['TRENDING_UP', 'TRENDING_DOWN', 'RANGING', 'VOLATILE']);
    expect(modelFromJSON(artifact.network).outputSize).toBe(4);
  }, 120_000);

  it('refuses at training start a sequence_length longer than the data, naming the key', async () => {
    const yaml = strategy({ type: 'lstm', architecture: '{sequence_length: 5000, hidden_size: 4, num_layers: 1}' });
    await expect(train(yaml)).rejects.toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/^model\.architecture\.sequence_length 5000/) });
  }, 60_000);
});

describe('a model that learned nothing says so', () => {
  it('warns when the test predictions use one class only and accuracy does not beat the majority class', () => {
    // All-zero weights: equal logits, argmax is always class 0 (BUY).
    const model = createModel({ type: 'mlp', input_size: 2, hidden_layers: [3], output_size: 3, activation: 'relu', dropout: 0, output_activation: 'softmax' }, new Rng(1));
    model.params.fill(0);
    const y = Int8Array.from([1, 1, 1, 0, 2, 1]);
    const test = { X: new Float64Array(12).fill(0.5), y, rows: 6, cols: 2 };
    const evaluation = evaluateModel(model, test, ['BUY', 'HOLD', 'SELL']);
    expect(evaluation.warnings).toEqual([
      'the model predicts only BUY on the test set (6 samples): it learned nothing to trade on',
      'test accuracy 16.7% does not beat always predicting the majority class HOLD (66.7%)',
    ]);
  });

  it('says nothing for a model that beats the majority class with several classes', () => {
    const model = createModel({ type: 'mlp', input_size: 1, hidden_layers: [1], output_size: 2, activation: 'relu', dropout: 0, output_activation: 'softmax' }, new Rng(1));
    // hidden = relu(x); logits = [0, 10·hidden − 5]: x = 1 → class 1, x = 0 → class 0.
    model.params.set([1, 0, 0, 10, 0, -5]);
    const test = { X: Float64Array.from([1, 0, 1]), y: Int8Array.from([1, 0, 1]), rows: 3, cols: 1 };
    expect(evaluateModel(model, test, ['A', 'B']).warnings).toEqual([]);
  });
});

describe('createPredictor', () => {
  it('feeds a recurrent model the window of its last sequence_length rows, null before it exists or over a NaN', () => {
    const model = createModel(
      { type: 'recurrent', cell: 'lstm', input_size: 2, hidden_size: 3, num_layers: 1, sequence_length: 3, output_size: 3, dropout: 0, output_activation: 'softmax' },
      new Rng(3),
    );
    const data = Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, NaN, 1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6]);
    const predict = createPredictor(model, { rows: 8, cols: 2, data });
    expect(predict(1)).toBeNull();
    expect(Array.from(predict(3) as Float64Array)).toEqual(Array.from(model.predictBatch(data.slice(2, 8), 1)));
    // Row 4 holds a NaN: the windows ending at rows 4, 5 and 6 are not finite.
    expect(predict(4)).toBeNull();
    expect(predict(6)).toBeNull();
    expect(predict(7)).not.toBeNull();
  });
});
