/**
 * The generator against a second xoshiro128** written with BigInt, its state
 * round-trip through JSON, and the shape of its derived draws.
 */
import { describe, expect, it } from 'vitest';
import { Rng, RngError } from '../../src/nn/rng.js';
import type { RngState } from '../../src/nn/rng.js';

/** xoshiro128** 1.1 from the reference C code, in BigInt arithmetic masked to 32 bits. */
function referenceXoshiro(words: [number, number, number, number]): () => number {
  const mask = 0xffffffffn;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & mask;
  let [s0, s1, s2, s3] = words.map(BigInt) as [bigint, bigint, bigint, bigint];
  return () => {
    const result = (rotl((s1 * 5n) & mask, 7n) * 9n) & mask;
    const t = (s1 << 9n) & mask;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11n);
    return Number(result);
  };
}

const stateOf = (words: [number, number, number, number]): RngState => ({
  algorithm: 'xoshiro128**',
  words,
  spareNormal: null,
});

describe('Rng', () => {
  it('follows xoshiro128** word for word', () => {
    // By hand for state (1, 2, 3, 4): rotl(2·5, 7)·9 = 1280·9 = 11520; the update sets
    // s2 = 3 ^ 1 = 2 then s1 = 2 ^ 2 = 0, so the second output is rotl(0·5, 7)·9 = 0.
    const rng = Rng.fromState(stateOf([1, 2, 3, 4]));
    expect(rng.nextUint32()).toBe(11520);
    expect(rng.nextUint32()).toBe(0);
    for (const words of [
      [1, 2, 3, 4],
      [0xdeadbeef, 0x01234567, 0x89abcdef, 0xffffffff],
      [0x80000000, 0, 0, 0],
    ] as [number, number, number, number][]) {
      const ours = Rng.fromState(stateOf(words));
      const reference = referenceXoshiro(words);
      for (let i = 0; i < 1000; i++) expect(ours.nextUint32()).toBe(reference());
    }
  });

  it('gives the same stream for the same seed and different ones for different seeds', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 20 }, () => rng.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(0)).not.toEqual(draw(2 ** 32)); // the high half of the seed counts
    expect(draw(-1)).not.toEqual(draw(1));
  });

  it('restores its whole state, including a pending Box–Muller spare, through JSON', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 13; i++) rng.next();
    rng.normal(); // leaves the pair's second value pending
    const saved = rng.state();
    expect(saved.spareNormal).not.toBeNull();
    const restored = Rng.fromState(JSON.parse(JSON.stringify(saved)) as RngState);
    const sequence = (r: Rng) => [
      r.normal(),
      r.normal(),
      r.next(),
      r.nextInt(17),
      ...Array.from(r.shuffle(Int32Array.from({ length: 10 }, (_, i) => i))),
    ];
    expect(sequence(restored)).toEqual(sequence(rng));
    expect(restored.state()).toEqual(rng.state());
  });

  it('keeps a -0 spare as -0 through JSON', () => {
    const state: RngState = { ...stateOf([1, 2, 3, 4]), spareNormal: '-0' };
    const restored = Rng.fromState(JSON.parse(JSON.stringify(state)) as RngState);
    expect(Object.is(restored.normal(), -0)).toBe(true);
  });

  it('builds next() from 27 + 26 bits of two words', () => {
    const rng = Rng.fromState(stateOf([5, 6, 7, 8]));
    const reference = referenceXoshiro([5, 6, 7, 8]);
    for (let i = 0; i < 100; i++) {
      const high = reference() >>> 5;
      const low = reference() >>> 6;
      expect(rng.next()).toBe((high * 2 ** 26 + low) / 2 ** 53);
    }
  });

  it('draws uniforms in [0, 1) and standard normals', () => {
    const rng = new Rng(1);
    const n = 200_000;
    let sum = 0;
    let sumSquares = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      min = Math.min(min, u);
      max = Math.max(max, u);
      const z = rng.normal();
      sum += z;
      sumSquares += z * z;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032; bounds at about 5σ.
    expect(Math.abs(sum / n)).toBeLessThan(0.011);
    expect(Math.abs(sumSquares / n - 1)).toBeLessThan(0.016);
  });

  it('shuffles into every permutation about equally often', () => {
    const rng = new Rng(3);
    const counts = new Map<string, number>();
    const trials = 60_000;
    for (let t = 0; t < trials; t++) {
      const key = rng.shuffle(['a', 'b', 'c']).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['abc', 'acb', 'bac', 'bca', 'cab', 'cba']);
    // χ² with 5 degrees of freedom; 20.5 is its 0.999 quantile.
    const expected = trials / 6;
    const chiSquare = [...counts.values()].reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(20.5);
  });

  it('draws integers in range, exactly for bounds that do not divide 2^32', () => {
    const rng = new Rng(9);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const k = rng.nextInt(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
      seen.add(k);
    }
    expect(seen.size).toBe(7);
    expect(rng.nextInt(1)).toBe(0);
    expect(() => rng.nextInt(0)).toThrow(RngError);
    expect(() => rng.nextInt(2.5)).toThrow(/nextInt bound 2.5/);
  });

  it('rejects seeds and states it cannot take, naming the problem', () => {
    expect(() => new Rng(1.5)).toThrow(/seed 1.5 is not a safe integer/);
    expect(() => Rng.fromState(stateOf([0, 0, 0, 0]))).toThrow(/must not all be zero/);
    expect(() => Rng.fromState(stateOf([1, 2, 3, 2 ** 32]))).toThrow(/rng state\.words\.3/);
    expect(() => Rng.fromState({ ...stateOf([1, 2, 3, 4]), algorithm: 'mt19937' } as unknown as RngState)).toThrow(
      RngError,
    );
  });
});
