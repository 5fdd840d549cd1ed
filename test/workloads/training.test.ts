import { describe, expect, it } from 'vitest';
import { ModelArtifact } from '../../src/api/contract.js';
import { LABELS, UNLABELLED, zigzagLabels } from '../../src/labels/zigzag.js';
import { parseIsoUtc } from '../../src/market-data/dates.js';
import { Mlp } from '../../src/nn/mlp.js';
import { buildFeatures } from '../../src/strategy/features.js';
import { parseStrategy } from '../../src/strategy/load.js';
import { OperationAborted } from '../../src/workloads/abort.js';
import { TrainingParams } from '../../src/workloads/training/params.js';
import { trainingWorkload } from '../../src/workloads/training/training.js';
import type { WorkloadResult } from '../../src/workloads/types.js';
import { BARS, fakeContext, MemoryServices, STRATEGY_YAML, type FakeContext } from './support/fake-context.js';

const params = TrainingParams.parse({ strategy_yaml: STRATEGY_YAML, strategy_name: 'macd_roc_trend', symbol: 'EURUSD', timeframe: '1h' });
const EPOCHS = 25; // strategies/macd_roc_trend.yaml model.training.epochs

interface Run {
  readonly context: FakeContext<TrainingParams>;
  readonly services: MemoryServices;
  readonly result: WorkloadResult;
  readonly artifact: ModelArtifact;
}

async function train(options: Parameters<typeof fakeContext>[1] = {}): Promise<Run> {
  const services = new MemoryServices();
  const context = fakeContext(params, { ...options, services });
  const result = await trainingWorkload.run(context);
  expect(services.saved).toHaveLength(1);
  return { context, services, result, artifact: ModelArtifact.parse(services.saved[0]) };
}

/** Runs until `unitDone(stopAt)` has captured its state, then aborts with `reason`. */
async function trainUntil(stopAt: number, reason: 'cancel' | 'shutdown' = 'shutdown') {
  const services = new MemoryServices();
  const context = fakeContext(params, {
    services,
    onUnit: (units, controller) => {
      if (units === stopAt) controller.abort(reason);
    },
  });
  const error = await trainingWorkload.run(context).then(
    () => null,
    (caught: unknown) => caught,
  );
  return { context, services, error };
}

const withoutResume = (summary: Record<string, unknown>) => {
  const { resumed_from_epoch: _ignored, ...rest } = summary;
  return rest;
};

