import type { Kysely } from "kysely";
import { Gauge } from "prom-client";
import { setTransactionTenant } from "../../../lib/db/tenant";
import { PROJECTION_COALESCE_MS, startEventConsumer, type EventConsumer } from "../../../lib/events/event-consumer";
import { consumerLag, type ConsumerLag } from "../../../lib/events/event-log";
import type { StoredEvent } from "../../../lib/events/event-types";
import { notifyProjected } from "../../../lib/events/projection-notify";
import type { Logger } from "../../../lib/logger";
import { metricsRegistry } from "../../../lib/metrics";
import type { AnalyticsDatabase } from "./database";
import { projectEvents } from "./facts/analytics.projection";

/** The consumer's name in the log's offsets table. */
export const ANALYTICS_CONSUMER = "analytics";

/**
 * Projects the events log into analytics' tables, each batch in the transaction that saves
 * the consumer's position (so a batch counts exactly once), each tenant's events together
 * under its row-level-security setting. The batch's tenants are announced on commit, so live
 * dashboards are recomputed from the projection once it holds the batch.
 */
export function startAnalyticsConsumer(
  db: Kysely<AnalyticsDatabase>,
  connectionString: string,
  logger: Logger,
  options: { pollMs?: number } = {},
): Promise<EventConsumer> {
  return startEventConsumer<AnalyticsDatabase>({
    name: ANALYTICS_CONSUMER,
    db,
    connectionString,
    logger,
    coalesceMs: PROJECTION_COALESCE_MS,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    async handle(events, trx) {
      // Tenants' rows are disjoint, so only the order within a tenant matters.
      const byTenant = new Map<string, StoredEvent[]>();
      for (const event of events) {
        const list = byTenant.get(event.tenantId) ?? [];
        list.push(event);
        byTenant.set(event.tenantId, list);
      }
      for (const [tenantId, tenantEvents] of byTenant) {
        await setTransactionTenant(trx, tenantId);
        await projectEvents(trx, tenantId, tenantEvents);
      }
      await notifyProjected(trx, ANALYTICS_CONSUMER, byTenant.keys());
    },
  });
}

/** How far analytics trails the log: events not yet projected, and the age of the oldest. */
export async function analyticsLag(db: Kysely<AnalyticsDatabase>, now: Date = new Date()): Promise<ConsumerLag & { secondsBehind: number }> {
  const lag = await consumerLag(db, ANALYTICS_CONSUMER);
  const secondsBehind = lag.oldestUnreadAt ? Math.max(0, (now.getTime() - lag.oldestUnreadAt.getTime()) / 1000) : 0;
  return { ...lag, secondsBehind };
}

const LAG_GAUGES = {
  analytics_consumer_lag_events: { help: "Events in the log that analytics has not projected yet", read: (lag: { eventsBehind: number }) => lag.eventsBehind },
  analytics_consumer_lag_seconds: { help: "Age of the oldest event analytics has not projected yet, in seconds", read: (lag: { secondsBehind: number }) => lag.secondsBehind },
} as const;

/**
 * Registers the lag gauges, measured when Prometheus scrapes `/metrics` (not on a timer,
 * so an idle process queries nothing). Returns a function that unregisters them.
 */
export function registerLagMetrics(db: Kysely<AnalyticsDatabase>, logger: Logger): () => void {
  for (const [name, { help, read }] of Object.entries(LAG_GAUGES)) {
    metricsRegistry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [metricsRegistry],
      async collect() {
        try {
          this.set(read(await analyticsLag(db)));
        } catch (error) {
          logger.warn({ err: error }, "could not measure analytics lag");
        }
      },
    });
  }
  return () => Object.keys(LAG_GAUGES).forEach((name) => metricsRegistry.removeSingleMetric(name));
}
