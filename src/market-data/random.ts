/**
 * The generator's own PRNG: xoshiro128** (Blackman and Vigna, 2018), seeded
 * through splitmix32, so a seed gives the same numbers on every platform. An
 * object, not global state: each series draws from its own stream.
 */

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

export class SeededRandom {
  private readonly state = new Uint32Array(4);
  private spareNormal: number | null = null;

  constructor(seed: number) {
    let z = seed >>> 0;
    for (let index = 0; index < 4; index += 1) {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
      this.state[index] = t ^ (t >>> 16);
    }
    if (this.state.every((word) => word === 0)) this.state[0] = 1;
  }

  nextUint32(): number {
    const s = this.state;
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const result = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s[2] = (s[2] as number) ^ s0;
    s[3] = (s[3] as number) ^ s1;
    s[1] = s1 ^ (s[2] as number);
    s[0] = s0 ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotateLeft(s[3] as number, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4_294_967_296;
  }

  /** Standard normal by Box-Muller, both values of each pair used. */
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
