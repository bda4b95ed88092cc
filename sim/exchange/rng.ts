/**
 * Seeded pseudo-random numbers for the simulator (mulberry32). Everything random in the
 * exchange core (the universe, the participants' random walks, ids) draws from one of these,
 * so a seed reproduces a whole run. Not for anything security-related.
 */

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** uniform 32-bit unsigned integer */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** uniform in [0, 1) */
  float(): number {
    return this.nextU32() / 4_294_967_296;
  }

  /** uniform integer in [lo, hi] inclusive */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.float() * items.length)];
    if (item === undefined) throw new Error("Rng.pick: empty list");
    return item;
  }

  /** approximately standard normal (sum of uniforms), enough for a random walk */
  normal(): number {
    return this.float() + this.float() + this.float() + this.float() - 2;
  }

  /** a child generator, so adding draws in one place does not shift another's sequence */
  fork(salt: number): Rng {
    return new Rng((this.nextU32() ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0);
  }
}
