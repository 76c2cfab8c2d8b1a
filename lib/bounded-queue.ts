/** What {@link BoundedQueue.take} resolves once the queue is closed and empty. */
export const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A first-in first-out queue with a capacity, read by one consumer that waits for items.
 *
 * It sits between a producer that must never block (a socket's message handler, a feed
 * fanning an event out to every subscriber) and a consumer that takes its time (execution,
 * then a client that reads slowly): a full queue refuses the item instead of growing, and
 * the caller decides what falling behind means.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private closed = false;
  private waiting: ((result: IteratorResult<T, undefined>) => void) | undefined;

  /** `capacity`: most items that may wait; a positive integer. */
  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
  }

  /** Items waiting to be taken. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an item, handing it straight to a waiting {@link take}; false when the queue is full or closed (the item is not kept). */
  push(item: T): boolean {
    if (this.closed || this.items.length >= this.capacity) return false;
    this.deliver(item);
    return true;
  }

  /**
   * Closes the queue: items already in it are still taken, then {@link take} resolves
   * {@link DONE}, as does a take that was waiting. `last`, if given, is added after them
   * even when the queue is full, so a final word (why it ended) always gets through.
   */
  close(last?: T): void {
    if (this.closed) return;
    this.closed = true;
    if (last !== undefined) this.deliver(last);
    else this.wake(DONE);
  }

  /** Drops every waiting item (the queue stays as open or closed as it was). */
  clear(): void {
    this.items.length = 0;
  }

  /**
   * The next item, waiting for one if needed; {@link DONE} once the queue is closed and
   * empty. An item that is there is taken at once, before this returns, so the caller can
   * tell from {@link size} whether it was the last.
   */
  take(): Promise<IteratorResult<T, undefined>> {
    if (this.items.length > 0) return Promise.resolve({ done: false, value: this.items.shift() as T });
    if (this.closed) return Promise.resolve(DONE);
    // A second reader would silently steal the first one's wake-up: refuse it instead.
    if (this.waiting) return Promise.reject(new Error("BoundedQueue has one consumer: take() while a take() is pending"));
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private deliver(item: T): void {
    if (this.waiting) this.wake({ done: false, value: item });
    else this.items.push(item);
  }

  private wake(result: IteratorResult<T, undefined>): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(result);
  }
}
