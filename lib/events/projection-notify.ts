import { sql, type QueryExecutorProvider } from "kysely";
import { isTenantId } from "../ids";
import type { Logger } from "../logger";
import { createNotificationListener } from "./notification-listener";

/**
 * Channel notified (on commit only) when a consumer has projected a batch: payload
 * `<consumer>:<tenant>`. Snapshots derived from a projection (dashboards, usage) wait for
 * this rather than for the event itself, which the projection may not have applied yet.
 */
export const PROJECTIONS_CHANNEL = "hub_projected";

/**
 * Announces, inside the consumer's transaction, that its projection changed for these
 * tenants. Postgres delivers it at commit to every listening instance, or never if the
 * batch rolls back; one statement whatever the number of tenants.
 */
export async function notifyProjected(trx: QueryExecutorProvider, consumer: string, tenants: Iterable<string>): Promise<void> {
  const list = [...new Set(tenants)];
  if (list.length === 0) return;
  await sql`select pg_notify(${PROJECTIONS_CHANNEL}, ${consumer} || ':' || tenant) from unnest(${list}::text[]) as tenant`.execute(trx);
}

/** A parsed projection notification. */
export interface ProjectionNotice {
  consumer: string;
  tenant: string;
}

/** Parses a notification payload; null when it is not `<consumer>:<tenant>` (tenant ids hold no colon). */
export function parseProjectionNotice(payload: unknown): ProjectionNotice | null {
  if (typeof payload !== "string") return null;
  const colon = payload.lastIndexOf(":");
  const consumer = payload.slice(0, colon);
  const tenant = payload.slice(colon + 1);
  return colon > 0 && isTenantId(tenant) ? { consumer, tenant } : null;
}

/** Who hears about one consumer's projections. */
export interface ProjectionObserver {
  /** The consumer committed a batch that touched this tenant. */
  projected(tenant: string): void;
  /** The listening connection was re-established: notifications may have been missed for any tenant. */
  resync(): void;
}

/** A process's listener for projection notifications. */
export interface ProjectionListener {
  /** Observes one consumer's projections, listening first if not yet; resolves once listening. Returns the way to stop observing. */
  observe(consumer: string, observer: ProjectionObserver): Promise<() => void>;
  stop(): Promise<void>;
}

/** Options for {@link createProjectionListener}. */
export interface ProjectionListenerOptions {
  connectionString: string;
  /** Names the listener in log lines ("analytics-projections"). */
  name: string;
  logger: Logger;
}

/** Creates a projection listener; it connects on the first `observe`. */
export function createProjectionListener(options: ProjectionListenerOptions): ProjectionListener {
  const observers = new Map<string, Set<ProjectionObserver>>();
  let listenedBefore = false;
  const notifications = createNotificationListener({
    connectionString: options.connectionString,
    channel: PROJECTIONS_CHANNEL,
    name: options.name,
    logger: options.logger,
    onNotification(payload) {
      const notice = parseProjectionNotice(payload);
      if (!notice) {
        options.logger.warn({ listener: options.name }, "malformed projection notification ignored");
        return;
      }
      for (const observer of observers.get(notice.consumer) ?? []) observer.projected(notice.tenant);
    },
    onListening() {
      // The first connection misses nothing; every later one may have.
      if (listenedBefore) for (const set of observers.values()) for (const observer of set) observer.resync();
      listenedBefore = true;
    },
  });
  return {
    async observe(consumer, observer) {
      await notifications.start();
      const set = observers.get(consumer) ?? new Set<ProjectionObserver>();
      observers.set(consumer, set);
      set.add(observer);
      return () => {
        set.delete(observer);
      };
    },
    stop: () => notifications.stop(),
  };
}
