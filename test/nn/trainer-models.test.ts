/**
 * The trainer with recurrent models, every loss, schedulers, clipping, class
 * and sample weights: one training step of an MLP and of an LSTM against
 * hand calculations, bit-identical resume at every epoch, a diverging loss
 * stopping with a typed error, and the best epoch really restored.
 */
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/nn/dataset.js';
import { Rng } from '../../src/nn/rng.js';
import { Trainer, TrainerError, TrainingAborted, TrainingDiverged } from '../../src/nn/trainer.js';
import type { TrainerConfigInput, TrainingData } from '../../src/nn/trainer.js';

const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sig = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * A memory task: feature 0 is noise-free ±1 steps, the label of row t is
 * BUY (0) when the value three rows back was positive and SELL (2)
 * otherwise, HOLD (1) when it was exactly 0. A single row cannot tell.
 */
function memoryTask(rows: number, seed: number, segmentLength = rows): Dataset {
  const rng = new Rng(seed);
  const cols = 2;
  const X = new Float64Array(rows * cols);
  const y = new Int8Array(rows);
  const segments: number[] = [];
  const signal: number[] = [];
  for (let r = 0; r < rows; r++) {
    const value = rng.nextInt(3) - 1;
    signal.push(value);
    X[r * cols] = value;
    X[r * cols + 1] = 0.1 * rng.normal();
    const back = signal[r - 3] ?? 0;
    y[r] = back > 0 ? 0 : back < 0 ? 2 : 1;
    segments.push(Math.floor(r / segmentLength));
  }
  return { X, y, rows, cols, segments };
}

const recurrentConfig = (type: 'lstm' | 'gru', extra: Partial<TrainerConfigInput> = {}): TrainerConfigInput => ({
  architecture: { type, hidden_size: 6, num_layers: 2, sequence_length: 4, dropout: 0.2 },
  epochs: 6,
  batch_size: 16,
  learning_rate: 0.01,
  seed: 3,
  ...extra,
});

/** Runs a fresh trainer, keeping every epoch's snapshot (through JSON) and the final weights. */
async function runKeepingSnapshots(config: TrainerConfigInput, data: TrainingData) {
  const trainer = new Trainer(config, data);
  const snapshots: string[] = [JSON.stringify(trainer.snapshot())];
  const outcome = await trainer.run({ onEpoch: () => void snapshots.push(JSON.stringify(trainer.snapshot())), yieldEveryMs: 0 });
  return { outcome, snapshots, params: Float64Array.from(outcome.model.params) };
}

