/**
 * Training throughput (samples × epochs per second) of our MLP and LSTM
 * beside TensorFlow.js on its pure-JavaScript CPU backend (same process) and
 * PyTorch on CPU (Debian's python3-torch, in a child python3 when
 * installed): same data, same network, batch size, optimizer and epochs. And
 * single-row inference as the backtester calls it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mlp } from '../src/nn/mlp.js';
import { Rng } from '../src/nn/rng.js';
import { Trainer } from '../src/nn/trainer.js';
import type { TrainerConfigInput } from '../src/nn/trainer.js';
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
  layers: {
    dense(args: { units: number; activation: string; inputShape?: number[] }): unknown;
    lstm(args: { units: number; returnSequences: boolean; inputShape?: number[] }): unknown;
  };
  train: { adam(learningRate: number, beta1: number, beta2: number, epsilon: number): unknown };
  tensor2d(values: Float32Array, shape: [number, number]): TfTensor;
  tensor3d(values: Float32Array, shape: [number, number, number]): TfTensor;
  tensor1d(values: Int32Array, dtype: 'int32'): TfTensor;
  oneHot(indices: TfTensor, depth: number): TfTensor;
}

async function loadTfjs(): Promise<Tfjs | null> {
  const loaded = (await loadBenchPeer('@tensorflow/tfjs')) as (Partial<Tfjs> & { default?: Tfjs }) | null;
  if (!loaded) return null;
  // An ES import of its CommonJS build may put the API under `default`.
  return typeof loaded.sequential === 'function' ? (loaded as Tfjs) : (loaded.default ?? null);
}

const COLS = 30;
const CLASSES = 3;
const BATCH = 32;
const LEARNING_RATE = 0.001;

/** The two workloads: an MLP over single rows, an LSTM over windows of rows. */
const MLP = { samples: 20_000, hidden: [32, 16], epochs: 5, runs: 3 } as const;
const LSTM = { samples: 4_000, hidden: 32, layers: 1, sequence: 10, epochs: 2, runs: 1 } as const;

interface Timing {
  readonly ms: number;
  readonly loss: number;
}

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

/** The windows of `sequence` rows of `data` (one per row from row sequence − 1), copied, with their last row's label. */
function windows(data: Dataset, sequence: number): { X: Float32Array; y: Int32Array; samples: number } {
  const samples = data.rows - sequence + 1;
  const X = new Float32Array(samples * sequence * COLS);
  const y = new Int32Array(samples);
  for (let s = 0; s < samples; s++) {
    X.set(data.X.subarray(s * COLS, (s + sequence) * COLS), s * sequence * COLS);
    y[s] = data.y[s + sequence - 1] as number;
  }
  return { X, y, samples };
}

// Clipping off: TensorFlow.js's fit has no global-norm clipping, and the peers must do the same work.
const ourMlp = (epochs: number): TrainerConfigInput => ({
  architecture: { hidden_layers: [...MLP.hidden], activation: 'relu', dropout: 0 },
  classes: CLASSES,
  epochs,
  batch_size: BATCH,
  learning_rate: LEARNING_RATE,
  gradient_clip: 0,
  seed: 1,
});

const ourLstm = (epochs: number): TrainerConfigInput => ({
  architecture: { type: 'lstm', hidden_size: LSTM.hidden, num_layers: LSTM.layers, sequence_length: LSTM.sequence, dropout: 0 },
  classes: CLASSES,
  epochs,
  batch_size: BATCH,
  learning_rate: LEARNING_RATE,
  gradient_clip: 0,
  seed: 1,
});

async function trainOurs(config: TrainerConfigInput, data: Dataset): Promise<Timing> {
  const trainer = new Trainer(config, { train: data });
  const start = performance.now();
  const outcome = await trainer.run({ yieldEveryMs: 0 });
  return { ms: performance.now() - start, loss: outcome.history.at(-1)?.loss ?? NaN };
}

async function fitTfjs(tf: Tfjs, model: TfSequential, xs: TfTensor, labels: Int32Array, epochs: number): Promise<Timing> {
  model.compile({ optimizer: tf.train.adam(LEARNING_RATE, 0.9, 0.999, 1e-8), loss: 'categoricalCrossentropy' });
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES);
  const start = performance.now();
  const history = await model.fit(xs, ys, { epochs, batchSize: BATCH, shuffle: true, verbose: 0 });
  const ms = performance.now() - start;
  const losses = history.history.loss as number[];
  xs.dispose();
  ys.dispose();
  model.dispose();
  return { ms, loss: losses.at(-1) ?? NaN };
}

function tfjsMlp(tf: Tfjs, data: Dataset, epochs: number): Promise<Timing> {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: MLP.hidden[0], activation: 'relu', inputShape: [COLS] }));
  for (const units of MLP.hidden.slice(1)) model.add(tf.layers.dense({ units, activation: 'relu' }));
  model.add(tf.layers.dense({ units: CLASSES, activation: 'softmax' }));
  const xs = tf.tensor2d(Float32Array.from(data.X), [data.rows, COLS]);
  return fitTfjs(tf, model, xs, Int32Array.from(data.y), epochs);
}

