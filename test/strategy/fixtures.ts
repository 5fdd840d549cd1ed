/** Strategy texts shared by the strategy tests. */
import { readdirSync, readFileSync } from 'node:fs';

/** docs/architecture.md §6.2, verbatim. */
export const DESIGN_YAML = `name: rsi_adx_example
version: "3.0"
training_data:
  symbols: {mode: single, symbol: EURUSD}
  timeframes: {mode: single, timeframe: "1h"}
  history_required: 200
indicators:
  rsi_14: {type: rsi, period: 14, source: close}
  adx_14: {type: adx, period: 14}          # multi-output: adx_14.adx, .plus_di, .minus_di
fuzzy_sets:
  rsi_momentum:                           # shorthand: [a, b, c] is triangular
    indicator: rsi_14
    oversold: [0, 25, 40]
    overbought: [60, 75, 100]
  adx_trend:
    indicator: adx_14.adx
    weak: {type: triangular, parameters: [0, 15, 25]}
    strong: {type: trapezoidal, parameters: [20, 35, 60, 100]}
nn_inputs:
  - {fuzzy_set: rsi_momentum, timeframes: all}
  - {fuzzy_set: adx_trend, timeframes: ["1h"]}
model:
  type: mlp
  architecture: {hidden_layers: [32, 16], activation: relu, dropout: 0.2}
  features: {lookback_periods: 2}
  training:                               # also accepted at top level as \`training:\`
    learning_rate: 0.001
    batch_size: 32
    epochs: 50
    optimizer: adam
    early_stopping: {enabled: true, patience: 10, min_delta: 0.001}
decisions: {output_format: classification, confidence_threshold: 0.6}
training:
  labels: {source: zigzag, zigzag_threshold: 0.025, label_lookahead: 20}
  data_split: {train: 0.7, validation: 0.15, test: 0.15}
`;

/** Strategy files written the way the earlier ktrdr's own files are (test/strategy/fixtures/*.yaml). */
export const ORIGINAL_STYLE_DIR = new URL('./fixtures/', import.meta.url);
export const ORIGINAL_STYLE_FILES = readdirSync(ORIGINAL_STYLE_DIR).filter((file) => file.endsWith('.yaml')).sort();
export const originalStyle = (file: string): string => readFileSync(new URL(file, ORIGINAL_STYLE_DIR), 'utf8');
