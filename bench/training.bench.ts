/**
 * Training throughput (samples × epochs per second) of our MLP beside
 * TensorFlow.js on its pure-JavaScript CPU backend, on the same data and the
 * same network in the same process; and single-row inference as the
 * backtester calls it.
 */
import { Mlp } from '../src/nn/mlp.js';
import { Rng } from '../src/nn/rng.js';
import { Trainer } from '../src/nn/trainer.js';
import type { Dataset } from '../src/nn/dataset.js';
import { loadBenchPeer } from './peers.js';
import { median } from './stats.js';

interface TfTensor {
  dispose(): void;
}

interface TfSequential {
  add(layer: unknown): void;
  compile(args: { optimizer: unknown; loss: string }): void;
  fit(x: TfTensor, y: TfTensor, args: { epochs: number; batchSize: number; shuffle: boolean; verbose: number }): Promise<{ history: Record<string, unknown[]> }>;
  dispose(): void;
}

/**
 * The slice of TensorFlow.js this benchmark calls, typed here so that type-checking never needs the ~270 MB
 * optional peer. Loaded on demand (see trainingBench), so that other benchmarks neither pay for it nor see its banner.
 */
interface Tfjs {
  version: { tfjs: string };
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  sequential(): TfSequential;
  layers: { dense(args: { units: number; activation: string; inputShape?: number[] }): unknown };
  train: { adam(learningRate: number, beta1: number, beta2: number, epsilon: number): unknown };
  tensor2d(values: Float32Array, shape: [number, number]): TfTensor;
  tensor1d(values: Int32Array, dtype: 'int32'): TfTensor;
  oneHot(indices: TfTensor, depth: number): TfTensor;
}

async function loadTfjs(): Promise<Tfjs | null> {
  const loaded = (await loadBenchPeer('@tensorflow/tfjs')) as (Partial<Tfjs> & { default?: Tfjs }) | null;
  if (!loaded) return null;
  // An ES import of its CommonJS build may put the API under `default`.
  return typeof loaded.sequential === 'function' ? (loaded as Tfjs) : (loaded.default ?? null);
}

const ROWS = 20_000;
const COLS = 30;
const HIDDEN = [32, 16];
const CLASSES = 3;
const BATCH = 32;
const EPOCHS = 5;
const LEARNING_RATE = 0.001;

/** Standard-normal features; the label depends on a noisy sum of the first five, three classes of similar size. */
function syntheticData(rows: number): Dataset {
  const rng = new Rng(2024);
  const X = new Float64Array(rows * COLS);
  const y = new Int8Array(rows);
  for (let r = 0; r < rows; r++) {
    let signal = 0;
    for (let c = 0; c < COLS; c++) {
      const value = rng.normal();
      X[r * COLS + c] = value;
      if (c < 5) signal += value;
    }
    signal += 0.5 * rng.normal();
    y[r] = signal > 1 ? 0 : signal < -1 ? 2 : 1;
  }
  return { X, y, rows, cols: COLS };
}

async function trainOurs(data: Dataset, epochs: number): Promise<{ ms: number; loss: number }> {
  const trainer = new Trainer(
    {
      architecture: { hidden_layers: HIDDEN, activation: 'relu', dropout: 0 },
      classes: CLASSES,
      epochs,
      batch_size: BATCH,
      learning_rate: LEARNING_RATE,
      optimizer: 'adam',
      seed: 1,
    },
    { train: data },
  );
  const start = performance.now();
  const outcome = await trainer.run();
  return { ms: performance.now() - start, loss: outcome.history.at(-1)?.loss ?? NaN };
}

async function trainTfjs(tf: Tfjs, data: Dataset, epochs: number): Promise<{ ms: number; loss: number }> {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: HIDDEN[0] as number, activation: 'relu', inputShape: [COLS] }));
  for (const units of HIDDEN.slice(1)) model.add(tf.layers.dense({ units, activation: 'relu' }));
  model.add(tf.layers.dense({ units: CLASSES, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(LEARNING_RATE, 0.9, 0.999, 1e-8), loss: 'categoricalCrossentropy' });
  const xs = tf.tensor2d(Float32Array.from(data.X), [data.rows, COLS]);
  const ys = tf.oneHot(tf.tensor1d(Int32Array.from(data.y), 'int32'), CLASSES);
  const start = performance.now();
  const history = await model.fit(xs, ys, { epochs, batchSize: BATCH, shuffle: true, verbose: 0 });
  const ms = performance.now() - start;
  const losses = history.history.loss as number[];
  xs.dispose();
  ys.dispose();
  model.dispose();
  return { ms, loss: losses.at(-1) ?? NaN };
}

const perSecond = (ms: number) => Math.round((ROWS * EPOCHS) / (ms / 1000)).toLocaleString('en-US');

export async function trainingBench(): Promise<void> {
  const tf = await loadTfjs();
  if (tf) {
    await tf.setBackend('cpu');
    await tf.ready();
  }
  const data = syntheticData(ROWS);
  const warmup = syntheticData(2000);
  await trainOurs(warmup, 1);
  if (tf) await trainTfjs(tf, warmup, 1);

  const runs = 3;
  const ours: { ms: number; loss: number }[] = [];
  const theirs: { ms: number; loss: number }[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(await trainOurs(data, EPOCHS));
    if (tf) theirs.push(await trainTfjs(tf, data, EPOCHS));
  }
  const oursMs = median(ours.map((r) => r.ms));
  console.log(
    `training: ${ROWS.toLocaleString('en-US')} × ${COLS} features, hidden [${HIDDEN.join(', ')}] relu, ` +
      `batch ${BATCH}, Adam ${LEARNING_RATE}, ${EPOCHS} epochs (median of ${runs})`,
  );
  const line = (label: string, ms: number, loss: number | undefined) =>
    console.log(
      `  ${label.padEnd(34)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${perSecond(ms).padStart(9)} samples×epochs/s` +
        `  last-epoch loss ${loss?.toFixed(4)}`,
    );
  line('ktrdr MLP (Float64)', oursMs, ours[0]?.loss);
  if (tf) {
    const theirsMs = median(theirs.map((r) => r.ms));
    line(`tfjs ${tf.version.tfjs}, cpu backend (Float32)`, theirsMs, theirs[0]?.loss);
    console.log(`  ${'ratio ktrdr / tfjs'.padEnd(34)} ${(theirsMs / oursMs).toFixed(1)}× the throughput`);
  }

  // Single-row inference, as the backtester calls it bar by bar.
  const model = Mlp.create(
    { input_size: COLS, hidden_layers: HIDDEN, output_size: CLASSES, activation: 'relu', dropout: 0 },
    new Rng(1),
  );
  const calls = 1_000_000;
  let checksum = 0;
  const start = performance.now();
  for (let i = 0; i < calls; i++) checksum += model.predictProba(data.X, (i % ROWS) * COLS)[0] as number;
  const ms = performance.now() - start;
  console.log(
    `  ${'predictProba, one row'.padEnd(34)} ${Math.round(calls / (ms / 1000)).toLocaleString('en-US')} rows/s ` +
      `(${((ms * 1000) / calls).toFixed(2)} µs a row; checksum ${checksum.toFixed(3)})`,
  );
}
