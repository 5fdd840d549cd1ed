/** Strategies for end-to-end tests. */

/**
 * Enough epochs (40, small batches) to be caught mid-run on an idle machine, where the kill follows epoch 7 within
 * a poll; a small enough network that a machine ten times busier still passes epoch 7, and finishes, within the waits.
 */
export function slowStrategy(epochs = 40): string {
  return `
name: e2e_slow
version: "1.0"
training_data:
  symbols: {mode: single, symbol: EURUSD}
  timeframes: {mode: single, timeframe: "1h"}
indicators:
  rsi_14: {type: rsi, period: 14}
  roc_10: {type: roc, period: 10}
fuzzy_sets:
  rsi_momentum:
    indicator: rsi_14
    oversold: [0, 25, 45]
    neutral: [35, 50, 65]
    overbought: [55, 75, 100]
  direction:
    indicator: roc_10
    falling: [-100, -100, -1, 0]
    rising: [0, 1, 100, 100]
nn_inputs:
  - {fuzzy_set: rsi_momentum, timeframes: all}
  - {fuzzy_set: direction, timeframes: all}
model:
  type: mlp
  architecture: {hidden_layers: [64, 32], activation: relu, dropout: 0.1}
  features: {lookback_periods: 4}
  training: {learning_rate: 0.001, batch_size: 8, epochs: ${epochs}, optimizer: adam}
decisions: {output_format: classification, confidence_threshold: 0.4}
training:
  labels: {source: zigzag, zigzag_threshold: 0.01, label_lookahead: 24}
  data_split: {train: 0.7, validation: 0.15, test: 0.15}
`;
}

/**
 * The slow strategy as an LSTM reading windows of 6 bars (triple-barrier labels, focal loss, a scheduler): small
 * enough to train in seconds per epoch on a busy machine, with enough epochs to be caught mid-run.
 */
export function lstmStrategy(epochs = 30): string {
  return slowStrategy(epochs)
    .replace('name: e2e_slow', 'name: e2e_lstm')
    .replace('type: mlp', 'type: lstm')
    .replace('architecture: {hidden_layers: [64, 32], activation: relu, dropout: 0.1}', 'architecture: {sequence_length: 6, hidden_size: 8, num_layers: 1, dropout: 0.1}')
    .replace('  features: {lookback_periods: 4}\n', '')
    .replace('training: {learning_rate: 0.001, batch_size: 8,', 'training: {learning_rate: 0.003, batch_size: 16,')
    .replace(
      'labels: {source: zigzag, zigzag_threshold: 0.01, label_lookahead: 24}',
      'loss: focal\n  lr_scheduler: {type: step, step_size: 5, gamma: 0.5}\n  labels: {source: triple_barrier, profit_target_atr: 2, stop_loss_atr: 2, max_holding_bars: 24, compute_weights: true}',
    );
}
