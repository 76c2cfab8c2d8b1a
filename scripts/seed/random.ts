/** Choices with relative weights (they need not sum to 100). */
export type Weighted<T> = ReadonlyArray<readonly [T, number]>;

/** A deterministic source of randomness and the draws the seed generators need. */
export interface Rand {
  /** A uniform number in [0, 1). */
  next(): number;
  /** A uniform integer in [lo, hi], both ends included. */
  int(lo: number, hi: number): number;
  /** A uniform element of a non-empty list. */
  pick<T>(xs: readonly T[]): T;
  /** An element drawn in proportion to its weight. */
  weighted<T>(xs: Weighted<T>): T;
  /** Up to `k` distinct elements, in draw order. */
  sample<T>(xs: readonly T[], k: number): T[];
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** A uniform number in [lo, hi). */
  between(lo: number, hi: number): number;
}

/**
 * A seeded PRNG: the same `seedText` always yields the same sequence, on every platform.
 * Seed data must be reproducible (same tenant, same demo), which `Math.random` cannot give.
 * The draw order of every method is part of the contract: generators rely on it to keep
 * their output stable, so changing how a method consumes `next()` changes all seed data.
 */
export function makeRand(seedText: string): Rand {
  let a = 0x811c9dc5; // FNV-1a of the seed text, then mulberry32
  for (let i = 0; i < seedText.length; i++) a = Math.imul(a ^ seedText.charCodeAt(i), 0x01000193);
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => {
    const x = xs[Math.floor(next() * xs.length)];
    if (x === undefined) throw new Error("pick from an empty list");
    return x;
  };
  const weighted = <T>(xs: Weighted<T>): T => {
    let roll = next() * xs.reduce((sum, [, w]) => sum + w, 0);
    for (const [x, w] of xs) if ((roll -= w) < 0) return x;
    return pick(xs)[0];
  };
  const sample = <T>(xs: readonly T[], k: number): T[] => {
    const pool = [...xs];
    const out: T[] = [];
    while (out.length < k && pool.length > 0) out.push(...pool.splice(Math.floor(next() * pool.length), 1));
    return out;
  };
  return { next, int, pick, weighted, sample, chance: (p: number): boolean => next() < p, between: (lo: number, hi: number): number => lo + next() * (hi - lo) };
}
