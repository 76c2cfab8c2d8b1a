import { LRUCache } from "lru-cache";
import { Counter } from "prom-client";
import { metricsRegistry } from "./metrics";

/**
 * `hub_cache_lookups_total`: every cache's lookups, by cache name and result (`hit` or
 * `miss`). Exported for caches that are not built with {@link createCache}.
 */
export const cacheLookups = new Counter({
  name: "hub_cache_lookups_total",
  help: "Cache lookups by cache and result (hit or miss)",
  labelNames: ["cache", "result"],
  registers: [metricsRegistry],
});

/** Options for {@link createCache}. */
export interface CacheOptions {
  /** Label in metrics. */
  name: string;
  maxEntries: number;
  /** Entries older than this are recomputed even when their key still matches. */
  ttlMs: number;
}

/** A bounded cache whose keys carry the version of what they were computed from. */
export interface Cache<V extends NonNullable<unknown>> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  /** Hits and misses since creation (for tests and logs; Prometheus has the totals). */
  readonly stats: { hits: number; misses: number };
}

/**
 * An O(1) LRU with a TTL (lru-cache), counting hits and misses. Callers put the version of
 * the input in the key, so a changed input is a miss and never a stale hit; the TTL bounds
 * how long inputs outside the key (the listings market) can be stale.
 */
export function createCache<V extends NonNullable<unknown>>(options: CacheOptions): Cache<V> {
  const lru = new LRUCache<string, V>({ max: options.maxEntries, ttl: options.ttlMs });
  const stats = { hits: 0, misses: 0 };
  return {
    stats,
    get(key) {
      const value = lru.get(key);
      if (value === undefined) stats.misses += 1;
      else stats.hits += 1;
      cacheLookups.inc({ cache: options.name, result: value === undefined ? "miss" : "hit" });
      return value;
    },
    set(key, value) {
      lru.set(key, value);
    },
  };
}
