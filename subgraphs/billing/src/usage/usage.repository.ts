import { sql, type Kysely } from "kysely";
import type { BillingDatabase } from "../database";
import { isUsageMeter, type UsageMeter } from "./usage-meter";

type Db = Kysely<BillingDatabase>;

/** One metered log event, placed in the period it happened in. */
export interface MeteredEvent {
  eventId: number;
  meter: UsageMeter;
  periodStart: Date;
}

/**
 * Serializes usage recording against closing a period, per tenant: recorders share the
 * lock, a closer takes it alone. Without it, an event recorded into a period while that
 * period's invoice is being written would be counted in neither.
 */
export async function lockTenantUsage(db: Db, tenantId: string, mode: "record" | "close"): Promise<void> {
  const key = sql`hashtextextended(${`billing.usage:${tenantId}`}, 0)`;
  await (mode === "record" ? sql`select pg_advisory_xact_lock_shared(${key})` : sql`select pg_advisory_xact_lock(${key})`).execute(db);
}

/**
 * Counts a tenant's metered events, in one statement, each exactly once: an event id seen
 * before counts nothing, so replaying the log changes no counter. An event whose period is
 * already invoiced (it arrived after the close) counts in `currentPeriodStart` instead, so
 * usage is never lost to a closed invoice. Returns how many events were new.
 */
export async function recordUsage(db: Db, tenantId: string, events: readonly MeteredEvent[], currentPeriodStart: Date): Promise<number> {
  if (events.length === 0) return 0;
  const input = JSON.stringify(events.map((event) => ({ event_id: event.eventId, meter: event.meter, period_start: event.periodStart.toISOString() })));
  const { rows } = await sql<{ counted: number }>`
    with input as (
      select * from jsonb_to_recordset(${input}::jsonb) as e(event_id bigint, meter text, period_start timestamptz)
    ), placed as (
      select e.event_id, e.meter,
        case when exists (select 1 from billing.invoices i where i.tenant_id = ${tenantId} and i.period_start = e.period_start)
          then ${currentPeriodStart}::timestamptz else e.period_start end as period_start
      from input e
    ), inserted as (
      insert into billing.usage_events (event_id, tenant_id, meter, period_start)
      select event_id, ${tenantId}, meter, period_start from placed
      on conflict (event_id) do nothing
      returning meter, period_start
    ), counted as (
      insert into billing.usage_counters (tenant_id, period_start, meter, quantity)
      select ${tenantId}, period_start, meter, count(*)::int from inserted group by period_start, meter
      on conflict (tenant_id, period_start, meter) do update set quantity = billing.usage_counters.quantity + excluded.quantity
      returning quantity
    )
    select (select count(*)::int from inserted) as counted`.execute(db);
  return rows[0]?.counted ?? 0;
}

/** A tenant's usage in one period, by meter (meters without usage are absent). */
export async function usageInPeriod(db: Db, tenantId: string, periodStart: Date): Promise<Map<UsageMeter, number>> {
  const rows = await db
    .selectFrom("billing.usage_counters")
    .select(["meter", "quantity"])
    .where("tenant_id", "=", tenantId)
    .where("period_start", "=", periodStart)
    .execute();
  const usage = new Map<UsageMeter, number>();
  for (const { meter, quantity } of rows) if (isUsageMeter(meter)) usage.set(meter, quantity);
  return usage;
}
