import type DataLoader from "dataloader";
import { Counter } from "prom-client";
import { BoundedQueue, DONE } from "../bounded-queue";
import { ErrorCode, fieldError } from "../errors";
import { metricsRegistry } from "../metrics";

/**
 * Events one subscriber may have waiting. A subscriber this far behind is not catching up;
 * holding more would only let one slow socket grow the process's memory without bound.
 */
export const SUBSCRIBER_QUEUE_LIMIT = 256;

const overflows = new Counter({
  name: "hub_subscriber_overflows_total",
  help: "Subscriptions ended because their subscriber fell a full queue behind",
  labelNames: ["feed"],
  registers: [metricsRegistry],
});

/** The subscriber's side of a feed: an async iterator over a bounded, ordered queue. */
export interface SubscriberQueue<T> extends AsyncIterableIterator<T> {
  /**
   * Queues a value (or hands it to a waiting `next()`). When the queue is full the
   * subscription ends instead: what is queued is dropped and the next `next()` rejects
   * with `SUBSCRIBER_TOO_SLOW`.
   */
  push(value: T): void;
  /** Ends the stream once what is queued has been read (the feed itself is ending). */
  end(): void;
  /** Whether the subscriber is gone or the stream has ended: pushing does nothing. */
  readonly closed: boolean;
}

/** Options for {@link createSubscriberQueue}. */
export interface SubscriberQueueOptions {
  /** The feed's name, for metrics ("leadChanged"). */
  feed: string;
  /** Most values that may wait; default {@link SUBSCRIBER_QUEUE_LIMIT}. */
  limit?: number;
  /** Called once when the queue closes for any reason: unregister from the feed here. */
  onClose?(): void;
}

/**
 * Creates a subscriber queue. Its `return()` resolves at once, even while a `next()` is
 * waiting for a value (an async generator would wait for the value first), so a subscriber
 * that leaves is unregistered immediately rather than at the feed's next event.
 */
export function createSubscriberQueue<T>(options: SubscriberQueueOptions): SubscriberQueue<T> {
  const limit = options.limit ?? SUBSCRIBER_QUEUE_LIMIT;
  const queue = new BoundedQueue<T>(limit);
  let failure: Error | undefined;
  let closed = false;
  let ended = false;

  function close(): void {
    if (closed) return;
    closed = true;
    options.onClose?.();
  }

  /** Drops what is queued, wakes a waiting reader with the end, and unregisters. */
  function finish(): IteratorReturnResult<undefined> {
    queue.clear();
    queue.close();
    close();
    return DONE;
  }

  const subscriber: SubscriberQueue<T> = {
    get closed() {
      return closed || ended;
    },
    push(value) {
      if (closed || ended || queue.push(value)) return;
      overflows.inc({ feed: options.feed });
      failure = fieldError(ErrorCode.SUBSCRIBER_TOO_SLOW, `the subscriber fell ${limit} events behind; subscribe again to resume`);
      finish();
    },
    end() {
      ended = true;
      queue.close();
      if (queue.size === 0) finish();
    },
    next() {
      if (queue.size === 0) {
        if (failure) {
          const error = failure;
          failure = undefined;
          return Promise.reject(error);
        }
        if (closed || ended) return Promise.resolve(finish());
      }
      // One reader at a time: GraphQL execution pulls the next event only after the last one.
      const taken = queue.take();
      if (ended && queue.size === 0) close();
      return taken;
    },
    return() {
      failure = undefined;
      return Promise.resolve(finish());
    },
    throw(error: unknown) {
      failure = undefined;
      finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return subscriber;
}

/**
 * Maps a subscription's stream value by value, in order; a `null` from `transform` means
 * "nothing for this subscriber" and the value is skipped. If `transform` or the source
 * fails, the source is released before the error surfaces: GraphQL does not call
 * `return()` on a stream whose `next()` rejected.
 */
export function mapSubscription<T, U>(source: AsyncIterator<T>, transform: (value: T) => Promise<U | null> | U | null): AsyncIterableIterator<U> {
  async function release(): Promise<void> {
    await source.return?.();
  }
  return {
    async next(): Promise<IteratorResult<U, undefined>> {
      try {
        for (;;) {
          const item = await source.next();
          if (item.done) return DONE;
          const mapped = await transform(item.value);
          if (mapped !== null) return { done: false, value: mapped };
        }
      } catch (error) {
        await release();
        throw error;
      }
    },
    async return(): Promise<IteratorResult<U, undefined>> {
      await release();
      return DONE;
    },
    async throw(error: unknown): Promise<IteratorResult<U, undefined>> {
      await release();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Loads one key through a subscription's own DataLoader without keeping it. That context
 * lives as long as the subscription, so a cached value would go stale and the cache would
 * grow with every event; each event's execution gets a fresh context of its own instead.
 */
export async function loadOnce<K, V>(loader: DataLoader<K, V>, key: K): Promise<V> {
  try {
    return await loader.clear(key).load(key);
  } finally {
    loader.clear(key);
  }
}
