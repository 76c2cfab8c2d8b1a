import pg from "pg";
import type { Logger } from "../logger";

/** Options for {@link createNotificationListener}. */
export interface NotificationListenerOptions {
  connectionString: string;
  /** The Postgres channel to `LISTEN` on. */
  channel: string;
  /** Names the connection (`application_name`) and the log lines. */
  name: string;
  logger: Logger;
  /** Called with each notification's payload (`""` when it has none). */
  onNotification(payload: string): void;
  /**
   * Called each time the listener is listening, first start and every reconnection:
   * notifications sent while it was disconnected are lost, so this is where to catch up.
   */
  onListening?(): void;
  /** Pause before reconnecting after the connection is lost. */
  reconnectMs?: number;
}

/** A dedicated `LISTEN` connection, connected on first use and kept up until stopped. */
export interface NotificationListener {
  /** Connects and listens, once; resolves when listening (rejects if the first try fails, so a later call tries again). */
  start(): Promise<void>;
  /** Ends the connection and any pending reconnection. */
  stop(): Promise<void>;
}

/**
 * Creates a `LISTEN` connection that reconnects when the connection drops (a Postgres
 * restart, a failover): a notification is delivered only to connections listening at
 * commit, so one that stays down would silently miss every later one.
 */
export function createNotificationListener(options: NotificationListenerOptions): NotificationListener {
  const { logger, name } = options;
  const reconnectMs = options.reconnectMs ?? 1000;
  let client: pg.Client | undefined;
  let starting: Promise<void> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: options.connectionString, application_name: name });
    next.on("notification", (message) => {
      if (message.channel === options.channel) options.onNotification(message.payload ?? "");
    });
    next.on("error", (error) => logger.warn({ err: error, listener: name }, "notification connection error"));
    next.on("end", () => {
      if (client !== next) return;
      client = undefined;
      if (!stopped) scheduleReconnect();
    });
    await next.connect();
    try {
      await next.query(`listen ${next.escapeIdentifier(options.channel)}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (stopped) {
      await next.end();
      return;
    }
    client = next;
    options.onListening?.();
  }

  function scheduleReconnect(): void {
    if (reconnectTimer || stopped) return;
    logger.warn({ listener: name, retryInMs: reconnectMs }, "notification connection lost; reconnecting");
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect().catch((error: unknown) => {
        logger.warn({ err: error, listener: name }, "notification reconnection failed");
        scheduleReconnect();
      });
    }, reconnectMs);
    reconnectTimer.unref();
  }

  return {
    start() {
      if (stopped) return Promise.reject(new Error(`notification listener ${name} is stopped`));
      starting ??= connect().catch((error: unknown) => {
        starting = undefined;
        throw error;
      });
      return starting;
    },
    async stop() {
      stopped = true;
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      await starting?.catch(() => undefined);
      const current = client;
      client = undefined;
      await current?.end();
    },
  };
}
