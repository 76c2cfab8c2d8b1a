import pg from "pg";
import type { Logger } from "../logger";

/** Options for {@link createNotificationListener}. */
export interface NotificationListenerOptions {
  connectionString: string;
  /** The Postgres channel to `LISTEN` on. */
  channel: string;
  /** Names the listener in errors. */
  name: string;
  logger: Logger;
  /** Called with each notification's payload (`""` when it has none). */
  onNotification(payload: string): void;
  /**
   * Called each time the listener is listening, first start and every reconnection:
   * notifications sent while it was disconnected are lost, so this is where to catch up.
   */
  onListening?(): void;
  /** Pause before reconnecting after the connection is lost (the shortest of its listeners' applies). */
  reconnectMs?: number;
}

/** A `LISTEN` registration on its process' shared connection, connected on first use and kept up until stopped. */
export interface NotificationListener {
  /** Connects and listens, once; resolves when listening (rejects if the first try fails, so a later call tries again). */
  start(): Promise<void>;
  /** Stops listening; the shared connection ends with its last listener. */
  stop(): Promise<void>;
}

/** One started listener, as its shared connection sees it. */
interface Registration {
  channel: string;
  onNotification(payload: string): void;
  onListening?(): void;
}

/**
 * One `LISTEN` connection per database for the whole process. Postgres signals every
 * listening backend of a database on every commit that notifies, whatever the channel, so
 * each extra connection costs a backend wake-up (and one of this process) per event: with
 * every piece in one process (`npm start`) that was six per event instead of one.
 */
interface SharedConnection {
  connectionString: string;
  registrations: Set<Registration>;
  client: pg.Client | undefined;
  /** Channels `LISTEN`ed on the current client. */
  channels: Set<string>;
  connecting: Promise<void> | undefined;
  reconnectTimer: NodeJS.Timeout | undefined;
  reconnectMs: number;
  logger: Logger;
}

const sharedConnections = new Map<string, SharedConnection>();

async function listenOn(shared: SharedConnection, client: pg.Client, channel: string): Promise<void> {
  if (shared.channels.has(channel)) return;
  await client.query(`listen ${client.escapeIdentifier(channel)}`);
  shared.channels.add(channel);
}

async function connectShared(shared: SharedConnection): Promise<void> {
  const next = new pg.Client({ connectionString: shared.connectionString, application_name: "listen" });
  next.on("notification", (message) => {
    for (const registration of shared.registrations) {
      if (registration.channel === message.channel) registration.onNotification(message.payload ?? "");
    }
  });
  next.on("error", (error) => shared.logger.warn({ err: error }, "notification connection error"));
  next.on("end", () => {
    if (shared.client !== next) return;
    shared.client = undefined;
    shared.channels.clear();
    if (shared.registrations.size > 0) scheduleReconnect(shared);
  });
  await next.connect();
  shared.channels.clear();
  try {
    for (const registration of shared.registrations) await listenOn(shared, next, registration.channel);
  } catch (error) {
    await next.end().catch(() => undefined);
    throw error;
  }
  if (shared.registrations.size === 0) {
    await next.end();
    return;
  }
  shared.client = next;
  for (const registration of shared.registrations) registration.onListening?.();
}

/** Connects, or joins the connection on its way: one client per shared connection, ever. */
function ensureConnected(shared: SharedConnection): Promise<void> {
  if (shared.client) return Promise.resolve();
  shared.connecting ??= connectShared(shared).finally(() => (shared.connecting = undefined));
  return shared.connecting;
}

function scheduleReconnect(shared: SharedConnection): void {
  if (shared.reconnectTimer || shared.registrations.size === 0) return;
  shared.logger.warn({ retryInMs: shared.reconnectMs }, "notification connection lost; reconnecting");
  shared.reconnectTimer = setTimeout(() => {
    shared.reconnectTimer = undefined;
    ensureConnected(shared).catch((error: unknown) => {
      shared.logger.warn({ err: error }, "notification reconnection failed");
      scheduleReconnect(shared);
    });
  }, shared.reconnectMs);
  shared.reconnectTimer.unref();
}

/** Adds a registration to its connection: connects it when it is the first, else listens on its channel. */
async function register(shared: SharedConnection, registration: Registration): Promise<void> {
  shared.registrations.add(registration);
  try {
    if (!shared.client) {
      // A connection on its way listens on every channel registered by the time it is up,
      // and tells each registration it is listening.
      await ensureConnected(shared);
      if (!shared.client) throw new Error("the notification connection closed while starting");
      return;
    }
    await listenOn(shared, shared.client, registration.channel);
    registration.onListening?.();
  } catch (error) {
    shared.registrations.delete(registration);
    throw error;
  }
}

async function unregister(shared: SharedConnection, registration: Registration): Promise<void> {
  shared.registrations.delete(registration);
  if (shared.registrations.size > 0) return;
  sharedConnections.delete(shared.connectionString);
  clearTimeout(shared.reconnectTimer);
  shared.reconnectTimer = undefined;
  await shared.connecting?.catch(() => undefined);
  const client = shared.client;
  shared.client = undefined;
  await client?.end();
}

/**
 * Creates a `LISTEN` registration on the process' shared connection to the database, which
 * reconnects when the connection drops (a Postgres restart, a failover): a notification is
 * delivered only to connections listening at commit, so one that stayed down would silently
 * miss every later one, and every registration is told (`onListening`) after each reconnection.
 */
export function createNotificationListener(options: NotificationListenerOptions): NotificationListener {
  const registration: Registration = { channel: options.channel, onNotification: options.onNotification, ...(options.onListening ? { onListening: options.onListening } : {}) };
  let shared: SharedConnection | undefined;
  let starting: Promise<void> | undefined;
  let stopped = false;
  return {
    start() {
      if (stopped) return Promise.reject(new Error(`notification listener ${options.name} is stopped`));
      starting ??= (async () => {
        const { connectionString } = options;
        shared = sharedConnections.get(connectionString);
        if (!shared) {
          shared = { connectionString, registrations: new Set(), client: undefined, channels: new Set(), connecting: undefined, reconnectTimer: undefined, reconnectMs: options.reconnectMs ?? 1000, logger: options.logger };
          sharedConnections.set(connectionString, shared);
        }
        shared.reconnectMs = Math.min(shared.reconnectMs, options.reconnectMs ?? 1000);
        await register(shared, registration);
      })().catch((error: unknown) => {
        starting = undefined;
        if (shared && shared.registrations.size === 0) void unregister(shared, registration);
        throw error;
      });
      return starting;
    },
    async stop() {
      stopped = true;
      await starting?.catch(() => undefined);
      if (shared?.registrations.has(registration)) await unregister(shared, registration);
    },
  };
}
