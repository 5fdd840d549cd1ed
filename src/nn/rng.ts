/**
 * A seeded pseudo-random generator whose whole state is four uint32 words and
 * the spare normal of Box–Muller, so a checkpoint restores it exactly.
 *
 * Algorithm: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/),
 * seeded through splitmix32 so that nearby seeds give unrelated streams and
 * the state is never all zero. Nothing here reads a clock or global state:
 * the same seed always yields the same sequence.
 */
import { z } from 'zod';
import { decodeNumber, encodeNumber, JsonNumberSchema } from './encoding.js';
import { parseWith } from './validation.js';
import { createError } from '../common/errors.js';

export const RNG_ALGORITHM = 'xoshiro128**';

const Uint32 = z.number().int().min(0).max(0xffffffff);

/** Everything a generator is: JSON-serialisable without loss. */
export const RngStateSchema = z.object({
  algorithm: z.literal(RNG_ALGORITHM),
  /** The four state words, each an integer in [0, 2^32), not all zero. */
  words: z
    .tuple([Uint32, Uint32, Uint32, Uint32])
    .refine((w) => w.some((word) => word !== 0), 'xoshiro128** state words must not all be zero'),
  /** The second normal of the last Box–Muller pair, not yet handed out. */
  spareNormal: JsonNumberSchema.nullable(),
});
export type RngState = z.infer<typeof RngStateSchema>;

/** Raised for a seed or a state the generator cannot take; the message names the value and the rule. */
export class RngError extends createError('RngError') {}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const TWO_PI = 2 * Math.PI;

/** splitmix32 (a 32-bit variant of Steele, Lea & Flood's SplitMix), used only to spread a seed over the state. */
function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** `seed` is any safe integer (negative ones included); both 32-bit halves feed the state. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RngError(`seed ${seed} is not a safe integer`);
    const low = seed % TWO_POW_32;
    const high = Math.floor(seed / TWO_POW_32);
    const mixer = { x: (low ^ Math.imul(high, 0x85ebca6b)) | 0 };
    this.s0 = splitmix32(mixer);
    this.s1 = splitmix32(mixer);
    this.s2 = splitmix32(mixer);
    this.s3 = splitmix32(mixer);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator continuing exactly where the one that produced `state` was. */
  static fromState(state: RngState): Rng {
    const parsed = parseWith(RngStateSchema, state, 'rng state', (message) => new RngError(message));
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = parsed.words;
    rng.spare = parsed.spareNormal === null ? null : decodeNumber(parsed.spareNormal, 'rng state.spareNormal');
    return rng;
  }

  state(): RngState {
    return {
      algorithm: RNG_ALGORITHM,
      words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0],
      spareNormal: this.spare === null ? null : encodeNumber(this.spare),
    };
  }

  /** An independent copy at the same point of the sequence. */
  clone(): Rng {
    return Rng.fromState(this.state());
  }

  /** The next 32 random bits as an integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** A uniform double in [0, 1) with all 53 bits of the mantissa random (two draws). */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / TWO_POW_53;
  }

  /** A uniform integer in [0, n), exactly unbiased (rejection sampling); 1 <= n <= 2^32. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RngError(`nextInt bound ${n} must be an integer in [1, 2^32]`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /**
   * A standard normal by the Box–Muller transform; each pair of uniforms gives
   * two normals, the second kept as `spareNormal` (part of the state) for the
   * next call.
   */
  normal(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const u1 = 1 - this.next(); // (0, 1]: the logarithm stays finite
    const u2 = this.next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = TWO_PI * u2;
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Shuffles `array` in place (Fisher–Yates, Durstenfeld's version) and returns it. */
  shuffle<A extends { length: number; [index: number]: unknown }>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const held = array[i];
      array[i] = array[j];
      array[j] = held;
    }
    return array;
  }
}
