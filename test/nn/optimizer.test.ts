/** Adam, AdamW, SGD and RMSprop against closed forms and hand sums, weight decay, gradient clipping, and their snapshots. */
import { describe, expect, it } from 'vitest';
import { clipGradientNorm, createOptimizer, OptimizerError, restoreOptimizer } from '../../src/nn/optimizer.js';
import type { OptimizerSnapshot } from '../../src/nn/optimizer.js';

const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('Adam', () => {
  it('steps lr·sign(g) while the gradient is constant (m̂ = g, v̂ = g²)', () => {
    const adam = createOptimizer({ kind: 'adam', learning_rate: 0.1 }, 2);
    const params = Float64Array.of(1, -2);
    const grads = Float64Array.of(0.5, -0.1);
    for (let t = 0; t < 3; t++) adam.step(params, grads);
    expect(params[0]).toBeCloseTo(1 - 3 * 0.1 * (0.5 / (0.5 + 1e-8)), 12);
    expect(params[1]).toBeCloseTo(-2 + 3 * 0.1 * (0.1 / (0.1 + 1e-8)), 12);
    expect(adam.steps).toBe(3);
  });

  it('matches the closed form of the moments for a varying gradient', () => {
    const [lr, b1, b2, eps] = [0.01, 0.9, 0.999, 1e-8];
    const gradients = [0.3, -1.2, 0.05, 2.0, -0.7];
    const adam = createOptimizer({ kind: 'adam', learning_rate: lr }, 1);
    const params = Float64Array.of(0.25);
    let expected = 0.25;
    for (let t = 1; t <= gradients.length; t++) {
      adam.step(params, Float64Array.of(gradients[t - 1] as number));
      // m_t = (1-β1) Σ_s β1^(t-s) g_s and v_t = (1-β2) Σ_s β2^(t-s) g_s², then bias-corrected.
      let m = 0;
      let v = 0;
      for (let s = 1; s <= t; s++) {
        const g = gradients[s - 1] as number;
        m += (1 - b1) * b1 ** (t - s) * g;
        v += (1 - b2) * b2 ** (t - s) * g * g;
      }
      expected -= (lr * (m / (1 - b1 ** t))) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
      expect(params[0]).toBeCloseTo(expected, 12);
    }
  });
});

describe('SGD', () => {
  it('takes plain steps without momentum', () => {
    const sgd = createOptimizer({ kind: 'sgd', learning_rate: 0.5 }, 2);
    const params = Float64Array.of(1, 1);
    sgd.step(params, Float64Array.of(0.2, -4));
    expect(Array.from(params)).toEqual([1 - 0.5 * 0.2, 1 + 0.5 * 4]);
    expect(sgd.snapshot().buffers).toEqual({});
  });

  it('accumulates velocity u = μu + g', () => {
    const sgd = createOptimizer({ kind: 'sgd', learning_rate: 0.1, momentum: 0.9 }, 1);
    const params = Float64Array.of(0);
    for (const g of [1, 2, 3]) sgd.step(params, Float64Array.of(g));
    // u = 1, 0.9 + 2 = 2.9, 2.61 + 3 = 5.61; p = -0.1 · (1 + 2.9 + 5.61) = -0.951.
    expect(params[0]).toBeCloseTo(-0.951, 14);
  });
});

describe('weight decay', () => {
  it('adam adds wd·p to the gradient (L2): the first step is lr·sign(g + wd·p)', () => {
    const adam = createOptimizer({ kind: 'adam', learning_rate: 0.1, weight_decay: 0.5 }, 1);
    const params = Float64Array.of(2);
    // g + wd·p = −0.5 + 1 = 0.5 > 0: the step goes down although the raw gradient points up.
    adam.step(params, Float64Array.of(-0.5));
    expect(params[0]).toBeCloseTo(2 - 0.1 * (0.5 / (0.5 + 1e-8)), 14);
  });

  it('adamw shrinks p by lr·wd before an Adam step on the raw gradient', () => {
    const adamw = createOptimizer({ kind: 'adamw', learning_rate: 0.1, weight_decay: 0.5 }, 1);
    const params = Float64Array.of(2);
    adamw.step(params, Float64Array.of(-0.5));
    // 2·(1 − 0.05) = 1.9, then + 0.1 (the step of a negative gradient).
    expect(params[0]).toBeCloseTo(1.9 + 0.1 * (0.5 / (0.5 + 1e-8)), 14);
    expect(createOptimizer({ kind: 'adamw', learning_rate: 1 }, 1).config).toMatchObject({ weight_decay: 0.01 });
  });

  it('sgd adds wd·p to the gradient', () => {
    const sgd = createOptimizer({ kind: 'sgd', learning_rate: 0.5, weight_decay: 0.1 }, 1);
    const params = Float64Array.of(3);
    sgd.step(params, Float64Array.of(1));
    expect(params[0]).toBeCloseTo(3 - 0.5 * (1 + 0.3), 15);
  });
});

