/**
 * The MLP against hand calculations and central finite differences, its
 * dropout, its single-row inference and its serialisation.
 */
import { describe, expect, it } from 'vitest';
import { countParameters, Mlp, MlpError } from '../../src/nn/mlp.js';
import type { MlpArchitectureInput as MlpArchitecture } from '../../src/nn/mlp.js';
import { createLoss } from '../../src/nn/losses.js';
import { Rng } from '../../src/nn/rng.js';

const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function randomBatch(rows: number, cols: number, classes: number, seed: number) {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: rows * cols }, () => rng.normal());
  const labels = Int8Array.from({ length: rows }, () => rng.nextInt(classes));
  return { x, labels };
}

/** Mean cross-entropy from the returned probabilities (not from the logits, as the model computes it). */
function lossFromProbabilities(probabilities: Float64Array, labels: Int8Array, classes: number): number {
  let total = 0;
  for (let r = 0; r < labels.length; r++) total -= Math.log(probabilities[r * classes + (labels[r] as number)] as number);
  return total / labels.length;
}

describe('Mlp forward', () => {
  // 2 inputs → 2 hidden → 2 classes; params: W0 [[1,-1],[0.5,2]], b0 [0,-1], W1 [[1,0],[0,-1]], b1 [0.5,0].
  const params = Float64Array.from([1, -1, 0.5, 2, 0, -1, 1, 0, 0, -1, 0.5, 0]);
  const x = Float64Array.from([3, 1, -3, 0]);
  const softmax2 = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
  const architecture = (activation: 'relu' | 'tanh'): MlpArchitecture => ({
    input_size: 2,
    hidden_layers: [2],
    output_size: 2,
    activation,
    dropout: 0,
  });

  it('matches a hand calculation with relu', () => {
    const model = new Mlp(architecture('relu'), params);
    const p = model.forward(x, 2);
    // Row 1: h = relu([3-1, 1.5+2-1]) = [2, 2.5]; logits = [2+0.5, -2.5]. Row 2: h = relu([-3, -2.5]) = 0; logits [0.5, 0].
    const expected = [...softmax2(2.5, -2.5), ...softmax2(0.5, 0)];
    expected.forEach((value, i) => expect(p[i]).toBeCloseTo(value, 14));
    // Mean loss for labels [0, 1]: the model's (from logits) equals the hand one.
    const loss = model.backward([0, 1]);
    expect(loss).toBeCloseTo((-Math.log(expected[0] as number) - Math.log(expected[3] as number)) / 2, 14);
  });

  it('matches a hand calculation with tanh', () => {
    const model = new Mlp(architecture('tanh'), params);
    const p = model.forward(x, 2);
    const row1 = softmax2(Math.tanh(2) + 0.5, -Math.tanh(2.5));
    const row2 = softmax2(Math.tanh(-3) + 0.5, -Math.tanh(-2.5));
    [...row1, ...row2].forEach((value, i) => expect(p[i]).toBeCloseTo(value, 14));
  });

  it('computes logistic-regression gradients as the closed form (p - y)·x', () => {
    const classes = 3;
    const cols = 4;
    const rows = 5;
    const model = Mlp.create({ input_size: cols, hidden_layers: [], output_size: classes, activation: 'relu', dropout: 0 }, new Rng(1));
    const { x, labels } = randomBatch(rows, cols, classes, 2);
    const p = Float64Array.from(model.forward(x, rows));
    model.backward(labels);
    for (let o = 0; o < classes; o++) {
      let biasGradient = 0;
      for (let r = 0; r < rows; r++) biasGradient += ((p[r * classes + o] as number) - (labels[r] === o ? 1 : 0)) / rows;
      expect(model.grads[cols * classes + o]).toBeCloseTo(biasGradient, 14);
      for (let i = 0; i < cols; i++) {
        let weightGradient = 0;
        for (let r = 0; r < rows; r++) {
          weightGradient += (((p[r * classes + o] as number) - (labels[r] === o ? 1 : 0)) * (x[r * cols + i] as number)) / rows;
        }
        expect(model.grads[o * cols + i]).toBeCloseTo(weightGradient, 14);
      }
    }
  });
});

