import { sql, type Kysely, type Transaction } from "kysely";
import type { Logger } from "../logger";
import { EVENTS_CHANNEL, loadPosition, readEvents, savePosition } from "./event-log";
import { createNotificationListener } from "./notification-listener";
import type { StoredEvent } from "./event-types";

/** Options for {@link startEventConsumer}. */
export interface EventConsumerOptions<DB> {
  /** Unique consumer name; its position is stored under it. */
  name: string;
  db: Kysely<DB>;
  /** Connection string for the dedicated LISTEN connection. */
  connectionString: string;
  /**
   * Applies a batch. Runs in the transaction that also saves the new position, so a batch
   * is applied exactly once or not at all.
   */
  handle(events: readonly StoredEvent[], trx: Transaction<DB>): Promise<void>;
  logger: Logger;
  batchSize?: number;
  /** Poll interval: the safety net for missed notifications and in-flight horizons. */
  pollMs?: number;
}

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

  async function drainOnce(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      // Replicas of one consumer take turns: two reading the same position would apply a batch twice.
      await sql`select pg_advisory_xact_lock(hashtext(${`consumer:${name}`}))`.execute(trx);
      const position = await loadPosition(trx, name);
      const events = await readEvents(trx, position, batchSize);
      const last = events[events.length - 1];
      if (!last) return 0;
      await options.handle(events, trx);
      await savePosition(trx, name, { tx: last.tx, id: last.id });
      return events.length;
    });
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
    onNotification: () => void drain(),
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
      await running;
      await listener.stop();
    },
  };
}
