import { sql, type Kysely } from "kysely";
import type { StoredEvent } from "../../../../lib/events/event-types";
import { isUuid, uuidv7From } from "../../../../lib/ids";
import { LeadStatus } from "../../../leads/src/lead/lead.enums";
import type { AnalyticsDatabase, LeadActivityTable } from "../database";
import { stageOf } from "./pipeline";

type Db = Kysely<AnalyticsDatabase>;
type Activity = Omit<LeadActivityTable, "id" | "tenant_id" | "lead_id" | "event_id" | "occurred_at">;

const NO_DETAIL: Activity = {
  kind: "",
  from_status: null,
  to_status: null,
  score: null,
  tier: null,
  previous_tier: null,
  channel: null,
  author: null,
  changed_fields: null,
};

/**
 * Adds an entry to the lead's timeline, keyed by the event (a replay adds nothing, and its id
 * is derived from the event, so a rebuild gives every entry its old id). A deleted lead's
 * timeline stays gone: an event that arrives after the deletion (a late score) adds nothing.
 */
async function recordActivity(db: Db, event: StoredEvent, detail: Partial<Activity> & { kind: string }): Promise<void> {
  const row = { ...NO_DETAIL, ...detail };
  await sql`
    insert into analytics.lead_activity
      (id, tenant_id, lead_id, event_id, kind, occurred_at, from_status, to_status, score, tier, previous_tier, channel, author, changed_fields)
    select ${uuidv7From(event.occurredAt.getTime(), event.id)}, ${event.tenantId}, ${event.aggregateId}, ${event.id}, ${row.kind}, ${event.occurredAt},
      ${row.from_status}, ${row.to_status}, ${row.score}, ${row.tier}, ${row.previous_tier}, ${row.channel}, ${row.author}, ${row.changed_fields}
    where not exists (
      select 1 from analytics.lead_facts
      where tenant_id = ${event.tenantId} and lead_id = ${event.aggregateId} and deleted_at is not null
    )
    on conflict (event_id) do nothing`.execute(db);
}

/**
 * Applies one log event to analytics' read models, in the caller's transaction with the
 * event's tenant set. Every write is idempotent (inserts keyed by lead or event id, updates
 * that are maxima, first values or the event's own values), so a replayed event changes
 * nothing and a rebuild from the start of the log converges on the same numbers.
 */
export async function projectEvent(db: Db, event: StoredEvent): Promise<void> {
  if (event.type === "WebhookProcessed") {
    const { webhookType, latencyMs, outcome } = event.payload;
    await db
      .insertInto("analytics.webhook_events")
      .values({ event_id: event.id, tenant_id: event.tenantId, webhook_type: webhookType, latency_ms: latencyMs, outcome, occurred_at: event.occurredAt })
      .onConflict((oc) => oc.column("event_id").doNothing())
      .execute();
    return;
  }
  // Everything else is about a lead, whose id is a uuid.
  if (!isUuid(event.aggregateId)) return;
  const leadId = event.aggregateId;
  const facts = db.updateTable("analytics.lead_facts").where("tenant_id", "=", event.tenantId).where("lead_id", "=", leadId);
  switch (event.type) {
    case "LeadCreated": {
      const { status, source } = event.payload.lead;
      await db
        .insertInto("analytics.lead_facts")
        .values({
          tenant_id: event.tenantId,
          lead_id: leadId,
          source,
          status,
          created_at: event.occurredAt,
          max_stage: Math.max(0, stageOf(status)),
          lost: status === LeadStatus.CLOSED_LOST,
          first_contact_at: null,
          score: null,
          tier: null,
          deleted_at: null,
        })
        .onConflict((oc) => oc.columns(["tenant_id", "lead_id"]).doNothing())
        .execute();
      await recordActivity(db, event, { kind: "CREATED", to_status: status });
      return;
    }
    case "LeadUpdated":
      await facts.set({ source: event.payload.lead.source }).execute();
      await recordActivity(db, event, { kind: "UPDATED", changed_fields: event.payload.changed });
      return;
    case "LeadStatusChanged": {
      const { from, to } = event.payload;
      await facts
        .set((eb) => ({
          status: to,
          max_stage: sql<number>`greatest(max_stage, ${stageOf(to)})`,
          lost: sql<boolean>`lost or ${to === LeadStatus.CLOSED_LOST}`,
          // The first move out of NEW is the first contact; a replay keeps the first value.
          first_contact_at: from === LeadStatus.NEW ? eb.fn.coalesce("first_contact_at", sql<Date>`${event.occurredAt}::timestamptz`) : eb.ref("first_contact_at"),
        }))
        .execute();
      await recordActivity(db, event, { kind: "STATUS_CHANGED", from_status: from, to_status: to });
      return;
    }
    case "LeadNoteAdded":
      await recordActivity(db, event, { kind: "NOTE_ADDED", author: event.payload.author });
      return;
    case "LeadScored": {
      const { value, tier, previousTier } = event.payload;
      await facts.set({ score: value, tier }).execute();
      await recordActivity(db, event, { kind: "SCORED", score: value, tier, previous_tier: previousTier });
      return;
    }
    case "LeadMessageReceived":
      await recordActivity(db, event, { kind: event.payload.direction === "INBOUND" ? "MESSAGE_RECEIVED" : "MESSAGE_SENT", channel: event.payload.channel });
      return;
    case "LeadDeleted":
      // The lead leaves every report; its timeline goes with it.
      await facts.set({ deleted_at: event.occurredAt }).execute();
      await db.deleteFrom("analytics.lead_activity").where("tenant_id", "=", event.tenantId).where("lead_id", "=", leadId).execute();
      return;
    case "MessageAnalyzed":
      return;
  }
}