function tfjsLstm(tf: Tfjs, data: Dataset, epochs: number): Promise<Timing> {
  const model = tf.sequential();
  for (let layer = 0; layer < LSTM.layers; layer++) {
    model.add(
      tf.layers.lstm({
        units: LSTM.hidden,
        returnSequences: layer < LSTM.layers - 1,
        ...(layer === 0 ? { inputShape: [LSTM.sequence, COLS] } : {}),
      }),
    );
  }
  model.add(tf.layers.dense({ units: CLASSES, activation: 'softmax' }));
  const { X, y, samples } = windows(data, LSTM.sequence);
  const xs = tf.tensor3d(X, [samples, LSTM.sequence, COLS]);
  return fitTfjs(tf, model, xs, y, epochs);
}

/** The PyTorch peer: the same two trainings (Adam, batch 32, shuffled, float32 as PyTorch defaults), timed in python. */
const TORCH_SCRIPT = String.raw`
import json, sys, time
import numpy as np
import torch
from torch import nn
args = json.loads(sys.argv[1])
torch.manual_seed(1)
torch.set_num_threads(1)
cols, classes, batch, lr = args["cols"], args["classes"], args["batch"], args["lr"]

def fit(model, x, y, epochs):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n)
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
    return (time.perf_counter() - start) * 1000, float(loss)

class Lstm(nn.Module):
    def __init__(self, hidden, layers):
        super().__init__()
        self.lstm = nn.LSTM(cols, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, classes)
    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :])

result = {}
mlp = args["mlp"]
x = torch.from_numpy(np.fromfile(args["mlp_x"], dtype=np.float32).reshape(-1, cols))
y = torch.from_numpy(np.fromfile(args["mlp_y"], dtype=np.int32).astype(np.int64))
layers, width = [], cols
for units in mlp["hidden"]:
    layers += [nn.Linear(width, units), nn.ReLU()]
    width = units
layers.append(nn.Linear(width, classes))
runs = [fit(nn.Sequential(*layers), x, y, mlp["epochs"]) for _ in range(mlp["runs"])]
result["mlp"] = sorted(runs)[len(runs) // 2]
lstm = args["lstm"]
x = torch.from_numpy(np.fromfile(args["lstm_x"], dtype=np.float32).reshape(-1, lstm["sequence"], cols))
y = torch.from_numpy(np.fromfile(args["lstm_y"], dtype=np.int32).astype(np.int64))
runs = [fit(Lstm(lstm["hidden"], lstm["layers"]), x, y, lstm["epochs"]) for _ in range(lstm["runs"])]
result["lstm"] = sorted(runs)[len(runs) // 2]
result["version"] = torch.__version__
print(json.dumps(result))
`;

type TorchResult = { mlp: [number, number]; lstm: [number, number]; version: string } | { missing: string };