describe('Mlp gradients against central finite differences', () => {
  const cases = [
    { activation: 'relu', dropout: 0 },
    { activation: 'tanh', dropout: 0 },
    { activation: 'relu', dropout: 0.3 },
    { activation: 'tanh', dropout: 0.3 },
  ] as const;

  for (const { activation, dropout } of cases) {
    it(`matches for every parameter tensor (${activation}, dropout ${dropout})`, () => {
      const architecture: MlpArchitecture = { input_size: 4, hidden_layers: [5, 3], output_size: 3, activation, dropout };
      const model = Mlp.create(architecture, new Rng(11));
      // Non-zero biases so that every tensor's gradient is exercised away from the initial zeros.
      for (const tensor of model.tensors) {
        if (tensor.kind === 'biases') for (let k = 0; k < tensor.length; k++) model.params[tensor.offset + k] = 0.1 * (k - 1);
      }
      const rows = 6;
      const { x, labels } = randomBatch(rows, 4, 3, 12);
      // With dropout the check fixes the masks: every evaluation draws them from the same generator state.
      const maskState = new Rng(13).state();
      const lossAt = () => {
        const p = model.forward(x, rows, { training: true, rng: Rng.fromState(maskState) });
        return lossFromProbabilities(p, labels, 3);
      };

      const analyticLoss = model.lossAndGradients(x, labels, rows, Rng.fromState(maskState));
      const analytic = Float64Array.from(model.grads);
      expect(analyticLoss).toBeCloseTo(lossAt(), 13);
      if (dropout > 0) {
        const withoutDropout = Float64Array.from(model.forward(x, rows));
        const withDropout = model.forward(x, rows, { training: true, rng: Rng.fromState(maskState) });
        expect(Array.from(withDropout)).not.toEqual(Array.from(withoutDropout));
      }

      const h = 1e-5;
      expect(model.tensors.map((t) => t.name)).toEqual([
        'layer0.weights',
        'layer0.biases',
        'layer1.weights',
        'layer1.biases',
        'layer2.weights',
        'layer2.biases',
      ]);
      for (const tensor of model.tensors) {
        let nonZero = 0;
        for (let k = tensor.offset; k < tensor.offset + tensor.length; k++) {
          const original = model.params[k] as number;
          model.params[k] = original + h;
          const plus = lossAt();
          model.params[k] = original - h;
          const minus = lossAt();
          model.params[k] = original;
          const numeric = (plus - minus) / (2 * h);
          const exact = analytic[k] as number;
          expect(Math.abs(numeric - exact), `${tensor.name}[${k - tensor.offset}]`).toBeLessThan(
            1e-7 + 1e-5 * Math.abs(exact),
          );
          if (Math.abs(exact) > 1e-6) nonZero++;
        }
        expect(nonZero, `${tensor.name} has non-zero gradients`).toBeGreaterThan(0);
      }
    });
  }
});

describe('Mlp dropout', () => {
  it('drops about the given share of units and scales survivors by 1/(1-rate)', () => {
    const units = 2000;
    const model = new Mlp({ input_size: 1, hidden_layers: [units], output_size: 2, activation: 'relu', dropout: 0.5 });
    // Every hidden unit outputs relu(0·x + 1) = 1; logit 0 is their mean, logit 1 is 0.
    for (let k = 0; k < units; k++) {
      model.params[units + k] = 1;
      model.params[2 * units + k] = 1 / units;
    }
    const logit0 = (p: Float64Array) => Math.log((p[0] as number) / (p[1] as number));
    expect(logit0(model.forward(Float64Array.of(0.7), 1))).toBeCloseTo(1, 12);
    const dropped = logit0(model.forward(Float64Array.of(0.7), 1, { training: true, rng: new Rng(5) }));
    // logit0 = (kept · 2) / units, so kept = logit0 · units / 2 must be a whole number near units / 2.
    const kept = (dropped * units) / 2;
    expect(Math.abs(kept - Math.round(kept))).toBeLessThan(1e-6);
    expect(kept).toBeGreaterThan(900); // Binomial(2000, 0.5): sd ≈ 22
    expect(kept).toBeLessThan(1100);
    expect(kept).not.toBe(units / 2); // a mask was drawn, not a fixed half
  });

  it('needs a generator to train with dropout', () => {
    const model = Mlp.create({ input_size: 2, hidden_layers: [3], output_size: 2, activation: 'relu', dropout: 0.2 }, new Rng(1));
    expect(() => model.forward(Float64Array.of(1, 2), 1, { training: true })).toThrow(/needs an rng/);
  });
});

