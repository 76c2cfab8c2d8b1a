import { createLocationRateLimiter, type RateSlot } from "../../bridge/src/writeback/location-rate-limiter";

function limiterAt(budget: { requests: number; windowMs: number }) {
  let clock = 0;
  const limiter = createLocationRateLimiter({ budget, now: () => clock });
  return { limiter, advance: (ms: number) => void (clock += ms) };
}

function take(limiter: ReturnType<typeof createLocationRateLimiter>, location: string): RateSlot {
  const acquired = limiter.tryAcquire(location);
  if (!("slot" in acquired)) throw new Error(`no slot: wait ${acquired.waitMs} ms`);
  return acquired.slot;
}

describe("location rate limiter", () => {
  it("reports the slots left per location and, when none, how long until one frees", () => {
    const { limiter, advance } = limiterAt({ requests: 3, windowMs: 1_000 });
    expect(limiter.capacity("a")).toEqual({ slots: 3, waitMs: 0 });
    const first = take(limiter, "a");
    take(limiter, "a");
    expect(limiter.capacity("a")).toEqual({ slots: 1, waitMs: 0 });
    expect(limiter.capacity("b")).toEqual({ slots: 3, waitMs: 0 });
    advance(100);
    first.done({});
    take(limiter, "a");
    // Two in flight and one answered at 100: the answered one frees a window after its answer.
    expect(limiter.capacity("a")).toEqual({ slots: 0, waitMs: 1_000 });
    expect(limiter.tryAcquire("a")).toEqual({ waitMs: 1_000 });
    advance(1_000);
    expect(limiter.capacity("a")).toEqual({ slots: 1, waitMs: 0 });
  });

  it("cancelling frees a slot at once; a 429 pauses the location for the interval GHL names", () => {
    const { limiter, advance } = limiterAt({ requests: 2, windowMs: 1_000 });
    take(limiter, "a").cancel();
    expect(limiter.capacity("a").slots).toBe(2);
    take(limiter, "a").rateLimited({ intervalMs: 5_000 });
    expect(limiter.capacity("a")).toEqual({ slots: 0, waitMs: 5_000 });
    advance(4_999);
    expect(limiter.capacity("a")).toEqual({ slots: 0, waitMs: 1 });
    advance(1);
    expect(limiter.capacity("a")).toEqual({ slots: 2, waitMs: 0 });
  });
});