describe('training workload', () => {
  it('reports each epoch with its figures, marks every epoch done, and saves a model with test metrics', async () => {
    const { context, result, artifact } = await train();
    const summary = result.resultSummary as Record<string, unknown>;
    const epochsTrained = summary.epochs_trained as number;
    expect(epochsTrained).toBeGreaterThanOrEqual(1);
    expect(epochsTrained).toBeLessThanOrEqual(EPOCHS);

    // unitDone(epoch) once per epoch, in order, with the trainer state to checkpoint.
    expect(context.units.map((unit) => unit.units)).toEqual(Array.from({ length: epochsTrained }, (_, index) => index + 1));
    expect(context.units.every((unit) => typeof unit.state === 'object' && unit.state !== null)).toBe(true);

    // "Epoch k/N" progress with the epoch's loss, val_loss and val_accuracy.
    for (let epoch = 1; epoch <= epochsTrained; epoch++) {
      const update = context.updates.find((u) => u.current_step === `Epoch ${epoch}/${EPOCHS}` && u.context?.loss !== null);
      expect(update, `progress of epoch ${epoch}`).toBeDefined();
      expect(update?.steps_completed).toBe(epoch);
      expect(update?.steps_total).toBe(EPOCHS);
      expect(update?.percentage).toBeCloseTo((epoch / EPOCHS) * 100, 10);
      const figures = update?.context as Record<string, number | null>;
      expect(figures.epoch).toBe(epoch);
      for (const key of ['loss', 'val_loss', 'val_accuracy'] as const) expect(Number.isFinite(figures[key]), `${key} of epoch ${epoch}`).toBe(true);
      expect(figures.val_accuracy).toBeGreaterThanOrEqual(0);
      expect(figures.val_accuracy).toBeLessThanOrEqual(1);
      expect(figures.resumed_from_epoch).toBeNull();
    }

    // The result summary and the artifact agree.
    expect(summary).toMatchObject({ model_id: artifact.model_id, resumed_from_epoch: null });
    for (const key of ['test_accuracy', 'test_loss', 'test_rows', 'epochs_trained', 'best_epoch', 'precision', 'recall'] as const) {
      expect(summary[key], key).toEqual(artifact.metrics[key]);
    }
    expect(Object.keys(artifact.metrics.precision).sort()).toEqual([...LABELS].sort());
    expect(Object.keys(artifact.metrics.recall).sort()).toEqual([...LABELS].sort());
    expect(artifact).toMatchObject({
      operation_id: context.operationId,
      strategy_name: 'macd_roc_trend',
      symbol: 'EURUSD',
      timeframe: '1h',
      labels: [...LABELS],
      confidence_threshold: 0.4,
      strategy_yaml: STRATEGY_YAML,
    });
    expect(artifact.model_id).toContain('macd_roc_trend');
    // Chronological, non-overlapping periods: the test set is after everything the model learned from.
    const { train: trainPeriod, validation, test } = artifact.periods;
    expect(Date.parse(trainPeriod.end)).toBeLessThan(Date.parse(validation.start));
    expect(Date.parse(validation.end)).toBeLessThan(Date.parse(test.start));
    // 70/15/15 of the usable rows, less the 24-bar label lookahead purged at each of the two boundaries.
    expect(summary.rows_purged).toBe(2 * 24);
    expect(summary.rows_dropped_nan).toBe(0);
    const usable = trainPeriod.rows + validation.rows + test.rows + 2 * 24;
    expect(trainPeriod.rows).toBe(Math.floor(usable * 0.7) - 24);
    expect(trainPeriod.rows + validation.rows).toBe(Math.floor(usable * 0.85) - 2 * 24);
  });

  it('reports test metrics that the saved network reproduces on the test period', async () => {
    const { artifact } = await train();
    // Rebuild the test set independently of the workload's split: bars in the test period
    // whose features are all defined and whose label is settled.
    const strategy = parseStrategy(STRATEGY_YAML, 'macd_roc_trend.yaml');
    const features = buildFeatures(strategy, BARS);
    const labels = zigzagLabels(BARS.close, 0.01, 24);
    const from = parseIsoUtc(artifact.periods.test.start) as number;
    const to = parseIsoUtc(artifact.periods.test.end) as number;
    const model = Mlp.fromJSON(artifact.network);
    const confusion = [0, 1, 2].map(() => [0, 0, 0]);
    let lossSum = 0;
    let rows = 0;
    for (let row = 0; row < BARS.time.length; row++) {
      const time = BARS.time[row] as number;
      if (time < from || time > to || labels[row] === UNLABELLED) continue;
      const x = features.data.subarray(row * features.cols, (row + 1) * features.cols);
      if (!x.every(Number.isFinite)) continue;
      const p = Array.from(model.predictProba(x));
      const truth = labels[row] as number;
      const predicted = p.indexOf(Math.max(...p));
      confusion[truth]![predicted]! += 1;
      lossSum -= Math.log(p[truth] as number);
      rows++;
    }
    expect(rows).toBe(artifact.metrics.test_rows);
    const correct = confusion[0]![0]! + confusion[1]![1]! + confusion[2]![2]!;
    expect(artifact.metrics.test_accuracy).toBeCloseTo(correct / rows, 12);
    expect(artifact.metrics.test_loss).toBeCloseTo(lossSum / rows, 9);
    LABELS.forEach((label, c) => {
      const predictedAs = confusion.reduce((sum, line) => sum + line[c]!, 0);
      const actually = confusion[c]!.reduce((sum, n) => sum + n, 0);
      expect(artifact.metrics.precision[label], `precision ${label}`).toBeCloseTo(predictedAs ? confusion[c]![c]! / predictedAs : 0, 12);
      expect(artifact.metrics.recall[label], `recall ${label}`).toBeCloseTo(actually ? confusion[c]![c]! / actually : 0, 12);
    });
  });

  it('is deterministic for a seed and differs for another seed', async () => {
    const a = await train();
    const b = await train();
    expect(b.artifact.network).toEqual(a.artifact.network);
    expect(b.result.resultSummary).toEqual(a.result.resultSummary);

    const services = new MemoryServices();
    await trainingWorkload.run(fakeContext({ ...params, seed: 43 }, { services }));
    expect((services.saved[0]?.network as { parameters: string }).parameters).not.toBe((a.artifact.network as { parameters: string }).parameters);
  });

  it('resumed from the state captured at epoch k ends bit-identical to an uninterrupted run', async () => {
    const uninterrupted = await train();
    const stopAt = 3;
    expect(uninterrupted.result.resultSummary.epochs_trained as number).toBeGreaterThan(stopAt + 1); // else the test proves nothing

    const stopped = await trainUntil(stopAt);
    expect(stopped.error).toBeInstanceOf(OperationAborted);
    expect((stopped.error as OperationAborted).reason).toBe('shutdown');
    expect(stopped.services.saved).toHaveLength(0);
    expect(stopped.context.units.map((unit) => unit.units)).toEqual([1, 2, 3]);

    const state = stopped.context.units[stopAt - 1]!.state;
    const resumed = await train({ resumeFrom: { units: stopAt, state } });
    // Bit-identical weights: the parameters are base64 of the raw doubles.
    expect((resumed.artifact.network as { parameters: string }).parameters).toBe((uninterrupted.artifact.network as { parameters: string }).parameters);
    expect(resumed.artifact.network).toEqual(uninterrupted.artifact.network);
    expect(resumed.artifact.metrics).toEqual(uninterrupted.artifact.metrics);
    expect(withoutResume(resumed.result.resultSummary)).toEqual(withoutResume(uninterrupted.result.resultSummary));
    expect(resumed.result.resultSummary.resumed_from_epoch).toBe(stopAt);

    // It continues where it stopped: the first epoch it runs is k+1, and it says it resumed.
    expect(resumed.context.units[0]?.units).toBe(stopAt + 1);
    expect(resumed.context.units.at(-1)?.units).toBe(uninterrupted.context.units.at(-1)?.units);
    expect(resumed.context.updates.some((u) => u.current_step === `Epoch ${stopAt}/${EPOCHS}`)).toBe(true);
    const later = resumed.context.updates.filter((u) => u.current_step?.startsWith('Epoch ') && u.context);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((u) => u.context?.resumed_from_epoch === stopAt)).toBe(true);
    // Each epoch after the resume reports the same figures as in the uninterrupted run.
    const figuresOf = (run: FakeContext<TrainingParams>, epoch: number) =>
      run.updates.find((u) => u.current_step === `Epoch ${epoch}/${EPOCHS}` && u.context?.loss !== null)?.context;
    const { resumed_from_epoch: _a, ...resumedFigures } = figuresOf(resumed.context, stopAt + 1) ?? {};
    const { resumed_from_epoch: _b, ...originalFigures } = figuresOf(uninterrupted.context, stopAt + 1) ?? {};
    expect(resumedFigures).toEqual(originalFigures);
  });

  it('resumed from the state captured at its last epoch, it only evaluates and saves the same model', async () => {
    const uninterrupted = await train();
    const last = uninterrupted.context.units.at(-1)!;
    const resumed = await train({ resumeFrom: { units: last.units, state: last.state } });
    expect(resumed.context.units).toEqual([]);
    expect(resumed.artifact.network).toEqual(uninterrupted.artifact.network);
    expect(withoutResume(resumed.result.resultSummary)).toEqual(withoutResume(uninterrupted.result.resultSummary));
    expect(resumed.result.resultSummary.resumed_from_epoch).toBe(last.units);
  });

  it('a cancel stops the run with OperationAborted("cancel") and saves no model', async () => {
    const stopped = await trainUntil(1, 'cancel');
    expect(stopped.error).toBeInstanceOf(OperationAborted);
    expect((stopped.error as OperationAborted).reason).toBe('cancel');
    expect(stopped.context.units.map((unit) => unit.units)).toEqual([1]);
    expect(stopped.services.saved).toHaveLength(0);
  });

  it('an already aborted signal stops it before any epoch', async () => {
    const services = new MemoryServices();
    const context = fakeContext(params, { services });
    context.controller.abort('cancel');
    await expect(trainingWorkload.run(context)).rejects.toBeInstanceOf(OperationAborted);
    expect(context.units).toEqual([]);
    expect(services.saved).toEqual([]);
  });

  it('trains on the date range of its params only, the history_required bars before it only warming the indicators up', async () => {
    const services = new MemoryServices();
    const start = '2023-01-20T00:00:00Z';
    const end = '2023-04-20T00:00:00Z';
    await trainingWorkload.run(fakeContext({ ...params, start_date: start, end_date: end }, { services }));
    // Bars from the beginning: the warm-up is taken from before the range.
    expect(services.barRequests).toEqual([{ symbol: 'EURUSD', timeframe: '1h', endDate: end }]);
    const { periods } = services.saved[0]!;
    // history_required (100) exceeds the strategy's warm-up, so the first bar of the range is already a training row.
    expect(Date.parse(periods.train.start)).toBe(Date.parse(start));
    expect(Date.parse(periods.test.end)).toBeLessThan(Date.parse(end));
  });

  it('without history before the range, the indicators warm up inside it', async () => {
    const services = new MemoryServices();
    const first = await services.bars({ symbol: 'EURUSD', timeframe: '1h' });
    const start = new Date(first.time[0]!).toISOString();
    await trainingWorkload.run(fakeContext({ ...params, start_date: start }, { services }));
    expect(Date.parse(services.saved[0]!.periods.train.start)).toBeGreaterThan(Date.parse(start));
  });

  it('fails with a message naming the set and the bars when the range is too short to train on', async () => {
    const services = new MemoryServices();
    const context = fakeContext({ ...params, start_date: '2023-01-02T00:00:00Z', end_date: '2023-01-06T00:00:00Z' }, { services });
    await expect(trainingWorkload.run(context)).rejects.toThrow(/EURUSD 1h: the (train|validation|test) set has \d+ rows .*96 bars/);
  });
});
