import type { Kysely, Transaction } from "kysely";
import type { Logger } from "../logger";
import { EVENTS_CHANNEL, openBatch, readEvents, savePosition, type LogPosition } from "./event-log";
import { createNotificationListener } from "./notification-listener";
import type { EventType, StoredEvent } from "./event-types";
import { WakeFilter } from "./wake-filter";

/** Options for {@link startEventConsumer}. */
export interface EventConsumerOptions<DB> {
  /** Unique consumer name; its position is stored under it. */
  name: string;
  db: Kysely<DB>;
  /** Connection string of the database whose notifications it listens to (on the process' shared `LISTEN` connection). */
  connectionString: string;
  /**
   * Applies a batch. Runs in the transaction that also saves the new position, so a batch
   * is applied exactly once or not at all.
   */
  handle(events: readonly StoredEvent[], trx: Transaction<DB>): Promise<void>;
  /**
   * Whether `handle` appends to the log. Such a batch is declared before its first write,
   * and every reader of the log waits for it to commit; a consumer that only projects
   * leaves this off and holds no reader back however long its batch takes.
   */
  appendsEvents?: boolean;
  logger: Logger;
  batchSize?: number;
  /**
   * How long a notification waits before the consumer reads, so the events committed
   * meanwhile share its batch. A projection nobody waits for by the millisecond sets this:
   * under load it then pays a batch's fixed cost a few times a second, not once per event.
   * Default 0 (read at once).
   */
  coalesceMs?: number;
  /**
   * The event types this consumer acts on: only their notifications wake it, and a run of
   * other events is passed over without a transaction (its saved position then trails them
   * until the next batch with a wanted one). Default every type.
   */
  wakeOn?: readonly EventType[];
  /** Poll interval: the safety net for missed notifications and in-flight horizons. */
  pollMs?: number;
}

/**
 * The `coalesceMs` of the projections (analytics, billing): their readers look at most
 * once a second, so a fifth of one buys batches instead of a transaction per event.
 */
export const PROJECTION_COALESCE_MS = 200;

/** A running consumer. */
export interface EventConsumer {
  /** Reads until caught up with what is committed now; resolves when done. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Consumes the events log from the consumer's saved position, woken by notifications and
 * by a timer, so nothing is lost while it is down.
 */
export async function startEventConsumer<DB>(options: EventConsumerOptions<DB>): Promise<EventConsumer> {
  const { name, db, logger } = options;
  const batchSize = options.batchSize ?? 200;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  /** The position this process last saw saved; another replica may have moved past it. */
  let seen: LogPosition | undefined;
  let coalescing: NodeJS.Timeout | undefined;
  const wakeOn = options.wakeOn ? new Set<string>(options.wakeOn) : undefined;
  const wakes = new WakeFilter((_tenant, type) => !wakeOn || wakeOn.has(type));

  async function drainOnce(): Promise<number> {
    // Many wake-ups find nothing new, or nothing this consumer wants: a read outside a
    // transaction says so in one round trip, and events it does not want are passed over in
    // memory (the saved position catches up with the next batch, whose handler skips them).
    // From a stale position it finds events another replica applied, and the batch below
    // reads again from the saved position.
    if (seen) {
      const ahead = await readEvents(db, seen, wakeOn ? batchSize : 1);
      const last = ahead[ahead.length - 1];
      if (!last) return 0;
      if (wakeOn && !ahead.some((event) => wakeOn.has(event.type))) {
        seen = { tx: last.tx, id: last.id };
        wakes.read(ahead);
        return ahead.length;
      }
    }
    const batch = await db.transaction().execute(async (trx) => {
      // Under the consumer's lock: two replicas reading the same position would apply a batch twice.
      const { position, events } = await openBatch(trx, name, batchSize, options.appendsEvents ?? false);
      const last = events[events.length - 1];
      if (!last) return { position, events };
      await options.handle(events, trx);
      const next = { tx: last.tx, id: last.id };
      await savePosition(trx, name, next);
      return { position: next, events };
    });
    // Only once committed: a batch rolled back is read again from where it started.
    seen = batch.position;
    wakes.read(batch.events);
    return batch.events.length;
  }

  function drain(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          while (!stopped && (await drainOnce()) === batchSize);
        } while (again && !stopped);
      } catch (error) {
        logger.error({ err: error, consumer: name }, "event consumer batch failed; will retry");
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  // Reconnects after a dropped connection and drains on every (re)connect: notifications
  // sent while it was down are lost, the events are not.
  const listener = createNotificationListener({
    connectionString: options.connectionString,
    channel: EVENTS_CHANNEL,
    name: `consumer:${name}`,
    logger,
    onNotification: (payload) => {
      if (!wakes.wake(payload)) return;
      const coalesceMs = options.coalesceMs ?? 0;
      if (coalesceMs <= 0) return void drain();
      coalescing ??= setTimeout(() => {
        coalescing = undefined;
        void drain();
      }, coalesceMs);
    },
    onListening: () => void drain(),
  });
  await listener.start();
  const timer = setInterval(() => void drain(), options.pollMs ?? 1000);
  timer.unref();
  await drain();

  return {
    drain,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(coalescing);
      await running;
      await listener.stop();
    },
  };
}
