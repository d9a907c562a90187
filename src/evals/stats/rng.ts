/**
 * A small seeded pseudo-random generator, so that every bootstrap in
 * `src/evals/stats` gives the same answer for the same seed on any machine.
 *
 * Generator: xoshiro128** 1.1 (Blackman & Vigna, 2018; 128-bit state, 32-bit
 * outputs, period 2^128 − 1). The state is filled from the seed with
 * splitmix32 (the 32-bit variant of splitmix64, constants 0x9e3779b9,
 * 0x85ebca6b, 0xc2b2ae35), as the authors recommend, so that nearby seeds
 * give unrelated streams. All arithmetic is 32-bit integer (Math.imul, >>>),
 * so the sequence is exact and identical on every JavaScript engine.
 */

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** A generator seeded with any 32-bit integer (other numbers are truncated to their low 32 bits). */
  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // xoshiro must not start from the all-zero state (splitmix32 makes it practically impossible; be sure anyway).
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator with the raw xoshiro128** state (for checking against the reference implementation). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Rng {
    const r = new Rng(0);
    r.s0 = s0 >>> 0;
    r.s1 = s1 >>> 0;
    r.s2 = s2 >>> 0;
    r.s3 = s3 >>> 0;
    if ((r.s0 | r.s1 | r.s2 | r.s3) === 0) throw new RangeError('xoshiro128** state must not be all zero');
    return r;
  }

  /** The next 32-bit unsigned output. */
  nextU32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /**
   * An integer in [0, n) for 1 <= n <= 2^21: floor(u32 · n / 2^32), computed
   * exactly in doubles (u32 · n < 2^53). The bias is at most n / 2^32
   * (2.3e-6 at n = 10,000), far below any bootstrap's Monte-Carlo error.
   */
  nextInt(n: number): number {
    return Math.floor((this.nextU32() * n) / 4294967296);
  }

  /** A standard normal deviate (Box–Muller; one of the pair is kept, for simplicity and exact reproducibility). */
  nextNormal(): number {
    const u1 = (this.nextU32() + 1) / 4294967297; // in (0, 1): log never sees 0
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
