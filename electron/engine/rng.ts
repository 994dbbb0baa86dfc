/**
 * A small seeded PRNG (sfc32, by Chris Doty-Humphrey) whose whole state is four uint32s.
 *
 * Why our own and not tf.random*: weight init, the epoch shuffles and dropout masks must be
 * reproducible from the seed on every backend, and their state must go into a checkpoint so a
 * resumed run draws exactly what an uninterrupted one would. tfjs's seeded ops have no state to
 * save. Each purpose gets its own stream (see `Streams`) so, say, changing dropout does not move
 * the shuffles.
 */

export type RngState = [number, number, number, number];

/** splitmix32: spreads (seed, stream) into well-mixed 32-bit words for sfc32's state. */
function splitmix32(x: number): () => number {
  let s = x >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(state: RngState) {
    [this.a, this.b, this.c, this.d] = state;
  }

  /** A generator for `seed` and a purpose `stream`; warmed up so nearby seeds diverge at once. */
  static seeded(seed: number, stream: number): Rng {
    const mix = splitmix32((seed >>> 0) ^ Math.imul(stream + 1, 0x27d4eb2d));
    const rng = new Rng([mix(), mix(), mix(), mix()]);
    for (let i = 0; i < 12; i++) rng.nextU32();
    return rng;
  }

  state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }

  restore(state: RngState): void {
    [this.a, this.b, this.c, this.d] = state;
  }

  /** Uniform integer in [0, 2^32). */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** Standard normal by Box–Muller (one of the pair; init is not hot enough to cache the other). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n) without modulo bias (n ≤ 2^32). */
  below(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle(array: Int32Array | number[]): void {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = array[i]!;
      array[i] = array[j]!;
      array[j] = t;
    }
  }
}

/** Stream ids: one generator per purpose, all derived from TrainConfig.seed. */
export const Streams = { init: 1, shuffle: 2, dropout: 3, subset: 4 } as const;
