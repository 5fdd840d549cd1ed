/**
 * best_epoch names the epoch whose weights the saved model holds: the best
 * validation epoch when early stopping restored it, the last epoch otherwise.
 * best_val_epoch (result summary) is the best validation epoch either way.
 * Checked against the saved network itself: its loss on the validation set
 * equals the val_loss reported for the epoch best_epoch names.
 */
import { describe, expect, it } from 'vitest';
import { ModelArtifact } from '../../src/api/contract.js';
import { balancedClassWeights } from '../../src/nn/losses.js';
import { Mlp } from '../../src/nn/mlp.js';
import { parseStrategy } from '../../src/strategy/load.js';
import { prepareData } from '../../src/workloads/training/dataset.js';
import { TrainingParams } from '../../src/workloads/training/params.js';
import { trainingWorkload } from '../../src/workloads/training/training.js';
import { BARS, fakeContext, MemoryServices, STRATEGY_YAML } from './support/fake-context.js';

const EPOCHS = 25;
const MIN_DELTA = 0.0005; // strategies/macd_roc_trend.yaml early_stopping.min_delta

async function train(yaml: string) {
  const services = new MemoryServices();
  const params = TrainingParams.parse({ strategy_yaml: yaml, strategy_name: 'macd_roc_trend', symbol: 'EURUSD', timeframe: '1h' });
  const context = fakeContext(params, { services });
  const result = await trainingWorkload.run(context);
  const artifact = ModelArtifact.parse(services.saved[0]);
  const valLoss = new Map<number, number>();
  for (const update of context.updates) {
    const figures = update.context as { epoch?: number; val_loss?: number | null } | undefined;
    if (update.current_step?.startsWith('Epoch ') && typeof figures?.val_loss === 'number') valLoss.set(figures.epoch as number, figures.val_loss);
  }
  return { summary: result.resultSummary, artifact, valLoss };
}

/** The trainer's rule: an epoch is the new best when its val_loss is below the best's by more than min_delta. */
function bestValidationEpoch(valLoss: ReadonlyMap<number, number>): number {
  let best = 1;
  for (const [epoch, loss] of [...valLoss].sort((a, b) => a[0] - b[0])) if (loss < (valLoss.get(best) as number) - MIN_DELTA) best = epoch;
  return best;
}

/** Cross-entropy of the saved network on the validation set, weighted by the training labels' balanced class weights (as the original validates). */
function savedValidationLoss(artifact: ModelArtifact, yaml: string): number {
  const { train, validation } = prepareData(parseStrategy(yaml, 'strategy.yaml'), BARS);
  const weights = balancedClassWeights(train.data.y, 3);
  const model = Mlp.fromJSON(artifact.network);
  const { X, y, rows, cols } = validation.data;
  let sum = 0;
  let total = 0;
  for (let row = 0; row < rows; row++) {
    const w = weights[y[row] as number] as number;
    sum -= w * Math.log(model.predictProba(X, row * cols)[y[row] as number] as number);
    total += w;
  }
  return sum / total;
}

describe('best_epoch', () => {
  it('without early stopping, is the last epoch (whose weights are saved), with the best validation epoch apart', async () => {
    const yaml = STRATEGY_YAML.replace('early_stopping: {enabled: true,', 'early_stopping: {enabled: false,');
    expect(yaml).not.toBe(STRATEGY_YAML);
    const { summary, artifact, valLoss } = await train(yaml);
    expect(summary.epochs_trained).toBe(EPOCHS);
    expect(summary.stopped_early).toBe(false);
    const bestVal = bestValidationEpoch(valLoss);
    expect(bestVal).toBeLessThan(EPOCHS); // else the test cannot tell the two apart
    expect(artifact.metrics.best_epoch).toBe(EPOCHS);
    expect(summary.best_epoch).toBe(EPOCHS);
    expect(summary.best_val_epoch).toBe(bestVal);
    expect(savedValidationLoss(artifact, yaml)).toBeCloseTo(valLoss.get(EPOCHS) as number, 9);
    expect(savedValidationLoss(artifact, yaml)).not.toBeCloseTo(valLoss.get(bestVal) as number, 9);
  });

  it('with early stopping, is the best validation epoch, whose weights were restored and saved', async () => {
    const { summary, artifact, valLoss } = await train(STRATEGY_YAML);
    const bestVal = bestValidationEpoch(valLoss);
    expect(summary.epochs_trained as number).toBeGreaterThan(bestVal); // else nothing was restored
    expect(artifact.metrics.best_epoch).toBe(bestVal);
    expect(summary.best_epoch).toBe(bestVal);
    expect(summary.best_val_epoch).toBe(bestVal);
    expect(savedValidationLoss(artifact, STRATEGY_YAML)).toBeCloseTo(valLoss.get(bestVal) as number, 9);
  });
});
