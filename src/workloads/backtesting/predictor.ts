/**
 * The model behind the backtest's predictor `(row) => output | null` (src/backtest/loop.ts), in this one
 * place so that a predictor for every kind of network (recurrent windows included) replaces it alone.
 * Today: an MLP, one feature row per decision; a row with a NaN or infinite feature, or before the
 * features are defined, is null (no decision possible: HOLD) and the model is not asked.
 */
import type { Predictor } from '../../backtest/loop.js';
import { Mlp } from '../../nn/mlp.js';
import type { FeatureMatrix } from '../../strategy/features.js';

export function createModelPredictor(network: unknown, features: FeatureMatrix): Predictor {
  const model = Mlp.fromJSON(network);
  const { cols, data, firstValidRow } = features;
  const out = new Float64Array(model.outputSize);
  return (row) => {
    if (row < firstValidRow) return null;
    for (let c = row * cols, end = c + cols; c < end; c++) if (!Number.isFinite(data[c] as number)) return null;
    return model.predictProba(data, row * cols, out);
  };
}
