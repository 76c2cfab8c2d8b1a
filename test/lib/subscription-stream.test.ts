import { GraphQLError } from "graphql";
import { createSubscriberQueue, mapSubscription } from "../../lib/server/subscription-stream";

describe("subscriber queue", () => {
  it("hands out values in order, to a waiting reader at once", async () => {
    const queue = createSubscriberQueue<number>({ feed: "test", limit: 3 });
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    await expect(waiting).resolves.toEqual({ done: false, value: 1 });
    await expect(queue.next()).resolves.toEqual({ done: false, value: 2 });
    await expect(queue.next()).resolves.toEqual({ done: false, value: 3 });
  });

  it("ends a subscriber that falls a full queue behind with SUBSCRIBER_TOO_SLOW, dropping what it held", async () => {
    let released = 0;
    const queue = createSubscriberQueue<number>({ feed: "test", limit: 3, onClose: () => released++ });
    for (let i = 0; i < 10; i++) queue.push(i);
    expect(released).toBe(1);
    expect(queue.closed).toBe(true);
    const error = await queue.next().then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions["code"]).toBe("SUBSCRIBER_TOO_SLOW");
    await expect(queue.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it("releases at once when the subscriber leaves while waiting", async () => {
    let released = 0;
    const queue = createSubscriberQueue<number>({ feed: "test", onClose: () => released++ });
    const waiting = queue.next();
    await expect(queue.return!()).resolves.toEqual({ done: true, value: undefined });
    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
    expect(released).toBe(1);
    queue.push(1);
    await expect(queue.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it("ends after what is queued when the feed ends", async () => {
    const queue = createSubscriberQueue<number>({ feed: "test" });
    queue.push(1);
    queue.end();
    await expect(queue.next()).resolves.toEqual({ done: false, value: 1 });
    await expect(queue.next()).resolves.toEqual({ done: true, value: undefined });
  });
});

describe("mapSubscription", () => {
  it("maps in order, skips nulls, and releases the source when a transform fails", async () => {
    let released = 0;
    const queue = createSubscriberQueue<number>({ feed: "test", onClose: () => released++ });
    const mapped = mapSubscription(queue, async (n) => {
      if (n === 3) throw new Error("boom");
      return n % 2 === 0 ? null : n * 10;
    });
    for (const n of [1, 2, 3]) queue.push(n);
    await expect(mapped.next()).resolves.toEqual({ done: false, value: 10 });
    await expect(mapped.next()).rejects.toThrow("boom");
    expect(released).toBe(1);
  });

  it("runs transforms ahead of the reader, up to `ahead`, and still yields in order", async () => {
    const queue = createSubscriberQueue<number>({ feed: "test" });
    const waiting = new Map<number, (value: number) => void>();
    const mapped = mapSubscription(queue, (n) => new Promise<number>((resolve) => waiting.set(n, resolve)), { ahead: 2 });
    for (const n of [1, 2, 3, 4]) queue.push(n);
    const first = mapped.next();
    // The value asked for and two ahead started before any finished; the fourth waits for room.
    await new Promise((resolve) => setImmediate(resolve));
    expect([...waiting.keys()]).toEqual([1, 2, 3]);
    // Finished last to first: the reader still gets 1 first.
    for (const n of [3, 2, 1]) waiting.get(n)!(n * 10);
    await expect(first).resolves.toEqual({ done: false, value: 10 });
    await expect(mapped.next()).resolves.toEqual({ done: false, value: 20 });
    await new Promise((resolve) => setImmediate(resolve));
    expect([...waiting.keys()]).toEqual([1, 2, 3, 4]);
    waiting.get(4)!(40);
    await expect(mapped.next()).resolves.toEqual({ done: false, value: 30 });
    await expect(mapped.next()).resolves.toEqual({ done: false, value: 40 });
  });

  it("surfaces a failure ahead in its turn, after the values before it, and releases the source", async () => {
    let released = 0;
    const queue = createSubscriberQueue<number>({ feed: "test", onClose: () => released++ });
    const mapped = mapSubscription(queue, async (n) => {
      if (n === 2) throw new Error("second failed");
      await new Promise((resolve) => setTimeout(resolve, 10));
      return n;
    }, { ahead: 4 });
    for (const n of [1, 2, 3]) queue.push(n);
    await expect(mapped.next()).resolves.toEqual({ done: false, value: 1 });
    await expect(mapped.next()).rejects.toThrow("second failed");
    expect(released).toBe(1);
  });
});