describe('RMSprop', () => {
  it('divides by the root of the running mean square: v = α·v + (1 − α)·g²', () => {
    const rmsprop = createOptimizer({ kind: 'rmsprop', learning_rate: 0.01, alpha: 0.9 }, 1);
    const params = Float64Array.of(1);
    rmsprop.step(params, Float64Array.of(2));
    // v = 0.1·4 = 0.4; p = 1 − 0.01·2/(√0.4 + 1e-8) = 1 − 0.0316228.
    expect(params[0]).toBeCloseTo(1 - 0.02 / (Math.sqrt(0.4) + 1e-8), 15);
    rmsprop.step(params, Float64Array.of(-1));
    // v = 0.36 + 0.1 = 0.46.
    expect(params[0]).toBeCloseTo(1 - 0.02 / (Math.sqrt(0.4) + 1e-8) + 0.01 / (Math.sqrt(0.46) + 1e-8), 15);
  });

  it('with momentum accumulates the normalised steps', () => {
    const rmsprop = createOptimizer({ kind: 'rmsprop', learning_rate: 0.1, alpha: 0.5, momentum: 0.5, epsilon: 1e-12 }, 1);
    const params = Float64Array.of(0);
    rmsprop.step(params, Float64Array.of(1)); // v = 0.5, u = 1/√0.5
    rmsprop.step(params, Float64Array.of(1)); // v = 0.75, u = 0.5/√0.5 + 1/√0.75
    const u1 = 1 / Math.sqrt(0.5);
    const u2 = 0.5 * u1 + 1 / Math.sqrt(0.75);
    expect(params[0]).toBeCloseTo(-0.1 * (u1 + u2), 12);
  });
});

describe('clipGradientNorm', () => {
  it('scales to the maximum global L2 norm and leaves smaller gradients alone', () => {
    const grads = Float64Array.of(3, 4); // norm 5
    expect(clipGradientNorm(grads, 1)).toBe(5);
    expect(grads[0]).toBeCloseTo(3 / (5 + 1e-6), 15);
    expect(grads[1]).toBeCloseTo(4 / (5 + 1e-6), 15);
    const small = Float64Array.of(0.3, 0.4);
    clipGradientNorm(small, 1);
    expect(Array.from(small)).toEqual([0.3, 0.4]);
  });

  it('reports a non-finite norm without touching the gradients', () => {
    const grads = Float64Array.of(NaN, 1);
    expect(clipGradientNorm(grads, 1)).toBeNaN();
    expect(grads[1]).toBe(1);
  });
});

describe('optimizer snapshots', () => {
  for (const config of [
    { kind: 'adam', learning_rate: 0.003 },
    { kind: 'adamw', learning_rate: 0.003, weight_decay: 0.1 },
    { kind: 'sgd', learning_rate: 0.05, momentum: 0.8 },
    { kind: 'rmsprop', learning_rate: 0.01, momentum: 0.5 },
  ] as const) {
    it(`continue ${config.kind} bit for bit after JSON`, () => {
      const gradients = (t: number) => Float64Array.from({ length: 4 }, (_, i) => Math.sin(t * 7 + i) / 3);
      const a = createOptimizer(config, 4);
      const pa = Float64Array.of(1, 2, 3, 4);
      for (let t = 0; t < 5; t++) a.step(pa, gradients(t));
      a.learningRate = config.learning_rate / 2; // as a scheduler would
      const b = restoreOptimizer(JSON.parse(JSON.stringify(a.snapshot())) as OptimizerSnapshot, 4);
      expect(b.learningRate).toBe(config.learning_rate / 2);
      const pb = Float64Array.from(pa);
      for (let t = 5; t < 9; t++) {
        a.step(pa, gradients(t));
        b.step(pb, gradients(t));
      }
      expect(b.steps).toBe(9);
      expect(bytesOf(pb).equals(bytesOf(pa))).toBe(true);
    });
  }

  it('rejects sizes and configs that do not fit', () => {
    const adam = createOptimizer({ kind: 'adam', learning_rate: 0.1 }, 3);
    expect(() => adam.step(new Float64Array(2), new Float64Array(3))).toThrow(/made for 3 parameters was given 2/);
    expect(() => restoreOptimizer(adam.snapshot(), 4)).toThrow(/buffers\.m: holds 3 values, expected 4/);
    expect(() => createOptimizer({ kind: 'adam', learning_rate: -1 }, 1)).toThrow(/optimizer\.learning_rate/);
    expect(() => createOptimizer({ kind: 'sgd', learning_rate: 1, momentum: 1 }, 1)).toThrow(OptimizerError);
  });
});
