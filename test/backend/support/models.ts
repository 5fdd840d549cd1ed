/** A model artifact as a training worker uploads it, for tests of the model routes. */
import { readFileSync } from 'node:fs';
import type { ModelArtifact } from '../../../src/api/contract.js';

const MACD_YAML = readFileSync(new URL('../../../strategies/macd_roc_trend.yaml', import.meta.url), 'utf8');

/** A valid model artifact (weights are not looked at by the backend). */
export function modelArtifact(modelId: string, createdAt = '2024-01-01T00:00:00.000Z', operationId: string | null = null): ModelArtifact {
  const period = (start: string, end: string, rows: number) => ({ start, end, rows });
  return {
    model_id: modelId,
    created_at: createdAt,
    operation_id: operationId,
    strategy_name: 'macd_roc_trend',
    symbol: 'EURUSD',
    timeframe: '1h',
    labels: ['BUY', 'HOLD', 'SELL'],
    confidence_threshold: 0.4,
    periods: {
      train: period('2023-01-03T12:00:00.000Z', '2023-03-30T05:00:00.000Z', 2058),
      validation: period('2023-03-30T06:00:00.000Z', '2023-04-17T14:00:00.000Z', 441),
      test: period('2023-04-17T15:00:00.000Z', '2023-05-05T23:00:00.000Z', 441),
    },
    metrics: {
      test_accuracy: 0.43,
      test_loss: 1.0,
      precision: { BUY: 0.5, HOLD: 0.3, SELL: 0.4 },
      recall: { BUY: 0.4, HOLD: 0.1, SELL: 0.5 },
      test_rows: 441,
      epochs_trained: 9,
      best_epoch: 4,
    },
    strategy_yaml: MACD_YAML,
    feature_spec: { format: 'whatever the training wrote' },
    network: { parameters: 'AAAA' },
  };
}