describe('one training step against a hand calculation', () => {
  it('MLP 2 → 1 relu → 2, cross-entropy, global clip to norm 1, SGD', async () => {
    const data: Dataset = { X: Float64Array.of(1, 2), y: Int8Array.of(0), rows: 1, cols: 2 };
    const trainer = new Trainer(
      { architecture: { hidden_layers: [1] }, classes: 2, epochs: 1, batch_size: 1, learning_rate: 0.1, optimizer: 'sgd' },
      { train: data },
    );
    // W0 [[0.5, −0.25]], b0 [0.1], W1 [[1], [−1]], b1 [0, 0].
    const start = [0.5, -0.25, 0.1, 1, -1, 0, 0];
    trainer.model.params.set(start);
    await trainer.run({ yieldEveryMs: 0 });
    // h = relu(0.5 − 0.5 + 0.1) = 0.1; logits [0.1, −0.1]; p₀ = σ(0.2) = 0.549834.
    const p0 = sig(0.2);
    const dz = [p0 - 1, 1 - p0]; // ∂loss/∂logits
    const dh = 1 * (dz[0] as number) - 1 * (dz[1] as number); // through W1; relu'(0.1) = 1
    const grads = [dh * 1, dh * 2, dh, (dz[0] as number) * 0.1, (dz[1] as number) * 0.1, dz[0] as number, dz[1] as number];
    const norm = Math.hypot(...grads); // 2.296288 > 1: every gradient is scaled by 1/(norm + 1e-6)
    expect(norm).toBeCloseTo(2.296288, 6);
    const expected = start.map((w, k) => w - (0.1 * (grads[k] as number)) / (norm + 1e-6));
    expected.forEach((w, k) => expect(trainer.model.params[k]).toBeCloseTo(w, 15));
    expect(trainer.history[0]?.loss).toBeCloseTo(-Math.log(p0), 15);
  });

  it('LSTM, one unit over two steps, backpropagation through time worked out scalar by scalar, SGD', async () => {
    const xs = [1, -2];
    // Row 0 only gives context: the one window ends at row 1, whose label (1) it learns.
    const data: Dataset = { X: Float64Array.from(xs), y: Int8Array.of(0, 1), rows: 2, cols: 1 };
    const trainer = new Trainer(
      {
        architecture: { type: 'lstm', hidden_size: 1, num_layers: 1, sequence_length: 2, dropout: 0 },
        classes: 2,
        epochs: 1,
        batch_size: 1,
        learning_rate: 0.5,
        optimizer: 'sgd',
        gradient_clip: 0,
      },
      { train: data },
    );
    expect(trainer.trainingSamples).toBe(1);
    const wih = [0.5, -0.4, 0.3, 0.2]; // gates i, f, g, o
    const whh = [0.1, 0.2, -0.3, 0.4];
    const bih = [0.05, 0.1, -0.05, 0];
    const bhh = [0, 0.02, 0.01, -0.03];
    const head = [1.5, -2]; // W [2][1]
    const headBias = [0.1, 0.2];
    const start = [...wih, ...whh, ...bih, ...bhh, ...head, ...headBias];
    trainer.model.params.set(start);
    await trainer.run({ yieldEveryMs: 0 });

    // Forward.
    const state = [{ h: 0, c: 0, i: 0, f: 0, g: 0, o: 0 }];
    for (const x of xs) {
      const { h, c } = state[state.length - 1] as { h: number; c: number };
      const a = (k: number) => (wih[k] as number) * x + (bih[k] as number) + (whh[k] as number) * h + (bhh[k] as number);
      const [i, f, g, o] = [sig(a(0)), sig(a(1)), Math.tanh(a(2)), sig(a(3))];
      const cNext = f * c + i * g;
      state.push({ h: o * Math.tanh(cNext), c: cNext, i, f, g, o });
    }
    const h2 = (state[2] as { h: number }).h;
    const z = [1.5 * h2 + 0.1, -2 * h2 + 0.2];
    const p1 = Math.exp(z[1] as number) / (Math.exp(z[0] as number) + Math.exp(z[1] as number));
    const dz = [1 - p1 - 0, p1 - 1]; // p − onehot(1): p₀ = 1 − p₁
    // Backward through time.
    const grad = new Array<number>(start.length).fill(0);
    grad[16] = (dz[0] as number) * h2;
    grad[17] = (dz[1] as number) * h2;
    grad[18] = dz[0] as number;
    grad[19] = dz[1] as number;
    let dh = 1.5 * (dz[0] as number) - 2 * (dz[1] as number);
    let dcCarry = 0;
    for (let t = 2; t >= 1; t--) {
      const { c, i, f, g, o } = state[t] as { c: number; i: number; f: number; g: number; o: number };
      const { h: hPrev, c: cPrev } = state[t - 1] as { h: number; c: number };
      const tc = Math.tanh(c);
      const dc = dh * o * (1 - tc * tc) + dcCarry;
      const da = [dc * g * i * (1 - i), dc * cPrev * f * (1 - f), dc * i * (1 - g * g), dh * tc * o * (1 - o)];
      for (let k = 0; k < 4; k++) {
        grad[k] = (grad[k] as number) + (da[k] as number) * (xs[t - 1] as number);
        grad[4 + k] = (grad[4 + k] as number) + (da[k] as number) * hPrev;
        grad[8 + k] = (grad[8 + k] as number) + (da[k] as number);
        grad[12 + k] = (grad[12 + k] as number) + (da[k] as number);
      }
      dh = da.reduce((sum, d, k) => sum + d * (whh[k] as number), 0);
      dcCarry = dc * f;
    }
    start.forEach((w, k) => expect(trainer.model.params[k], `parameter ${k}`).toBeCloseTo(w - 0.5 * (grad[k] as number), 15));
    expect(trainer.history[0]?.loss).toBeCloseTo(-Math.log(p1), 15);
  });
});

