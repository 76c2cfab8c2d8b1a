import { createTokenBuckets, type TakeResult } from "../../gateway/src/rate-limit/token-bucket";

/** Buckets on a clock the test moves by hand. */
function bucketsAt(start = 1_000_000, maxTenants = 100) {
  let now = start;
  const buckets = createTokenBuckets({ maxTenants, now: () => now });
  return {
    buckets,
    advance(ms: number) {
      now += ms;
    },
  };
}

function takeMany(take: () => TakeResult, count: number): TakeResult[] {
  return Array.from({ length: count }, take);
}

describe("token buckets", () => {
  it("lets a tenant burst exactly a minute's worth of requests, then refuses", () => {
    const { buckets } = bucketsAt();
    const results = takeMany(() => buckets.take("t1", 120), 120);
    expect(results.every((result) => result.allowed)).toBe(true);
    expect(buckets.take("t1", 120)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it.each([
    // rpm, seconds until one token: 60/rpm rounded up, at least 1
    [60, 1],
    [120, 1],
    [6000, 1],
    [30, 2],
    [7, 9],
    [1, 60],
  ])("at %i requests per minute, tells an empty bucket to retry in %i s", (rpm, seconds) => {
    const { buckets } = bucketsAt();
    takeMany(() => buckets.take("t1", rpm), rpm);
    expect(buckets.take("t1", rpm)).toEqual({ allowed: false, retryAfterSeconds: seconds });
  });

  it("counts the retry time from what is already refilled", () => {
    const { buckets, advance } = bucketsAt();
    takeMany(() => buckets.take("t1", 6), 6);
    // One token per 10 s; 3.5 s in, 6.5 s remain, which is 7 whole seconds.
    advance(3_500);
    expect(buckets.take("t1", 6)).toEqual({ allowed: false, retryAfterSeconds: 7 });
    advance(6_499);
    expect(buckets.take("t1", 6)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    advance(1);
    expect(buckets.take("t1", 6)).toEqual({ allowed: true });
  });

  it("refills at rpm/60 tokens per second, up to the burst and no further", () => {
    const { buckets, advance } = bucketsAt();
    takeMany(() => buckets.take("t1", 60), 60);
    // 60 rpm: one token a second, so after 5 s exactly 5 requests pass.
    advance(5_000);
    expect(takeMany(() => buckets.take("t1", 60), 6).map((result) => result.allowed)).toEqual([true, true, true, true, true, false]);
    // An hour idle refills the bucket only to its capacity.
    advance(3_600_000);
    expect(takeMany(() => buckets.take("t1", 60), 61).filter((result) => result.allowed)).toHaveLength(60);
  });

  it("sustains the rate: one request per token interval keeps passing", () => {
    const { buckets, advance } = bucketsAt();
    takeMany(() => buckets.take("t1", 7), 7);
    for (let i = 0; i < 50; i++) {
      expect(buckets.take("t1", 7).allowed).toBe(false);
      // 60 000 / 7 ms is not whole: the bucket must still hand a token over on time.
      advance(Math.ceil(60_000 / 7));
      expect(buckets.take("t1", 7)).toEqual({ allowed: true });
    }
  });

  it("keeps tenants apart", () => {
    const { buckets } = bucketsAt();
    takeMany(() => buckets.take("t1", 10), 10);
    expect(buckets.take("t1", 10).allowed).toBe(false);
    expect(takeMany(() => buckets.take("t2", 10), 10).every((result) => result.allowed)).toBe(true);
    expect(buckets.take("t2", 10).allowed).toBe(false);
  });

  it("keeps a tenant's tokens when its plan changes, clamped to the new capacity", () => {
    const { buckets, advance } = bucketsAt();
    takeMany(() => buckets.take("t1", 600), 100);
    // 500 left; a downgrade to 60 rpm leaves 60 (minus this request).
    expect(buckets.take("t1", 60)).toEqual({ allowed: true });
    expect(takeMany(() => buckets.take("t1", 60), 60).filter((result) => result.allowed)).toHaveLength(59);
    // An upgrade does not grant the new burst at once: the bucket refills toward it.
    expect(buckets.take("t1", 600)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    advance(1_000);
    expect(takeMany(() => buckets.take("t1", 600), 11).filter((result) => result.allowed)).toHaveLength(10);
  });

  it("tracks at most maxTenants, and a forgotten tenant comes back with a full bucket", () => {
    const { buckets } = bucketsAt(0, 3);
    takeMany(() => buckets.take("t1", 5), 5);
    expect(buckets.take("t1", 5).allowed).toBe(false);
    for (const tenant of ["t2", "t3", "t4", "t5"]) buckets.take(tenant, 5);
    expect(buckets.size).toBe(3);
    expect(takeMany(() => buckets.take("t1", 5), 5).every((result) => result.allowed)).toBe(true);
    expect(buckets.size).toBe(3);
  });

  it("refuses a limit that is not a positive whole number", () => {
    const { buckets } = bucketsAt();
    for (const rpm of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => buckets.take("t1", rpm)).toThrow(RangeError);
  });
});