/** Runs the PyTorch peer when python3 can import torch; otherwise says why not. Nothing is installed here. */
function trainTorch(mlpData: Dataset, lstmData: Dataset): TorchResult {
  // Debian's python3-torch lives in the system python; a python3 earlier on PATH (pyenv, venv) may not see it.
  let python = 'python3';
  let probe = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    const system = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    if (system.error === undefined && system.status === 0) {
      python = '/usr/bin/python3';
      probe = system;
    }
  }
  if (probe.error !== undefined || probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`;
    return { missing: `PyTorch not installed (python3 -c "import torch" failed: ${why}); install Debian's python3-torch to compare` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-'));
  try {
    const files = { mlp_x: join(dir, 'mlp_x'), mlp_y: join(dir, 'mlp_y'), lstm_x: join(dir, 'lstm_x'), lstm_y: join(dir, 'lstm_y') };
    writeFileSync(files.mlp_x, Float32Array.from(mlpData.X));
    writeFileSync(files.mlp_y, Int32Array.from(mlpData.y));
    const lstmWindows = windows(lstmData, LSTM.sequence);
    writeFileSync(files.lstm_x, lstmWindows.X);
    writeFileSync(files.lstm_y, lstmWindows.y);
    const args = { cols: COLS, classes: CLASSES, batch: BATCH, lr: LEARNING_RATE, mlp: MLP, lstm: LSTM, ...files };
    const run = spawnSync(python, ['-', JSON.stringify(args)], { input: TORCH_SCRIPT, encoding: 'utf8', maxBuffer: 1 << 20 });
    if (run.status !== 0) return { missing: `PyTorch peer failed: ${run.stderr.trim().split('\n').at(-1) ?? `exit ${run.status}`}` };
    return JSON.parse(run.stdout) as TorchResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const perSecond = (samplesTimesEpochs: number, ms: number) => Math.round(samplesTimesEpochs / (ms / 1000)).toLocaleString('en-US');

function line(label: string, work: number, timing: Timing): void {
  console.log(
    `  ${label.padEnd(40)} ${(timing.ms / 1000).toFixed(2).padStart(6)} s  ${perSecond(work, timing.ms).padStart(9)} samples×epochs/s` +
      `  last-epoch loss ${timing.loss.toFixed(4)}`,
  );
}

async function medianOf(runs: number, train: () => Promise<Timing>): Promise<Timing> {
  const timings: Timing[] = [];
  for (let i = 0; i < runs; i++) timings.push(await train());
  return { ms: median(timings.map((t) => t.ms)), loss: timings[0]?.loss ?? NaN };
}

export async function trainingBench(): Promise<void> {
  const tf = await loadTfjs();
  if (tf) {
    await tf.setBackend('cpu');
    await tf.ready();
  }
  const mlpData = syntheticData(MLP.samples);
  const lstmData = syntheticData(LSTM.samples + LSTM.sequence - 1);
  const warmup = syntheticData(500);
  await trainOurs(ourMlp(1), warmup);
  await trainOurs(ourLstm(1), warmup);
  if (tf) {
    await tfjsMlp(tf, warmup, 1);
    await tfjsLstm(tf, warmup, 1);
  }
  const torch = trainTorch(mlpData, lstmData);
  const tfjsLabel = tf ? `tfjs ${tf.version.tfjs}, cpu backend (Float32)` : 'tfjs (peer missing: not compared)';
  const torchLabel = 'missing' in torch ? '' : `PyTorch ${torch.version}, CPU, 1 thread (Float32)`;

  const mlpWork = MLP.samples * MLP.epochs;
  const oursMlp = await medianOf(MLP.runs, () => trainOurs(ourMlp(MLP.epochs), mlpData));
  const theirsMlp = tf ? await medianOf(MLP.runs, () => tfjsMlp(tf, mlpData, MLP.epochs)) : null;
  console.log(
    `training MLP: ${MLP.samples.toLocaleString('en-US')} rows × ${COLS} features, hidden [${MLP.hidden.join(', ')}] relu, ` +
      `batch ${BATCH}, Adam ${LEARNING_RATE}, ${MLP.epochs} epochs (median of ${MLP.runs})`,
  );
  line('ktrdr MLP (Float64)', mlpWork, oursMlp);
  if (theirsMlp) line(tfjsLabel, mlpWork, theirsMlp);
  else console.log(`  ${tfjsLabel}`);
  if (!('missing' in torch)) line(torchLabel, mlpWork, { ms: torch.mlp[0], loss: torch.mlp[1] });
  if (theirsMlp) console.log(`  ${'ratio ktrdr / tfjs'.padEnd(40)} ${(theirsMlp.ms / oursMlp.ms).toFixed(2)}× the throughput`);
  if (!('missing' in torch)) console.log(`  ${'ratio ktrdr / PyTorch'.padEnd(40)} ${(torch.mlp[0] / oursMlp.ms).toFixed(2)}× the throughput`);

  const lstmWork = LSTM.samples * LSTM.epochs;
  const oursLstm = await medianOf(LSTM.runs, () => trainOurs(ourLstm(LSTM.epochs), lstmData));
  const theirsLstm = tf ? await medianOf(LSTM.runs, () => tfjsLstm(tf, lstmData, LSTM.epochs)) : null;
  console.log(
    `training LSTM: ${LSTM.samples.toLocaleString('en-US')} windows of ${LSTM.sequence} × ${COLS} features, hidden ${LSTM.hidden}, ` +
      `${LSTM.layers} layer, batch ${BATCH}, Adam ${LEARNING_RATE}, ${LSTM.epochs} epochs (median of ${LSTM.runs})`,
  );
  line('ktrdr LSTM (Float64)', lstmWork, oursLstm);
  if (theirsLstm) line(tfjsLabel, lstmWork, theirsLstm);
  else console.log(`  ${tfjsLabel}`);
  if (!('missing' in torch)) line(torchLabel, lstmWork, { ms: torch.lstm[0], loss: torch.lstm[1] });
  if (theirsLstm) console.log(`  ${'ratio ktrdr / tfjs'.padEnd(40)} ${(theirsLstm.ms / oursLstm.ms).toFixed(2)}× the throughput`);
  if ('missing' in torch) console.log(`  ${torch.missing}`);
  else console.log(`  ${'ratio ktrdr / PyTorch'.padEnd(40)} ${(torch.lstm[0] / oursLstm.ms).toFixed(2)}× the throughput`);

  // Single-row inference, as the backtester calls it bar by bar.
  const model = Mlp.create(
    { input_size: COLS, hidden_layers: [...MLP.hidden], output_size: CLASSES, activation: 'relu', dropout: 0 },
    new Rng(1),
  );
  const calls = 1_000_000;
  let checksum = 0;
  const start = performance.now();
  for (let i = 0; i < calls; i++) checksum += model.predictProba(mlpData.X, (i % MLP.samples) * COLS)[0] as number;
  const ms = performance.now() - start;
  console.log(
    `  ${'predictProba, one row'.padEnd(40)} ${Math.round(calls / (ms / 1000)).toLocaleString('en-US')} rows/s ` +
      `(${((ms * 1000) / calls).toFixed(2)} µs a row; checksum ${checksum.toFixed(3)})`,
  );
}
