/**
 * LSTM and GRU: a hand-computed step, gradients of backpropagation through
 * time against central finite differences (with and without dropout, for
 * classification and regression losses), inference and serialisation.
 */
import { describe, expect, it } from 'vitest';
import { createLoss } from '../../src/nn/losses.js';
import type { LossConfigInput } from '../../src/nn/losses.js';
import { RecurrentError, RecurrentNet } from '../../src/nn/recurrent.js';
import type { RecurrentArchitectureInput } from '../../src/nn/recurrent.js';
import { Rng } from '../../src/nn/rng.js';

const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** Largest |analytic − numeric| / max(1e-3, |numeric|) over every parameter, by central differences. */
function gradientError(net: RecurrentNet, loss: LossConfigInput, x: Float64Array, targets: ArrayLike<number>, samples: number, seed?: number) {
  const lossFn = createLoss(loss, {
    width: net.outputSize,
    activation: net.outputActivation,
    classWeights: net.outputActivation === 'softmax' ? Float64Array.from({ length: net.outputSize }, (_, k) => 0.5 + k) : null,
  });
  const gradient = new Float64Array(samples * net.outputSize);
  const options = () => (seed === undefined ? {} : { training: true, rng: new Rng(seed) });
  const lossAt = () => lossFn.lossAndGradient(net.forwardRaw(x, samples, options()), targets, 0, samples, gradient);
  lossAt();
  net.backwardRaw(gradient);
  const analytic = Float64Array.from(net.grads);
  let worst = 0;
  const h = 1e-6;
  for (let p = 0; p < net.params.length; p++) {
    const kept = net.params[p] as number;
    net.params[p] = kept + h;
    const up = lossAt();
    net.params[p] = kept - h;
    const down = lossAt();
    net.params[p] = kept;
    const numeric = (up - down) / (2 * h);
    worst = Math.max(worst, Math.abs((analytic[p] as number) - numeric) / Math.max(1e-3, Math.abs(numeric)));
  }
  return worst;
}

function batch(samples: number, steps: number, features: number, seed: number) {
  const rng = new Rng(seed);
  return {
    x: Float64Array.from({ length: samples * steps * features }, () => rng.normal()),
    labels: Int8Array.from({ length: samples }, () => rng.nextInt(3)),
    values: Float64Array.from({ length: samples }, () => 0.3 * rng.normal()),
  };
}

describe.each(['lstm', 'gru'] as const)('%s', (cell) => {
  const architecture = (extra: Partial<RecurrentArchitectureInput> = {}): RecurrentArchitectureInput => ({
    cell,
    input_size: 3,
    hidden_size: 4,
    num_layers: 2,
    sequence_length: 5,
    output_size: 3,
    dropout: 0,
    ...extra,
  });

  it('backpropagates through time as finite differences say (cross-entropy with class weights, 2 layers)', () => {
    const net = RecurrentNet.create(architecture(), new Rng(1));
    const { x, labels } = batch(4, 5, 3, 2);
    expect(gradientError(net, { type: 'cross_entropy' }, x, labels, 4)).toBeLessThan(1e-6);
  });

  it('backpropagates through the dropout masks between layers and before the head', () => {
    const net = RecurrentNet.create(architecture({ dropout: 0.3, num_layers: 3 }), new Rng(3));
    const { x, labels } = batch(3, 5, 3, 4);
    expect(gradientError(net, { type: 'focal', focal_gamma: 2 }, x, labels, 3, 77)).toBeLessThan(1e-6);
  });

  it('backpropagates a regression loss through a tanh output', () => {
    const net = RecurrentNet.create(architecture({ output_size: 1, output_activation: 'tanh', num_layers: 1 }), new Rng(5));
    const { x, values } = batch(4, 5, 3, 6);
    expect(gradientError(net, { type: 'mse' }, x, values, 4)).toBeLessThan(1e-6);
    expect(gradientError(net, { type: 'huber', huber_delta: 0.5 }, x, values, 4)).toBeLessThan(1e-6);
  });

  it('gives each window the same outputs alone as in a batch, and round-trips through JSON bit for bit', () => {
    const net = RecurrentNet.create(architecture(), new Rng(7));
    const { x } = batch(6, 5, 3, 8);
    const all = net.predictBatch(x, 6);
    const third = net.predictBatch(x.subarray(2 * 15, 3 * 15), 1);
    expect(bytesOf(third).equals(bytesOf(all.subarray(6, 9)))).toBe(true);
    for (let s = 0; s < 6; s++) expect((all[s * 3] as number) + (all[s * 3 + 1] as number) + (all[s * 3 + 2] as number)).toBeCloseTo(1, 14);
    const copy = RecurrentNet.fromJSON(JSON.parse(JSON.stringify(net)));
    expect(bytesOf(copy.params).equals(bytesOf(net.params))).toBe(true);
    expect(bytesOf(copy.predictBatch(x, 6)).equals(bytesOf(all))).toBe(true);
  });

  it('refuses a window shorter than the sequence and a damaged model, naming the value', () => {
    const net = RecurrentNet.create(architecture(), new Rng(9));
    expect(() => net.forwardRaw(new Float64Array(14), 1)).toThrow(/input holds 14 values, 1 windows of 5 × 3 need 15/);
    const json = { ...net.toJSON(), parameters: 'AAAA' };
    expect(() => RecurrentNet.fromJSON(json)).toThrow(RecurrentError);
    expect(() => new RecurrentNet({ ...architecture(), output_size: 1 })).toThrow(/output_size: a softmax output needs output_size ≥ 2/);
  });
});

