import type { Kysely } from "kysely";
import type { Logger } from "../logger";
import { createSubscriberQueue, type SubscriberQueue } from "../server/subscription-stream";
import { EVENTS_CHANNEL, readEvents, readHeadPosition, type LogPosition } from "./event-log";
import type { EventType, StoredEvent } from "./event-types";
import { createNotificationListener } from "./notification-listener";
import { WakeFilter } from "./wake-filter";

/** A stored event of one of the types `T`. */
export type StoredEventOf<T extends EventType> = Extract<StoredEvent, { type: T }>;

/** What a subscriber to the tail wants. */
export interface TailSubscription<T extends EventType> {
  /** The event types it wants; every other type is never queued. */
  types: readonly T[];
  /** The feed's name, for metrics ("leadChanged"). */
  feed: string;
  /** Events it may have waiting before it is ended as too slow. */
  limit?: number;
}

/**
 * A live, non-durable tail of the events log for subscriptions: every event that becomes
 * readable after a subscriber joined is handed to it, in the log's order.
 */
export interface EventTail {
  /**
   * Subscribes to one tenant's events of the given types, starting the tail first if it
   * is not running. Events that become readable from the moment this resolves are
   * delivered; nothing from before the tail started ever is.
   */
  subscribe<T extends EventType>(tenant: string, subscription: TailSubscription<T>): Promise<SubscriberQueue<StoredEventOf<T>>>;
  /** Stops reading, ends every subscriber's stream, and stops listening (the process' shared connection closes with its last listener). */
  stop(): Promise<void>;
}

/** Options for {@link createEventTail}. */
export interface EventTailOptions<DB> {
  /** Names the tail in log lines ("leads-tail"). */
  name: string;
  db: Kysely<DB>;
  /** Connection string of the database whose notifications it listens to (on the process' shared `LISTEN` connection). */
  connectionString: string;
  logger: Logger;
  /** Poll interval: the safety net for missed notifications and a horizon held back by a long transaction. */
  pollMs?: number;
  batchSize?: number;
}

interface Listener {
  types: ReadonlySet<string>;
  offer(event: StoredEvent): void;
}

function hasType<T extends EventType>(event: StoredEvent, types: ReadonlySet<EventType>): event is StoredEventOf<T> {
  return types.has(event.type);
}

/**
 * Creates a process's tail of the events log. Nothing connects until the first subscriber:
 * then it listens on the log's channel, takes the log's head (under the same commit-safe
 * horizon as the consumers) as its start, and reads forward with the consumers' reader on
 * every notification and on a timer. Unlike a consumer it keeps no offset: a subscription
 * is live only, and one that needs history reads it over queries.
 */
export function createEventTail<DB>(options: EventTailOptions<DB>): EventTail {
  const { db, logger, name } = options;
  const batchSize = options.batchSize ?? 200;
  const pollMs = options.pollMs ?? 1000;
  /** Listeners by tenant: an event is only ever offered to its own tenant's subscribers. */
  const listeners = new Map<string, Set<Listener>>();
  const queues = new Set<{ end(): void }>();
  let position: LogPosition | undefined;
  let starting: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const notifications = createNotificationListener({
    connectionString: options.connectionString,
    channel: EVENTS_CHANNEL,
    name,
    logger,
    onNotification: (payload) => {
      if (wakes.wake(payload)) void drain();
    },
    onListening: () => void drain(),
  });
  /** Only events some subscriber of that tenant wants wake the tail. */
  const wakes = new WakeFilter((tenantId, type) => [...(listeners.get(tenantId) ?? [])].some((listener) => listener.types.has(type)));

  function dispatch(event: StoredEvent): void {
    const forTenant = listeners.get(event.tenantId);
    if (!forTenant) return;
    for (const listener of forTenant) {
      try {
        listener.offer(event);
      } catch (error) {
        logger.error({ err: error, tail: name, eventId: event.id }, "event tail listener failed");
      }
    }
  }

  async function readBatch(from: LogPosition): Promise<number> {
    const events = await readEvents(db, from, batchSize);
    wakes.read(events);
    for (const event of events) dispatch(event);
    const last = events[events.length - 1];
    if (last) position = { tx: last.tx, id: last.id };
    return events.length;
  }

  function drain(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    const current = (async () => {
      try {
        do {
          again = false;
          while (!stopped && position && (await readBatch(position)) === batchSize);
        } while (again && !stopped);
      } catch (error) {
        logger.error({ err: error, tail: name }, "event tail read failed; will retry");
      }
    })();
    // Cleared once settled, not in the body: a pass with nothing to await finishes before
    // `running` is even assigned, and would otherwise leave it set for good.
    running = current;
    void current.then(() => {
      if (running !== current) return;
      running = undefined;
      // A wake-up that arrived after the last pass looked: pass again.
      if (again && !stopped) void drain();
    });
    return current;
  }

  async function start(): Promise<void> {
    // Listening first, then the head: an event committed in between is either at or below
    // the head or read after it, never lost between the two.
    await notifications.start();
    position = await readHeadPosition(db);
    if (stopped) return;
    timer = setInterval(() => void drain(), pollMs);
    timer.unref();
  }

  function ensureStarted(): Promise<void> {
    starting ??= start().catch((error: unknown) => {
      starting = undefined;
      throw error;
    });
    return starting;
  }

  return {
    async subscribe<T extends EventType>(tenant: string, subscription: TailSubscription<T>) {
      if (stopped) throw new Error(`event tail ${name} is stopped`);
      await ensureStarted();
      if (stopped) throw new Error(`event tail ${name} is stopped`);
      const types = new Set<EventType>(subscription.types);
      const forTenant = listeners.get(tenant) ?? new Set<Listener>();
      listeners.set(tenant, forTenant);
      const queue: SubscriberQueue<StoredEventOf<T>> = createSubscriberQueue<StoredEventOf<T>>({
        feed: subscription.feed,
        ...(subscription.limit !== undefined ? { limit: subscription.limit } : {}),
        onClose() {
          forTenant.delete(listener);
          if (forTenant.size === 0 && listeners.get(tenant) === forTenant) listeners.delete(tenant);
          queues.delete(queue);
        },
      });
      // The tenant check is redundant with the per-tenant map, on purpose: tenant isolation
      // is the one property a subscription must never lose to a refactoring.
      const listener: Listener = {
        types,
        offer(event) {
          if (event.tenantId === tenant && hasType<T>(event, types)) queue.push(event);
        },
      };
      forTenant.add(listener);
      queues.add(queue);
      return queue;
    },
    async stop() {
      stopped = true;
      await starting?.catch(() => undefined);
      clearInterval(timer);
      await running;
      for (const queue of [...queues]) queue.end();
      listeners.clear();
      await notifications.stop();
    },
  };
}
