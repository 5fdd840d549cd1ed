/**
 * The model behind the backtest's predictor `(row) => output | null` (src/backtest/loop.ts): any kind of
 * network a model artifact stores, through src/nn/predictor.ts (an MLP reads the row, a recurrent network
 * the window of its last `sequence_length` rows). A row whose input holds a NaN or infinite feature, or
 * comes before the features are defined, is null (no decision possible: HOLD) and the model is not asked.
 */
import type { Predictor } from '../../backtest/loop.js';
import { modelFromJSON } from '../../nn/models.js';
import { createPredictor } from '../../nn/predictor.js';
import type { FeatureMatrix } from '../../strategy/features.js';

export function createModelPredictor(network: unknown, features: FeatureMatrix): Predictor {
  return createPredictor(modelFromJSON(network), features);
}
