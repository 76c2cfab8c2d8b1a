import type { ProjectionListener } from "../events/projection-notify";
import type { Logger } from "../logger";
import { createSubscriberQueue, type SubscriberQueue } from "./subscription-stream";

/** Options for {@link createSnapshotFeed}. */
export interface SnapshotFeedOptions<T> {
  /** The feed's name, for metrics and logs ("dashboardUpdated"). */
  feed: string;
  /** The consumer whose committed projections change the snapshot. */
  consumer: string;
  projections: ProjectionListener;
  /** Computes one tenant's snapshot; it must read under that tenant only. */
  compute(tenant: string): Promise<T>;
  logger: Logger;
  /** Least time between two recomputations for one tenant; default 1 s. */
  minIntervalMs?: number;
  /** Snapshots a subscriber may have waiting before it is ended as too slow. */
  queueLimit?: number;
}

/** Snapshots of a projection, per tenant, pushed to subscribers as the projection changes. */
export interface SnapshotFeed<T> {
  /**
   * One tenant's snapshots: the current one at once, then a new one after each projected
   * change, at most once per interval. Rejects when the first snapshot cannot be computed.
   */
  subscribe(tenant: string): Promise<AsyncIterableIterator<T>>;
  /** Ends every subscriber's stream and stops observing projections. */
  stop(): Promise<void>;
}

interface Subscriber<T> {
  queue: SubscriberQueue<T>;
  /** Sequence number of its own first snapshot; null once that was queued. */
  firstSeq: number | null;
  /** The newest shared snapshot computed while its first was still being computed. */
  held?: { seq: number; value: T };
}

interface TenantGroup<T> {
  subscribers: Set<Subscriber<T>>;
  lastRunAt: number;
  timer?: NodeJS.Timeout;
  running: boolean;
  /** A change arrived while a computation ran, which may have read before it. */
  dirty: boolean;
}

/**
 * Creates a snapshot feed. Each tenant's snapshot is computed once for all its subscribers
 * in the process, on the consumer's projection notifications, at most once per interval:
 * the first change after a quiet spell is computed at once, later ones wait out the
 * interval and are then covered by one computation (the trailing edge), so the last change
 * is always reflected.
 */
export function createSnapshotFeed<T>(options: SnapshotFeedOptions<T>): SnapshotFeed<T> {
  const { logger, feed } = options;
  const minIntervalMs = options.minIntervalMs ?? 1000;
  const groups = new Map<string, TenantGroup<T>>();
  /** Orders computations: a snapshot is never followed by one that started before it. */
  let sequence = 0;
  let observing: Promise<() => void> | undefined;
  let stopped = false;

  function schedule(tenant: string, group: TenantGroup<T>): void {
    if (group.running) {
      group.dirty = true;
      return;
    }
    if (group.timer) return;
    const wait = Math.max(0, group.lastRunAt + minIntervalMs - Date.now());
    group.timer = setTimeout(() => {
      group.timer = undefined;
      void run(tenant, group);
    }, wait);
  }

  async function run(tenant: string, group: TenantGroup<T>): Promise<void> {
    if (groups.get(tenant) !== group || stopped) return;
    group.running = true;
    group.dirty = false;
    group.lastRunAt = Date.now();
    const seq = ++sequence;
    try {
      const value = await options.compute(tenant);
      for (const subscriber of group.subscribers) {
        if (subscriber.firstSeq === null) subscriber.queue.push(value);
        else if (seq > subscriber.firstSeq && (!subscriber.held || seq > subscriber.held.seq)) subscriber.held = { seq, value };
      }
    } catch (error) {
      // The subscribers keep their last snapshot; the next change tries again.
      logger.error({ err: error, feed, tenant }, "snapshot computation failed");
    } finally {
      group.running = false;
      if (group.dirty && groups.get(tenant) === group) schedule(tenant, group);
    }
  }

  function observe(): Promise<() => void> {
    observing ??= options.projections
      .observe(options.consumer, {
        projected(tenant) {
          const group = groups.get(tenant);
          if (group) schedule(tenant, group);
        },
        resync() {
          for (const [tenant, group] of groups) schedule(tenant, group);
        },
      })
      .catch((error: unknown) => {
        observing = undefined;
        throw error;
      });
    return observing;
  }

  function leave(tenant: string, subscriber: Subscriber<T>): void {
    const group = groups.get(tenant);
    if (!group) return;
    group.subscribers.delete(subscriber);
    if (group.subscribers.size > 0) return;
    clearTimeout(group.timer);
    groups.delete(tenant);
  }

  return {
    async subscribe(tenant) {
      if (stopped) throw new Error(`snapshot feed ${feed} is stopped`);
      // Observing before the first snapshot is read: a change committed meanwhile is not missed.
      await observe();
      const subscriber: Subscriber<T> = {
        queue: createSubscriberQueue<T>({
          feed,
          ...(options.queueLimit !== undefined ? { limit: options.queueLimit } : {}),
          onClose: () => leave(tenant, subscriber),
        }),
        firstSeq: ++sequence,
      };
      let group = groups.get(tenant);
      if (!group) {
        group = { subscribers: new Set(), lastRunAt: 0, running: false, dirty: false };
        groups.set(tenant, group);
      }
      group.subscribers.add(subscriber);
      try {
        subscriber.queue.push(await options.compute(tenant));
      } catch (error) {
        leave(tenant, subscriber);
        throw error;
      }
      const { held } = subscriber;
      subscriber.firstSeq = null;
      delete subscriber.held;
      if (held) subscriber.queue.push(held.value);
      return subscriber.queue;
    },
    async stop() {
      stopped = true;
      for (const group of groups.values()) {
        clearTimeout(group.timer);
        for (const subscriber of [...group.subscribers]) subscriber.queue.end();
      }
      groups.clear();
      const unobserve = await observing?.catch(() => undefined);
      unobserve?.();
    },
  };
}