describe.each(['lstm', 'gru'] as const)('%s training', (type) => {
  const data: TrainingData = { train: memoryTask(240, 1, 60), validation: memoryTask(120, 2) };

  it('learns what needs memory (three rows back), which no single row tells', async () => {
    const trainer = new Trainer(recurrentConfig(type, { epochs: 12, learning_rate: 0.02, architecture: { type, hidden_size: 8, num_layers: 1, sequence_length: 4, dropout: 0 } }), data);
    const outcome = await trainer.run({ yieldEveryMs: 0 });
    // Windows never cross the four symbols of 60 rows: 4 × (60 − 3) samples.
    expect(trainer.trainingSamples).toBe(228);
    const first = outcome.history[0];
    const last = outcome.history.at(-1);
    expect(last?.val_accuracy).toBeGreaterThan(0.9);
    expect(last?.val_loss).toBeLessThan((first?.val_loss as number) / 2);
  });

  it('resumed from its JSON snapshot after any epoch ends bit-identical to the uninterrupted run', async () => {
    const config = recurrentConfig(type, {
      class_weights: 'balanced',
      loss: { type: 'focal', focal_gamma: 1.5 },
      lr_scheduler: { type: 'reduce_on_plateau', patience: 1, factor: 0.5 },
      optimizer: 'adamw',
      early_stopping: { enabled: true, patience: 4, monitor: 'val_accuracy' },
    });
    // Sample weights too: the weighted draw is part of what must resume exactly.
    const weighted: TrainingData = {
      train: { ...(data.train as Dataset), weights: Float64Array.from({ length: 240 }, (_, r) => 1 + (r % 5)) },
      validation: data.validation ?? null,
    };
    const straight = await runKeepingSnapshots(config, weighted);
    for (let k = 0; k < straight.snapshots.length; k++) {
      const resumed = Trainer.restore(JSON.parse(straight.snapshots[k] as string), weighted);
      const outcome = await resumed.run({ yieldEveryMs: 0 });
      expect(bytesOf(outcome.model.params).equals(bytesOf(straight.params)), `resumed after epoch ${k}`).toBe(true);
      expect(outcome.history).toEqual(straight.outcome.history);
    }
  });
});

