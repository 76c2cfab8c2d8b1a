/** A seeded source of numbers in [0, 1): property tests vary their inputs, and a failure reproduces from the seed. */
export type Random = () => number;

/** mulberry32: tiny, seedable, good enough to vary inputs. */
export function prng(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One of `items`. */
export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
/** True with probability `p`. */
export const chance = (random: Random, p: number): boolean => random() < p;
/** An integer in [min, max]. */
export const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
/** Each of `items` with probability 0.3. */
export const subset = <T>(random: Random, items: readonly T[]): T[] => items.filter(() => chance(random, 0.3));
