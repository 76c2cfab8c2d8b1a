import type { Kysely } from "kysely";
import { setTransactionTenant } from "../../../lib/db/tenant";
import { PROJECTION_COALESCE_MS, startEventConsumer, type EventConsumer } from "../../../lib/events/event-consumer";
import { consumerLag } from "../../../lib/events/event-log";
import type { StoredEvent } from "../../../lib/events/event-types";
import { notifyProjected } from "../../../lib/events/projection-notify";
import type { Logger } from "../../../lib/logger";
import type { BillingDatabase } from "./database";
import { periodContaining } from "./period/billing-period";
import { lockTenantUsage, recordUsage, type MeteredEvent } from "./usage/usage.repository";
import { meterOf } from "./usage/usage-meter";

/** The consumer's name in the log's offsets table. */
export const BILLING_CONSUMER = "billing";

/**
 * Meters a batch of log events: each tenant's billed events in one statement, under that
 * tenant's row-level-security setting, in the transaction that saves the consumer's
 * position. Idempotent: an event already counted counts nothing. Tenants whose usage moved
 * are announced on commit, for live usage subscribers.
 */
export async function meterEvents(trx: Kysely<BillingDatabase>, events: readonly StoredEvent[], now: Date = new Date()): Promise<number> {
  const byTenant = new Map<string, MeteredEvent[]>();
  for (const event of events) {
    const meter = meterOf(event);
    if (meter === null) continue;
    const metered = byTenant.get(event.tenantId) ?? [];
    metered.push({ eventId: event.id, meter, periodStart: periodContaining(event.occurredAt).start });
    byTenant.set(event.tenantId, metered);
  }
  let counted = 0;
  const moved: string[] = [];
  const currentPeriodStart = periodContaining(now).start;
  for (const [tenantId, metered] of byTenant) {
    await setTransactionTenant(trx, tenantId);
    await lockTenantUsage(trx, tenantId, "record");
    const recorded = await recordUsage(trx, tenantId, metered, currentPeriodStart);
    if (recorded > 0) moved.push(tenantId);
    counted += recorded;
  }
  await notifyProjected(trx, BILLING_CONSUMER, moved);
  return counted;
}

/** Starts metering the events log into billing's usage counters. */
export function startBillingConsumer(
  db: Kysely<BillingDatabase>,
  connectionString: string,
  logger: Logger,
  options: { pollMs?: number } = {},
): Promise<EventConsumer> {
  return startEventConsumer<BillingDatabase>({
    name: BILLING_CONSUMER,
    db,
    connectionString,
    logger,
    coalesceMs: PROJECTION_COALESCE_MS,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    handle: async (events, trx) => void (await meterEvents(trx, events)),
  });
}

/**
 * Whether every event that happened before `instant` has been metered: a period can be
 * closed only then, or its invoice would miss usage still in the log.
 */
export async function usageSettledBefore(db: Kysely<BillingDatabase>, instant: Date): Promise<boolean> {
  const lag = await consumerLag(db, BILLING_CONSUMER);
  return lag.oldestUnreadAt === null || lag.oldestUnreadAt.getTime() >= instant.getTime();
}
