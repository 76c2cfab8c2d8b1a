import { LRUCache } from "lru-cache";

/** The answer of {@link TokenBuckets.take}. */
export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Options for {@link createTokenBuckets}. */
export interface TokenBucketOptions {
  /** Most tenants tracked at once; the least recently seen beyond this are forgotten. */
  maxTenants: number;
  /** Milliseconds from a monotonic origin (fractions are dropped); injectable so tests control time. */
  now?: () => number;
}

/** Per-tenant token buckets. */
export interface TokenBuckets {
  /**
   * Takes one token from `tenant`'s bucket, which holds up to `requestsPerMinute` tokens and
   * refills at `requestsPerMinute / 60` per second; refused, it says how many whole seconds
   * (at least 1) until a token is available.
   */
  take(tenant: string, requestsPerMinute: number): TakeResult;
  /** How many tenants are tracked now (bounded by `maxTenants`). */
  readonly size: number;
}

/**
 * Tokens are counted in sixty-thousandths: a bucket of `rpm` tokens then refills by exactly
 * `rpm` parts per millisecond, so with a whole-millisecond clock every sum is an integer and a
 * burst or a refill never falls a rounding error short of a token.
 */
const PARTS_PER_TOKEN = 60_000;

interface Bucket {
  parts: number;
  /** The rate the parts were last refilled at, so a plan change applies from now on. */
  requestsPerMinute: number;
  updatedAt: number;
}

function assertRate(requestsPerMinute: number): void {
  if (!Number.isSafeInteger(requestsPerMinute) || requestsPerMinute < 1) {
    throw new RangeError(`requests per minute must be a positive integer, got ${requestsPerMinute}`);
  }
}

/**
 * Token buckets, one per tenant, in an LRU: memory stays bounded however many tenants call,
 * and a forgotten tenant comes back with a full bucket (it was idle longest, so it would
 * mostly have refilled anyway). A tenant whose rate changes keeps its tokens, clamped to the
 * new capacity, so a downgrade cannot carry a bigger plan's burst over.
 */
export function createTokenBuckets(options: TokenBucketOptions): TokenBuckets {
  // Monotonic, so a wall-clock step back cannot stall refills; floored to keep the arithmetic whole.
  const clock = options.now ?? (() => performance.now());
  const now = () => Math.floor(clock());
  const buckets = new LRUCache<string, Bucket>({ max: options.maxTenants });
  return {
    get size() {
      return buckets.size;
    },
    take(tenant, requestsPerMinute) {
      assertRate(requestsPerMinute);
      const at = now();
      const capacity = requestsPerMinute * PARTS_PER_TOKEN;
      const bucket = buckets.get(tenant);
      let parts: number;
      if (!bucket) {
        parts = capacity;
      } else {
        // A full minute refills any bucket, so longer gaps need not be multiplied out.
        const elapsed = Math.min(Math.max(0, at - bucket.updatedAt), PARTS_PER_TOKEN);
        const refilled = Math.min(bucket.requestsPerMinute * PARTS_PER_TOKEN, bucket.parts + elapsed * bucket.requestsPerMinute);
        parts = Math.min(capacity, refilled);
      }
      if (parts >= PARTS_PER_TOKEN) {
        buckets.set(tenant, { parts: parts - PARTS_PER_TOKEN, requestsPerMinute, updatedAt: at });
        return { allowed: true };
      }
      buckets.set(tenant, { parts, requestsPerMinute, updatedAt: at });
      const waitMs = Math.ceil((PARTS_PER_TOKEN - parts) / requestsPerMinute);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    },
  };
}
