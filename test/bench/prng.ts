/**
 * A small seeded pseudo-random generator for benchmarks and fuzz tests:
 * deterministic for a given seed, never Math.random.
 *
 * xorshift32 over a state scrambled from the seed (so nearby seeds give
 * unrelated sequences); plenty for picking test inputs, not for anything
 * statistical or secret.
 *
 * @module
 */

/** A deterministic random source. */
export class Prng {
  #x: number;

  constructor(seed: number) {
    // Scramble the seed (multiply-xorshift rounds); the state must never be 0.
    let s = (seed ^ 0x9e3779b9) >>> 0;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
    s = (s ^ (s >>> 16)) >>> 0;
    this.#x = s === 0 ? 0x6d2b79f5 : s;
  }

  /** Next unsigned 32-bit value. */
  u32(): number {
    let x = this.#x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#x = x >>> 0;
    return this.#x;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `n` lowercase hex digits. */
  hex(n: number): string {
    let s = "";
    while (s.length < n) s += this.u32().toString(16).padStart(8, "0");
    return s.slice(0, n);
  }
}
