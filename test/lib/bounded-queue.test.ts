import { BoundedQueue, DONE } from "../../lib/bounded-queue";

describe("BoundedQueue", () => {
  it("hands items out in order, to a waiting take at once, and refuses one past its capacity", async () => {
    const queue = new BoundedQueue<number>(2);
    const waiting = queue.take();
    expect(queue.push(1)).toBe(true);
    expect(queue.push(2)).toBe(true);
    expect(queue.push(3)).toBe(true);
    expect(queue.push(4)).toBe(false);
    expect(queue.size).toBe(2);
    await expect(waiting).resolves.toEqual({ done: false, value: 1 });
    await expect(queue.take()).resolves.toEqual({ done: false, value: 2 });
    await expect(queue.take()).resolves.toEqual({ done: false, value: 3 });
  });

  it("after close, gives out what it holds, then the last word even when full, then DONE", async () => {
    const queue = new BoundedQueue<string>(1);
    queue.push("a");
    queue.close("why");
    expect(queue.push("b")).toBe(false);
    await expect(queue.take()).resolves.toEqual({ done: false, value: "a" });
    await expect(queue.take()).resolves.toEqual({ done: false, value: "why" });
    await expect(queue.take()).resolves.toBe(DONE);
  });

  it("wakes a waiting take with DONE on close, and drops what waits on clear", async () => {
    const queue = new BoundedQueue<number>(4);
    const waiting = queue.take();
    queue.close();
    await expect(waiting).resolves.toBe(DONE);

    const cleared = new BoundedQueue<number>(4);
    cleared.push(1);
    cleared.clear();
    cleared.push(2);
    await expect(cleared.take()).resolves.toEqual({ done: false, value: 2 });
  });

  it("has one consumer, and a positive capacity", async () => {
    const queue = new BoundedQueue<number>(1);
    void queue.take();
    await expect(queue.take()).rejects.toThrow("one consumer");
    expect(() => new BoundedQueue<number>(0)).toThrow(RangeError);
  });
});
