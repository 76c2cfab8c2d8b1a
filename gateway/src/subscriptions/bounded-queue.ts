/**
 * A first-in first-out queue with a capacity, read by one consumer that waits for items.
 *
 * It sits between a producer that must never block (a socket's message handler) and a
 * consumer that takes its time (plan execution, then a client that reads slowly): a full
 * queue refuses the item instead of growing, and the caller decides what falling behind
 * means.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private closed = false;
  private waiting: ((item: T | undefined) => void) | undefined;

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
  }

  /** Items waiting to be taken. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an item; false when the queue is full or closed (the item is not kept). */
  push(item: T): boolean {
    if (this.closed || this.items.length >= this.capacity) return false;
    this.deliver(item);
    return true;
  }

  /**
   * Closes the queue: items already in it are still taken, then {@link take} resolves
   * undefined. `last`, if given, is added after them even when the queue is full, so a
   * final word (why it ended) always gets through.
   */
  close(last?: T): void {
    if (this.closed) return;
    this.closed = true;
    if (last !== undefined) this.deliver(last);
    else this.wake(undefined);
  }

  /** Drops every waiting item (the queue stays open). */
  clear(): void {
    this.items.length = 0;
  }

  /** The next item, waiting for one if needed; undefined once the queue is closed and empty. */
  take(): Promise<T | undefined> {
    const item = this.items.shift();
    if (item !== undefined || this.closed) return Promise.resolve(item);
    if (this.waiting) throw new Error("BoundedQueue has one consumer: take() while a take() is pending");
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private deliver(item: T): void {
    if (this.waiting) this.wake(item);
    else this.items.push(item);
  }

  private wake(item: T | undefined): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(item);
  }
}
