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
 * The `ahead` of the platform's subscription streams: enough to cover a burst's database
 * round trips, small next to {@link SUBSCRIBER_QUEUE_LIMIT}.
 */
export const SUBSCRIPTION_LOOKAHEAD = 16;

/** How far {@link mapSubscription} may run ahead of its reader. */
export interface MapSubscriptionOptions {
  /**
   * Values whose transform may run before the reader asks for them (default 1: one at a
   * time). Results still come out in order; overlapping transforms that each wait on the
   * database lets one subscription keep up with more than one event per round trip, and
   * DataLoader batches their loads.
   */
  ahead?: number;
}

/** A value taken from the source and being transformed, or the source's end. */
type Step<U> = Promise<IteratorResult<U | null, undefined>>;

/**
 * Maps a subscription's stream value by value, in order; a `null` from `transform` means
 * "nothing for this subscriber" and the value is skipped. If `transform` or the source
 * fails, the source is released before the error surfaces (in order, after the values
 * before it): GraphQL does not call `return()` on a stream whose `next()` rejected.
 *
 * The source is read by one reader at a time, as subscriber queues require; with `ahead`
 * above 1 that reader takes values before they are asked for, up to `ahead` waiting, so
 * a subscriber that falls behind still fills its source's queue and is ended by it.
 */
export function mapSubscription<T, U>(
  source: AsyncIterator<T>,
  transform: (value: T) => Promise<U | null> | U | null,
  options: MapSubscriptionOptions = {},
): AsyncIterableIterator<U> {
  const ahead = Math.max(1, options.ahead ?? 1);
  const started: Step<U>[] = [];
  let reading = false;
  let ended = false;

  async function release(): Promise<void> {
    ended = true;
    started.length = 0;
    await source.return?.();
  }

  /** Starts reading the next value when there is room and no read is under way. */
  function fill(): void {
    if (ended || reading || started.length >= ahead) return;
    reading = true;
    const step: Step<U> = source.next().then(
      async (item) => {
        reading = false;
        if (item.done) {
          ended = true;
          return DONE;
        }
        fill();
        return { done: false, value: await transform(item.value) };
      },
      (error: unknown) => {
        reading = false;
        ended = true;
        throw error;
      },
    );
    // Read in order by next(); until then a failure must not count as unhandled.
    step.catch(() => undefined);
    started.push(step);
  }

  return {
    async next(): Promise<IteratorResult<U, undefined>> {
      for (;;) {
        fill();
        const step = started.shift();
        if (!step) return DONE;
        fill();
        let result: IteratorResult<U | null, undefined>;
        try {
          result = await step;
        } catch (error) {
          await release();
          throw error;
        }
        if (result.done) return DONE;
        if (result.value !== null) return { done: false, value: result.value };
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
