/**
 * The data generator's draws, from the project's one generator (Rng, xoshiro128**
 * in src/nn/rng.ts). Two things stay as the generator has always had them, so a
 * seed keeps giving bit-identical series: the seed is spread over the four state
 * words by a murmur3-style finaliser (Rng's own constructor uses splitmix32), and
 * a uniform is one 32-bit draw (Rng.next() uses two, for 53 bits).
 */
import { Rng, RNG_ALGORITHM } from '../nn/rng.js';

const TWO_POW_32 = 4_294_967_296;

/** The four state words the generator has always derived from a seed (never all zero). */
function stateWords(seed: number): [number, number, number, number] {
  const words: [number, number, number, number] = [0, 0, 0, 0];
  let z = seed >>> 0;
  for (let index = 0; index < 4; index += 1) {
    z = (z + 0x9e3779b9) >>> 0;
    let t = z;
    t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
    t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
    words[index] = (t ^ (t >>> 16)) >>> 0;
  }
  if (words.every((word) => word === 0)) words[0] = 1;
  return words;
}

export class SeededRandom {
  private readonly rng: Rng;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.rng = Rng.fromState({ algorithm: RNG_ALGORITHM, words: stateWords(seed), spareNormal: null });
  }

  nextUint32(): number {
    return this.rng.nextUint32();
  }

  /** Uniform in [0, 1), from one 32-bit draw. */
  uniform(): number {
    return this.rng.nextUint32() / TWO_POW_32;
  }

  /** Standard normal by Box-Muller over `uniform()`, both values of each pair used. */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}