describe('Mlp inference and errors', () => {
  // (5·8 + 8) + (8·4 + 4) + (4·3 + 3) = 99 parameters.
  const architecture: MlpArchitecture = { input_size: 5, hidden_layers: [8, 4], output_size: 3, activation: 'tanh', dropout: 0.4 };

  it('predictProba of one row equals the batch forward without dropout, reusing one buffer', () => {
    const model = Mlp.create(architecture, new Rng(21));
    const rows = 7;
    const { x } = randomBatch(rows, 5, 3, 22);
    const batch = Float64Array.from(model.forward(x, rows));
    const first = model.predictProba(x, 0);
    for (let r = 0; r < rows; r++) {
      const p = model.predictProba(x, r * 5);
      expect(p).toBe(first); // the same internal array every call: nothing allocated
      expect(Array.from(p)).toEqual(Array.from(batch.subarray(r * 3, r * 3 + 3)));
      let best = 0;
      for (let c = 1; c < 3; c++) if ((batch[r * 3 + c] as number) > (batch[r * 3 + best] as number)) best = c;
      expect(model.predict(x, r * 5)).toBe(best);
    }
    const out = new Float64Array(3);
    expect(model.predictProba(x, 5, out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(batch.subarray(3, 6)));
    expect(() => model.predictProba(x, 33)).toThrow(/offset 33 needs 5 values, the input holds 35/);
  });

  it('propagates a NaN feature to NaN probabilities and predicts -1', () => {
    const model = Mlp.create({ ...architecture, activation: 'relu' }, new Rng(3));
    const row = Float64Array.of(1, NaN, 0, 0, 0);
    expect(Array.from(model.predictProba(row)).every(Number.isNaN)).toBe(true);
    expect(model.predict(row)).toBe(-1);
  });

  it('round-trips through JSON bit for bit', () => {
    const model = Mlp.create(architecture, new Rng(31));
    model.params[0] = -0;
    model.params[1] = 5e-324;
    const copy = Mlp.fromJSON(JSON.parse(JSON.stringify(model)));
    expect(copy.architecture).toEqual({ ...architecture, output_activation: 'softmax' });
    expect(bytesOf(copy.params).equals(bytesOf(model.params))).toBe(true);
  });

  it('rejects a serialised model that does not fit its architecture, naming the field', () => {
    const json = Mlp.create(architecture, new Rng(1)).toJSON();
    expect(() => Mlp.fromJSON({ ...json, parameters: Buffer.alloc(24).toString('base64') })).toThrow(
      /model\.parameters: holds 3 values, expected 99/,
    );
    expect(() => Mlp.fromJSON({ ...json, architecture: { ...architecture, dropout: 1 } })).toThrow(
      /model\.architecture\.dropout/,
    );
    expect(() => Mlp.fromJSON({ ...json, format: 'other' })).toThrow(MlpError);
  });

  it('rejects labels that are not class indices and backward without forward', () => {
    const model = Mlp.create(architecture, new Rng(1));
    expect(() => model.backward([0])).toThrow(/call forward on the batch first/);
    const { x } = randomBatch(2, 5, 3, 1);
    model.forward(x, 2, { training: true, rng: new Rng(2) });
    expect(() => model.backward([0, 3])).toThrow(/label 3 of batch row 1 is not a class index in \[0, 3\)/);
    expect(() => new Mlp(architecture, new Float64Array(3))).toThrow(/3 values given, the architecture needs 99/);
    expect(countParameters(architecture)).toBe(99);
    expect(model.params.length).toBe(99);
  });
});

describe('Mlp activations and output_activation', () => {
  it.each([
    ['sigmoid', 'linear'],
    ['leaky_relu', 'tanh'],
    ['leaky_relu', 'sigmoid'],
  ] as const)('%s hidden units with a %s regression output match finite differences through forwardRaw/backwardRaw', (activation, output) => {
    const model = Mlp.create({ input_size: 3, hidden_layers: [4], output_size: 2, activation, dropout: 0, output_activation: output }, new Rng(21));
    const rows = 5;
    const rng = new Rng(22);
    const x = Float64Array.from({ length: rows * 3 }, () => 2 * rng.normal());
    const targets = Float64Array.from({ length: rows * 2 }, () => 0.3 * rng.normal());
    const loss = createLoss({ type: 'mse' }, { width: 2, activation: output });
    const gradient = new Float64Array(rows * 2);
    const lossAt = () => loss.lossAndGradient(model.forwardRaw(x, rows), targets, 0, rows, gradient);
    lossAt();
    model.backwardRaw(gradient);
    const analytic = Float64Array.from(model.grads);
    const h = 1e-6;
    for (let k = 0; k < model.params.length; k++) {
      const kept = model.params[k] as number;
      model.params[k] = kept + h;
      const plus = lossAt();
      model.params[k] = kept - h;
      const minus = lossAt();
      model.params[k] = kept;
      expect(Math.abs((plus - minus) / (2 * h) - (analytic[k] as number)), `parameter ${k}`).toBeLessThan(1e-8);
    }
  });

  it('applies the output activation in inference: tanh by hand, and leaky relu passes 1 % of a negative input', () => {
    // 1 input → 1 leaky-relu unit (w −2, b 0) → 1 tanh output (w 3, b 0.5): x = 1 → h = −0.02 → tanh(−0.06 + 0.5).
    const model = new Mlp(
      { input_size: 1, hidden_layers: [1], output_size: 1, activation: 'leaky_relu', dropout: 0, output_activation: 'tanh' },
      Float64Array.of(-2, 0, 3, 0.5),
    );
    expect(model.predictProba(Float64Array.of(1))[0]).toBeCloseTo(Math.tanh(0.44), 15);
    expect(model.predictBatch(Float64Array.of(1), 1)[0]).toBeCloseTo(Math.tanh(0.44), 15);
  });

  it('refuses a softmax over one output and the cross-entropy shortcut on a regression output', () => {
    expect(() => new Mlp({ input_size: 1, hidden_layers: [], output_size: 1, activation: 'relu', dropout: 0 })).toThrow(
      /architecture.output_size: a softmax output needs output_size ≥ 2/,
    );
    const model = new Mlp({ input_size: 1, hidden_layers: [], output_size: 1, activation: 'relu', dropout: 0, output_activation: 'linear' });
    model.forward(Float64Array.of(1), 1);
    expect(() => model.backward([0])).toThrow(/needs a softmax output, this model's is linear/);
  });
});