describe('recurrent nets against hand calculations', () => {
  it('LSTM: one unit, two steps, PyTorch gate equations and parameter layout', () => {
    // 1 feature, H = 1, 1 layer, K = 2. W_ih = [i, f, g, o], W_hh, b_ih, b_hh, head W [2][1], head b [2].
    const wih = [0.5, -0.4, 0.3, 0.2];
    const whh = [0.1, 0.2, -0.3, 0.4];
    const bih = [0.05, 0.1, -0.05, 0];
    const bhh = [0, 0.02, 0.01, -0.03];
    const head = [1.5, -2, 0.1, 0.2];
    const net = new RecurrentNet(
      { cell: 'lstm', input_size: 1, hidden_size: 1, num_layers: 1, sequence_length: 2, output_size: 2, dropout: 0 },
      Float64Array.from([...wih, ...whh, ...bih, ...bhh, ...head]),
    );
    const xs = [1, -2];
    let h = 0;
    let c = 0;
    for (const x of xs) {
      const a = [0, 1, 2, 3].map((k) => (wih[k] as number) * x + (bih[k] as number) + (whh[k] as number) * h + (bhh[k] as number));
      const [i, f, g, o] = [sig(a[0] as number), sig(a[1] as number), Math.tanh(a[2] as number), sig(a[3] as number)];
      c = f * c + i * g;
      h = o * Math.tanh(c);
    }
    const raw = net.forwardRaw(Float64Array.from(xs), 1);
    expect(raw[0]).toBeCloseTo(1.5 * h + 0.1, 15);
    expect(raw[1]).toBeCloseTo(-2 * h + 0.2, 15);
    // Worked by hand: step 1 pre-activations [0.55, −0.28, 0.26, 0.17] → c₁ = 0.161258, h₁ = 0.086716;
    // step 2 [−0.941328, 0.937343, −0.666015, −0.395314] → c₂ = −0.047553, h₂ = −0.019123.
    expect(h).toBeCloseTo(-0.019123, 6);
    expect(raw[0]).toBeCloseTo(1.5 * -0.0191227 + 0.1, 6);
  });

  it('GRU: one unit, two steps, with b_hn inside the reset gate', () => {
    const wih = [0.5, -0.4, 0.3];
    const whh = [0.1, 0.2, -0.3];
    const bih = [0.05, 0.1, -0.05];
    const bhh = [0, 0.02, 0.01];
    const net = new RecurrentNet(
      { cell: 'gru', input_size: 1, hidden_size: 1, num_layers: 1, sequence_length: 2, output_size: 1, dropout: 0, output_activation: 'linear' },
      Float64Array.from([...wih, ...whh, ...bih, ...bhh, 2, -0.5]),
    );
    let h = 0;
    for (const x of [1, -2]) {
      const r = sig(wih[0]! * x + bih[0]! + whh[0]! * h + bhh[0]!);
      const z = sig(wih[1]! * x + bih[1]! + whh[1]! * h + bhh[1]!);
      const n = Math.tanh(wih[2]! * x + bih[2]! + r * (whh[2]! * h + bhh[2]!));
      h = (1 - z) * n + z * h;
    }
    expect(net.predictBatch(Float64Array.of(1, -2), 1)[0]).toBeCloseTo(2 * h - 0.5, 15);
  });
});