describe('training features', () => {
  const data: TrainingData = { train: memoryTask(160, 5), validation: memoryTask(80, 6) };

  it('steps the learning rate by the scheduler and records the rate of each epoch', async () => {
    const trainer = new Trainer(
      { architecture: { hidden_layers: [4] }, epochs: 5, batch_size: 32, learning_rate: 0.01, lr_scheduler: { type: 'step', step_size: 2, gamma: 0.5 } },
      data,
    );
    const outcome = await trainer.run({ yieldEveryMs: 0 });
    expect(outcome.history.map((r) => r.learning_rate)).toEqual([0.01, 0.01, 0.005, 0.005, 0.0025]);
    expect(trainer.learningRate).toBe(0.0025);
  });

  it('ends on the best epoch’s weights with restore_best, and says so', async () => {
    const config: TrainerConfigInput = { architecture: { hidden_layers: [16] }, epochs: 8, batch_size: 8, learning_rate: 0.05, restore_best: true, seed: 2 };
    const weights: Float64Array[] = [];
    const trainer = new Trainer(config, data);
    const outcome = await trainer.run({ onEpoch: () => void weights.push(Float64Array.from(trainer.model.params)), yieldEveryMs: 0 });
    const best = outcome.best_epoch as number;
    const losses = outcome.history.map((r) => r.val_loss as number);
    expect(losses[best - 1]).toBe(Math.min(...losses));
    expect(best).toBeLessThan(8); // this over-fitting run peaks early, so the restore matters
    expect(outcome.restored_best).toBe(true);
    expect(bytesOf(outcome.model.params).equals(bytesOf(weights[best - 1] as Float64Array))).toBe(true);
  });

  it('never draws a sample of weight 0: changing such rows changes nothing', async () => {
    const weights = Float64Array.from({ length: 160 }, (_, r) => (r % 4 === 0 ? 0 : 1 + (r % 3)));
    const changed = memoryTask(160, 5);
    for (let r = 0; r < 160; r += 4) {
      changed.X[r * 2 + 1] = 99;
      changed.y[r] = 2;
    }
    const config: TrainerConfigInput = { architecture: { hidden_layers: [4] }, epochs: 2, batch_size: 16, learning_rate: 0.01 };
    const a = await new Trainer(config, { train: { ...(data.train as Dataset), weights } }).run({ yieldEveryMs: 0 });
    const b = await new Trainer(config, { train: { ...changed, weights } }).run({ yieldEveryMs: 0 });
    const unweighted = await new Trainer(config, { train: data.train }).run({ yieldEveryMs: 0 });
    expect(bytesOf(a.model.params).equals(bytesOf(b.model.params))).toBe(true);
    expect(bytesOf(a.model.params).equals(bytesOf(unweighted.model.params))).toBe(false);
  });

  it('trains a regression with huber and a tanh output, accuracy being sign agreement', async () => {
    const rng = new Rng(8);
    const rows = 200;
    const X = Float64Array.from({ length: rows * 2 }, () => rng.normal());
    const y = Float64Array.from({ length: rows }, (_, r) => 0.5 * Math.tanh((X[2 * r] as number) - (X[2 * r + 1] as number)));
    const set: Dataset = { X, y, rows, cols: 2 };
    const trainer = new Trainer(
      {
        architecture: { hidden_layers: [8], activation: 'tanh', output_activation: 'tanh' },
        epochs: 30,
        batch_size: 16,
        learning_rate: 0.01,
        loss: { type: 'huber', huber_delta: 0.1 },
      },
      { train: set, validation: set },
    );
    const outcome = await trainer.run({ yieldEveryMs: 0 });
    expect(outcome.model.outputSize).toBe(1);
    expect(outcome.history.at(-1)?.val_accuracy).toBeGreaterThan(0.9);
    expect(outcome.history.at(-1)?.val_loss).toBeLessThan((outcome.history[0]?.val_loss as number) / 3);
  });

  it('stops a diverging run with a typed error naming epoch and batch, keeping the last good epoch', async () => {
    const rng = new Rng(4);
    const rows = 64;
    const X = Float64Array.from({ length: rows * 2 }, () => 10 * rng.normal());
    const y = Float64Array.from({ length: rows }, () => 100 * rng.normal());
    const set: Dataset = { X, y, rows, cols: 2 };
    const trainer = new Trainer(
      { architecture: { hidden_layers: [8] }, epochs: 50, batch_size: 8, learning_rate: 0.001, optimizer: 'sgd', gradient_clip: 0, loss: { type: 'mse' } },
      { train: set, validation: set },
    );
    const good: Float64Array[] = [];
    const error = await trainer.run({ onEpoch: () => void good.push(Float64Array.from(trainer.model.params)), yieldEveryMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDiverged);
    const diverged = error as TrainingDiverged;
    expect(diverged).toBeInstanceOf(TrainerError);
    // Unclipped SGD on targets of scale 100 runs away in epoch 6 (worked out once; the run is deterministic).
    expect([diverged.epoch, diverged.batch, diverged.what]).toEqual([6, 3, 'loss']);
    expect(diverged.epoch).toBe(good.length + 1);
    expect(diverged.message).toMatch(new RegExp(`^training diverged in epoch ${diverged.epoch}(, batch ${diverged.batch})?: the .* is (NaN|Infinity|-Infinity)`));
    // The model and the snapshot are the last good epoch's; no diverged epoch was recorded or made best.
    const snapshot = trainer.snapshot();
    expect(snapshot.epoch).toBe(good.length);
    expect(trainer.history).toHaveLength(good.length);
    expect(good.length).toBeGreaterThan(0);
    expect(bytesOf(trainer.model.params).equals(bytesOf(good.at(-1) as Float64Array))).toBe(true);
    expect(trainer.history.every((r) => Number.isFinite(r.loss) && Number.isFinite(r.val_loss))).toBe(true);
    if (snapshot.best !== null) expect(Number.isFinite(snapshot.best.val_loss)).toBe(true);
    // The same run with the default clipping (global norm 1.0) stays finite.
    const clipped = new Trainer({ ...trainer.config, gradient_clip: undefined, epochs: 10 }, { train: set, validation: set });
    const outcome = await clipped.run({ yieldEveryMs: 0 });
    expect(outcome.history.every((r) => Number.isFinite(r.loss))).toBe(true);
  });

  it('refuses a sequence longer than every segment, a regression loss with softmax, and mismatched class weights', () => {
    const short = memoryTask(30, 1, 5);
    expect(() => new Trainer(recurrentConfig('lstm', { architecture: { type: 'lstm', sequence_length: 6 } }), { train: short })).toThrow(
      /architecture.sequence_length: 6 rows do not fit in any segment of the training set \(30 rows\)/,
    );
    expect(
      () => new Trainer({ architecture: { output_activation: 'softmax' }, epochs: 1, batch_size: 1, learning_rate: 1, loss: { type: 'mse' } }, { train: short }),
    ).toThrow(/architecture.output_activation: loss mse is a regression loss/);
    expect(() => new Trainer({ architecture: {}, epochs: 1, batch_size: 1, learning_rate: 1, class_weights: [1, 2] }, { train: short })).toThrow(
      /class_weights: 2 weights given for 3 classes/,
    );
    expect(() => new Trainer({ architecture: { type: 'lstm' } as never, epochs: 1, batch_size: 1, learning_rate: 1 }, { train: short })).toThrow(
      /training config.architecture.sequence_length: Invalid input: expected number, received undefined/,
    );
    expect(() => new Trainer({ architecture: { hidden_layers: [4], sequence_length: 5 } as never, epochs: 1, batch_size: 1, learning_rate: 1 }, { train: short })).toThrow(
      /training config.architecture: Unrecognized key: "sequence_length"/,
    );
    expect(() => new Trainer({ architecture: { type: 'lstn' } as never, epochs: 1, batch_size: 1, learning_rate: 1 }, { train: short })).toThrow(
      /training config.architecture.type: Invalid discriminator value/,
    );
    expect(() => new Trainer({ architecture: {}, epochs: 1, batch_size: 1, learning_rate: 1, lr_scheduler: { type: 'cosine' } as never }, { train: short })).toThrow(
      /lr_scheduler/,
    );
  });

  it('rolls an aborted recurrent epoch back to its boundary', async () => {
    const trainer = new Trainer(recurrentConfig('gru'), data);
    const controller = new AbortController();
    controller.abort('stop');
    const before = Float64Array.from(trainer.model.params);
    await expect(trainer.run({ signal: controller.signal })).rejects.toBeInstanceOf(TrainingAborted);
    expect(bytesOf(trainer.model.params).equals(bytesOf(before))).toBe(true);
  });
});
