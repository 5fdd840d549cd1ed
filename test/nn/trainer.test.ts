/**
 * The trainer: it learns, it is deterministic, a run stopped after any epoch
 * and resumed from its JSON snapshot ends bit-identical to one that never
 * stopped, and early stopping keeps the best validation weights.
 */
import { describe, expect, it } from 'vitest';
import { DatasetError, dropUnlabelled, sliceRows } from '../../src/nn/dataset.js';
import type { Dataset } from '../../src/nn/dataset.js';
import type { Mlp } from '../../src/nn/mlp.js';
import { Rng } from '../../src/nn/rng.js';
import { Trainer, TrainerError, TrainingAborted } from '../../src/nn/trainer.js';
import type { EpochReport, TrainerConfigInput, TrainerSnapshot, TrainingData } from '../../src/nn/trainer.js';

const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * Three Gaussian blobs centred at (1, 0), (-1, 1), (0, -1) in the first two
 * columns, the other columns pure noise; `labelNoise` of the labels are redrawn at random.
 */
function blobs(rows: number, cols: number, noise: number, seed: number, labelNoise = 0): Dataset {
  const rng = new Rng(seed);
  const centres = [
    [1, 0],
    [-1, 1],
    [0, -1],
  ];
  const X = new Float64Array(rows * cols);
  const y = new Int8Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = rng.nextInt(3);
    y[r] = rng.next() < labelNoise ? rng.nextInt(3) : c;
    for (let j = 0; j < cols; j++) X[r * cols + j] = (j < 2 ? (centres[c]?.[j] as number) : 0) + noise * rng.normal();
  }
  return { X, y, rows, cols };
}

/** Noisy and small enough to overfit, so that early stopping ends the run within the epochs. */
const NOISY: TrainingData = { train: blobs(120, 6, 0.8, 1, 0.2), validation: blobs(200, 6, 0.8, 2, 0.2) };

const resumableConfig = (optimizer: 'adam' | 'sgd'): TrainerConfigInput => ({
  architecture: { hidden_layers: [32, 16], activation: 'relu', dropout: 0.2 },
  epochs: 40,
  batch_size: 8,
  learning_rate: optimizer === 'adam' ? 0.003 : 0.02,
  optimizer,
  momentum: 0.9,
  early_stopping: { enabled: true, patience: 3, min_delta: 0.001 },
  seed: 1,
});

/** Runs until after epoch `k`, aborting there; returns the snapshot taken in onEpoch at epoch k, through JSON. */
async function runUntilEpoch(config: TrainerConfigInput, data: TrainingData, k: number) {
  const trainer = new Trainer(config, data);
  const controller = new AbortController();
  let saved = '';
  const run = trainer.run({
    signal: controller.signal,
    onEpoch: (report) => {
      if (report.epoch === k) {
        saved = JSON.stringify(trainer.snapshot());
        controller.abort('shutdown');
      }
    },
  });
  return { trainer, run, saved: () => JSON.parse(saved) as TrainerSnapshot };
}

describe('Trainer learning', () => {
  for (const optimizer of ['adam', 'sgd'] as const) {
    it(`lowers the loss and separates clean blobs (${optimizer})`, async () => {
      const data = { train: blobs(600, 4, 0.35, 10), validation: blobs(300, 4, 0.35, 11) };
      const trainer = new Trainer(
        {
          architecture: { hidden_layers: [16], activation: 'tanh', dropout: 0 },
          epochs: 15,
          batch_size: 16,
          learning_rate: optimizer === 'adam' ? 0.01 : 0.05,
          optimizer,
          momentum: 0.9,
          seed: 4,
        },
        data,
      );
      const outcome = await trainer.run();
      const { history } = outcome;
      expect(history).toHaveLength(15);
      const first = history[0];
      const last = history[14];
      expect(last?.loss).toBeLessThan((first?.loss as number) * 0.5);
      expect(last?.val_loss).toBeLessThan(first?.val_loss as number);
      expect(last?.val_accuracy).toBeGreaterThan(0.95);
      // Independently: predictions row by row on the validation set agree with the reported accuracy.
      const validation = data.validation;
      let correct = 0;
      for (let r = 0; r < validation.rows; r++) {
        if ((outcome.model as Mlp).predict(validation.X, r * validation.cols) === validation.y[r]) correct++;
      }
      expect(correct / validation.rows).toBe(last?.val_accuracy);
    });
  }
});

describe('Trainer determinism', () => {
  it('gives bit-identical weights and history for the same seed and data', async () => {
    const a = await new Trainer(resumableConfig('adam'), NOISY).run();
    const b = await new Trainer(resumableConfig('adam'), NOISY).run();
    expect(bytesOf(b.model.params).equals(bytesOf(a.model.params))).toBe(true);
    expect(b.history).toEqual(a.history);
    const c = await new Trainer({ ...resumableConfig('adam'), seed: 2 }, NOISY).run();
    expect(bytesOf(c.model.params).equals(bytesOf(a.model.params))).toBe(false);
  });
});

describe('Trainer snapshot and restore', () => {
  for (const optimizer of ['adam', 'sgd'] as const) {
    it(`continues bit-identically from a JSON snapshot after any epoch (${optimizer}, dropout, early stopping)`, async () => {
      const config = resumableConfig(optimizer);
      const reference = await new Trainer(config, NOISY).run();
      expect(reference.stopped_early).toBe(true); // the scenario exercises the early stop across the resume
      expect(reference.epochs_completed).toBeGreaterThan(3);

      for (let k = 1; k <= reference.epochs_completed; k++) {
        const { trainer, run, saved } = await runUntilEpoch(config, NOISY, k);
        if (k < reference.epochs_completed) {
          const aborted = await run.then(
            () => null,
            (error: unknown) => error,
          );
          expect(aborted).toBeInstanceOf(TrainingAborted);
          expect((aborted as TrainingAborted).reason).toBe('shutdown');
          expect((aborted as TrainingAborted).epoch).toBe(k);
          // Aborted in the next epoch's first batch: rolled back to the end of epoch k.
          expect(JSON.parse(JSON.stringify(trainer.snapshot()))).toEqual(saved());
        } else {
          await run; // the abort comes after the last epoch: nothing is left to check it
        }
        const snapshot = saved();
        expect(snapshot.epoch).toBe(k);

        const reports: EpochReport[] = [];
        const resumed = await Trainer.restore(snapshot, NOISY).run({ onEpoch: (report) => void reports.push(report) });
        expect(bytesOf(resumed.model.params).equals(bytesOf(reference.model.params)), `resumed after epoch ${k}`).toBe(true);
        expect(resumed.history).toEqual(reference.history);
        expect(resumed.best_epoch).toBe(reference.best_epoch);
        expect(resumed.epochs_completed).toBe(reference.epochs_completed);
        expect(resumed.resumed_from_epoch).toBe(k);
        expect(reports.map((r) => r.epoch)).toEqual(
          Array.from({ length: reference.epochs_completed - k }, (_, i) => k + 1 + i),
        );
        expect(reports.every((r) => r.resumed_from_epoch === k)).toBe(true);
      }
    });
  }

  it('rolls back an abort in the middle of an epoch to the last epoch boundary', async () => {
    const config = resumableConfig('sgd');
    const reference = await new Trainer(config, NOISY).run();
    const trainer = new Trainer(config, NOISY);
    let checks = 0;
    // A signal that turns aborted on its 20th check, i.e. before the 5th batch of epoch 2 (15 batches an epoch).
    const signal = {
      get aborted() {
        return ++checks >= 20;
      },
      reason: 'cancel',
    } as AbortSignal;
    let atEpochOne = '';
    const error = await trainer
      .run({ signal, yieldEveryMs: 0, onEpoch: () => void (atEpochOne = JSON.stringify(trainer.snapshot())) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingAborted);
    expect((error as TrainingAborted).epoch).toBe(1);
    expect(JSON.stringify(trainer.snapshot())).toBe(atEpochOne);
    const resumed = await Trainer.restore(JSON.parse(JSON.stringify(trainer.snapshot())), NOISY).run();
    expect(bytesOf(resumed.model.params).equals(bytesOf(reference.model.params))).toBe(true);
  });

  it('restores a snapshot taken before the first epoch', async () => {
    const config = resumableConfig('adam');
    const reference = await new Trainer(config, NOISY).run();
    const fresh = JSON.parse(JSON.stringify(new Trainer(config, NOISY).snapshot())) as TrainerSnapshot;
    const resumed = await Trainer.restore(fresh, NOISY).run();
    expect(bytesOf(resumed.model.params).equals(bytesOf(reference.model.params))).toBe(true);
  });

  it('refuses to resume on other data or from a damaged snapshot', () => {
    const snapshot = JSON.parse(JSON.stringify(new Trainer(resumableConfig('adam'), NOISY).snapshot())) as TrainerSnapshot;
    const other = { train: blobs(120, 6, 0.8, 99, 0.2), validation: NOISY.validation };
    expect(() => Trainer.restore(snapshot, other)).toThrow(/data_fingerprint differs/);
    expect(() => Trainer.restore({ ...snapshot, rng: { ...snapshot.rng, words: [0, 0, 0, 0] } }, NOISY)).toThrow(
      /trainer snapshot\.rng\.words/,
    );
    expect(() => Trainer.restore({ ...snapshot, epoch: 2 }, NOISY)).toThrow(/0 records for 2 epochs/);
    expect(() => Trainer.restore({ ...snapshot, format: 'x' }, NOISY)).toThrow(TrainerError);
  });
});

describe('Trainer early stopping', () => {
  // The validation labels swap classes 0 and 1: the better the fit to the training
  // rule, the worse the validation loss, so the best epoch comes early.
  const train = blobs(300, 4, 0.4, 20);
  const swapped = blobs(200, 4, 0.4, 21);
  const validation: Dataset = { ...swapped, y: swapped.y.map((label) => (label === 2 ? 2 : 1 - label)) };

  it('stops after `patience` epochs without improvement and restores the best weights', async () => {
    const patience = 2;
    const minDelta = 0.0005;
    const weightsByEpoch = new Map<number, Buffer>();
    const trainer = new Trainer(
      {
        architecture: { hidden_layers: [8], activation: 'relu', dropout: 0 },
        epochs: 30,
        batch_size: 16,
        learning_rate: 0.01,
        early_stopping: { enabled: true, patience, min_delta: minDelta },
        seed: 3,
      },
      { train, validation },
    );
    const outcome = await trainer.run({
      onEpoch: (report) => void weightsByEpoch.set(report.epoch, Buffer.from(bytesOf(trainer.model.params))),
    });
    expect(outcome.stopped_early).toBe(true);
    expect(outcome.epochs_completed).toBeLessThan(30);

    // The rule replayed on the history: improvement means val_loss < best - min_delta.
    let best = { epoch: 0, loss: Infinity };
    let waited = 0;
    let stoppedAt = 0;
    for (const record of outcome.history) {
      const loss = record.val_loss as number;
      if (loss < best.loss - minDelta) [best, waited] = [{ epoch: record.epoch, loss }, 0];
      else waited++;
      if (waited >= patience) {
        stoppedAt = record.epoch;
        break;
      }
    }
    expect(outcome.best_epoch).toBe(best.epoch);
    expect(outcome.epochs_completed).toBe(stoppedAt);
    expect(outcome.epochs_completed).toBe(best.epoch + patience);
    expect(bytesOf(outcome.model.params).equals(weightsByEpoch.get(best.epoch) as Buffer)).toBe(true);
    expect(bytesOf(outcome.model.params).equals(weightsByEpoch.get(stoppedAt) as Buffer)).toBe(false);
  });

  it('counts only improvements larger than min_delta', async () => {
    // Clean blobs: the validation loss falls every epoch, but never by 10.
    const clean = { train: blobs(300, 4, 0.4, 20), validation: blobs(200, 4, 0.4, 22) };
    const config = (minDelta: number): TrainerConfigInput => ({
      architecture: { hidden_layers: [8] },
      epochs: 8,
      batch_size: 16,
      learning_rate: 0.01,
      early_stopping: { enabled: true, patience: 3, min_delta: minDelta },
      seed: 3,
    });
    const strict = await new Trainer(config(10), clean).run();
    expect(strict.history[3]?.val_loss).toBeLessThan(strict.history[0]?.val_loss as number);
    expect(strict.stopped_early).toBe(true);
    expect(strict.best_epoch).toBe(1);
    expect(strict.epochs_completed).toBe(4);
    const lenient = await new Trainer(config(0), clean).run();
    expect(lenient.stopped_early).toBe(false);
    expect(lenient.epochs_completed).toBe(8);
  });

  it('keeps the last weights when early stopping is off', async () => {
    let lastWeights = Buffer.alloc(0);
    const trainer = new Trainer(
      { architecture: { hidden_layers: [8] }, epochs: 6, batch_size: 16, learning_rate: 0.01, seed: 3 },
      { train, validation },
    );
    const outcome = await trainer.run({ onEpoch: () => void (lastWeights = Buffer.from(bytesOf(trainer.model.params))) });
    expect(outcome.stopped_early).toBe(false);
    expect(outcome.epochs_completed).toBe(6);
    expect(bytesOf(outcome.model.params).equals(lastWeights)).toBe(true);
  });

  it('needs a validation set', () => {
    expect(
      () =>
        new Trainer(
          { architecture: {}, epochs: 3, batch_size: 4, learning_rate: 0.1, early_stopping: { enabled: true } },
          { train },
        ),
    ).toThrow(/early stopping needs a validation set/);
  });
});

describe('Trainer runtime behaviour', () => {
  const data: TrainingData = { train: blobs(200, 4, 0.5, 30), validation: blobs(50, 4, 0.5, 31) };
  const config: TrainerConfigInput = { architecture: { hidden_layers: [8] }, epochs: 4, batch_size: 10, learning_rate: 0.01 };

  it('awaits an async onEpoch before starting the next epoch, with the progress figures', async () => {
    const events: string[] = [];
    const trainer = new Trainer(config, data);
    await trainer.run({
      onEpoch: async (report) => {
        events.push(`start ${report.epoch}/${report.epochs} at ${trainer.epoch}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(typeof report.loss).toBe('number');
        expect(report.val_accuracy).toBeGreaterThanOrEqual(0);
        events.push(`end ${report.epoch}`);
      },
    });
    expect(events).toEqual(['start 1/4 at 1', 'end 1', 'start 2/4 at 2', 'end 2', 'start 3/4 at 3', 'end 3', 'start 4/4 at 4', 'end 4']);
  });

  it('stops on a real abort while yielding between batches', async () => {
    const big = { train: blobs(2000, 4, 0.5, 32), validation: null };
    const trainer = new Trainer({ ...config, epochs: 10_000, batch_size: 4 }, big);
    const controller = new AbortController();
    setTimeout(() => controller.abort('cancel'), 20);
    const error = await trainer.run({ signal: controller.signal, yieldEveryMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingAborted);
    expect((error as TrainingAborted).reason).toBe('cancel');
    expect(trainer.snapshot().epoch).toBe((error as TrainingAborted).epoch);
    expect((error as TrainingAborted).epoch).toBeLessThan(10_000);
  });

  it('refuses a snapshot while an epoch is in progress', async () => {
    const trainer = new Trainer({ ...config, batch_size: 1, epochs: 1 }, data);
    const run = trainer.run({ yieldEveryMs: Number.MIN_VALUE });
    expect(() => trainer.snapshot()).toThrow(/an epoch is in progress/);
    await run;
    expect(trainer.snapshot().finished).toBe(true);
  });

  it('reports null validation figures without a validation set', async () => {
    const outcome = await new Trainer(config, { train: data.train }).run();
    expect(outcome.history.every((r) => r.val_loss === null && r.val_accuracy === null)).toBe(true);
    expect(outcome.best_epoch).toBeNull();
  });
});

describe('data sets', () => {
  it('rejects unlabelled rows, naming the row, and drops them on request', () => {
    const X = Float64Array.of(1, 2, 3, 4, 5, 6);
    const y = Int8Array.of(0, -1, 2);
    const train = { X, y, rows: 3, cols: 2 };
    expect(() => new Trainer({ architecture: {}, epochs: 1, batch_size: 2, learning_rate: 0.1 }, { train })).toThrow(
      /training set: row 1 has label -1.*dropUnlabelled/,
    );
    const kept = dropUnlabelled(train);
    expect(kept.rows).toBe(2);
    expect(Array.from(kept.X)).toEqual([1, 2, 5, 6]);
    expect(Array.from(kept.y)).toEqual([0, 2]);
  });

  it('keeps the weights of the rows it keeps, and splits segments where rows were dropped', () => {
    const train = {
      X: Float64Array.of(1, 2, 3, 4, 5),
      y: Int8Array.of(0, 1, -1, 2, 0),
      rows: 5,
      cols: 1,
      weights: Float64Array.of(1, 2, 3, 4, 5),
      segments: [7, 7, 7, 7, 8],
    };
    const kept = dropUnlabelled(train);
    expect(Array.from(kept.weights ?? [])).toEqual([1, 2, 4, 5]);
    expect(kept.segments).toEqual([0, 0, 1, 2]);
  });

  it('rejects shapes and non-finite features', () => {
    const config = { architecture: {}, epochs: 1, batch_size: 2, learning_rate: 0.1 };
    expect(() => new Trainer(config, { train: { X: new Float64Array(5), y: new Int8Array(3), rows: 3, cols: 2 } })).toThrow(
      /X holds 5 values, 3 rows × 2 cols need 6/,
    );
    expect(
      () => new Trainer(config, { train: { X: Float64Array.of(1, NaN), y: Int8Array.of(0), rows: 1, cols: 2 } }),
    ).toThrow(DatasetError);
    expect(() => new Trainer({ ...config, batch_size: 0 }, { train: blobs(4, 2, 1, 1) })).toThrow(/training config\.batch_size/);
  });

  it('slices rows as views', () => {
    const data = blobs(10, 3, 1, 5);
    const middle = sliceRows(data, 2, 5);
    expect(middle.rows).toBe(3);
    expect(Array.from(middle.X)).toEqual(Array.from(data.X.slice(6, 15)));
    expect(Array.from(middle.y)).toEqual(Array.from(data.y.slice(2, 5)));
    expect(() => sliceRows(data, 4, 11)).toThrow(/\[4, 11\) is not a row range within \[0, 10\]/);
  });
});
