import { sql, type Insertable, type Kysely } from "kysely";
import type { StoredEvent } from "../../../../lib/events/event-types";
import { isUuid, uuidv7From } from "../../../../lib/ids";
import { LeadStatus } from "../../../leads/src/lead/lead.enums";
import type { AnalyticsDatabase, LeadActivityTable, LeadFactsTable, WebhookEventTable } from "../database";
import { stageOf } from "./pipeline";

type Db = Kysely<AnalyticsDatabase>;
type Activity = Omit<LeadActivityTable, "id" | "tenant_id" | "lead_id" | "event_id" | "occurred_at">;
type LeadEvent = Exclude<StoredEvent, { type: "WebhookProcessed" }>;
type LeadCreatedEvent = Extract<LeadEvent, { type: "LeadCreated" }>;

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

/** A timeline entry to add, keyed by its event. */
type ActivityRow = Omit<LeadActivityTable, "tenant_id">;

/**
 * What a batch does to one lead's facts row, folded in log order from the events that reach
 * the row. A null (or a false `lost`) leaves the column as it is; the rest combine with the
 * stored row as the events would one by one: the last value, the furthest stage, the first
 * first contact.
 */
interface FactsChange {
  lead_id: string;
  source: string | null;
  status: string | null;
  max_stage: number | null;
  lost: boolean;
  first_contact_at: Date | null;
  score: number | null;
  tier: string | null;
  deleted_at: Date | null;
}

/** Leads are keyed in lower case: Postgres reads a uuid in either case as the same lead. */
function leadOf(event: LeadEvent): string {
  return event.aggregateId.toLowerCase();
}

/** The timeline entry an event adds, or null for an event that adds none. */
function activityOf(event: LeadEvent): (Partial<Activity> & { kind: string }) | null {
  switch (event.type) {
    case "LeadCreated":
      return { kind: "CREATED", to_status: event.payload.lead.status };
    case "LeadUpdated":
      return { kind: "UPDATED", changed_fields: event.payload.changed };
    case "LeadStatusChanged":
      return { kind: "STATUS_CHANGED", from_status: event.payload.from, to_status: event.payload.to };
    case "LeadNoteAdded":
      return { kind: "NOTE_ADDED", author: event.payload.author };
    case "LeadScored":
      return { kind: "SCORED", score: event.payload.value, tier: event.payload.tier, previous_tier: event.payload.previousTier };
    case "LeadMessageReceived":
      return { kind: event.payload.direction === "INBOUND" ? "MESSAGE_RECEIVED" : "MESSAGE_SENT", channel: event.payload.channel };
    default:
      return null;
  }
}

/** Each lead's first `LeadCreated` of the batch, with its index in `events`: the only one that can create its row. */
function firstCreations(events: readonly LeadEvent[]): Map<string, { index: number; event: LeadCreatedEvent }> {
  const first = new Map<string, { index: number; event: LeadCreatedEvent }>();
  events.forEach((event, index) => {
    if (event.type === "LeadCreated" && !first.has(leadOf(event))) first.set(leadOf(event), { index, event });
  });
  return first;
}

/**
 * Folds the events that change facts into one change per lead. `created` holds the index of
 * the event that created a lead's row in this batch: the events before it found no row.
 */
function factsChanges(events: readonly LeadEvent[], created: ReadonlyMap<string, number>): FactsChange[] {
  const changes = new Map<string, FactsChange>();
  const changeOf = (leadId: string): FactsChange => {
    let change = changes.get(leadId);
    if (!change) {
      change = { lead_id: leadId, source: null, status: null, max_stage: null, lost: false, first_contact_at: null, score: null, tier: null, deleted_at: null };
      changes.set(leadId, change);
    }
    return change;
  };
  events.forEach((event, index) => {
    const leadId = leadOf(event);
    if (index <= (created.get(leadId) ?? -1)) return;
    switch (event.type) {
      case "LeadUpdated":
        changeOf(leadId).source = event.payload.lead.source;
        return;
      case "LeadStatusChanged": {
        const { from, to } = event.payload;
        const change = changeOf(leadId);
        change.status = to;
        change.max_stage = Math.max(change.max_stage ?? -1, stageOf(to));
        change.lost ||= to === LeadStatus.CLOSED_LOST;
        // The first move out of NEW is the first contact; a replay keeps the first value.
        if (from === LeadStatus.NEW) change.first_contact_at ??= event.occurredAt;
        return;
      }
      case "LeadScored": {
        const change = changeOf(leadId);
        change.score = event.payload.value;
        change.tier = event.payload.tier;
        return;
      }
      case "LeadDeleted":
        changeOf(leadId).deleted_at = event.occurredAt;
        return;
      default:
        return;
    }
  });
  return [...changes.values()];
}

/**
 * The timeline entries a batch adds. An entry whose lead is deleted later in the batch is
 * left out: the deletion takes the lead's timeline with it.
 */
function activityRows(events: readonly LeadEvent[]): ActivityRow[] {
  const lastDeletion = new Map<string, number>();
  events.forEach((event, index) => {
    if (event.type === "LeadDeleted") lastDeletion.set(leadOf(event), index);
  });
  return events.flatMap((event, index) => {
    const detail = activityOf(event);
    if (!detail || index < (lastDeletion.get(leadOf(event)) ?? -1)) return [];
    // The id is derived from the event, so a rebuild gives every entry its old id.
    return [{ ...NO_DETAIL, ...detail, id: uuidv7From(event.occurredAt.getTime(), event.id), lead_id: leadOf(event), event_id: event.id, occurred_at: event.occurredAt }];
  });
}

async function insertWebhookEvents(db: Db, rows: readonly Insertable<WebhookEventTable>[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto("analytics.webhook_events")
    .values([...rows])
    .onConflict((oc) => oc.column("event_id").doNothing())
    .execute();
}

/** Inserts the rows of leads new to analytics; returns the leads whose row this created. */
async function insertLeadFacts(db: Db, rows: readonly Insertable<LeadFactsTable>[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await db
    .insertInto("analytics.lead_facts")
    .values([...rows])
    .onConflict((oc) => oc.columns(["tenant_id", "lead_id"]).doNothing())
    .returning("lead_id")
    .execute();
  return new Set(inserted.map((row) => row.lead_id));
}

/** Applies each lead's folded change to its row, combined with the row as it stands (as one event at a time would). */
async function updateLeadFacts(db: Db, tenantId: string, changes: readonly FactsChange[]): Promise<void> {
  if (changes.length === 0) return;
  await sql`
    update analytics.lead_facts f set
      source = coalesce(c.source, f.source),
      status = coalesce(c.status, f.status),
      max_stage = greatest(f.max_stage, c.max_stage),
      lost = f.lost or c.lost,
      first_contact_at = coalesce(f.first_contact_at, c.first_contact_at),
      score = coalesce(c.score, f.score),
      tier = coalesce(c.tier, f.tier),
      deleted_at = coalesce(c.deleted_at, f.deleted_at)
    from jsonb_to_recordset(${JSON.stringify(changes)}::jsonb)
      as c(lead_id uuid, source text, status text, max_stage smallint, lost boolean, first_contact_at timestamptz, score smallint, tier text, deleted_at timestamptz)
    where f.tenant_id = ${tenantId} and f.lead_id = c.lead_id`.execute(db);
}

async function deleteTimelines(db: Db, tenantId: string, leadIds: readonly string[]): Promise<void> {
  if (leadIds.length === 0) return;
  await db.deleteFrom("analytics.lead_activity").where("tenant_id", "=", tenantId).where("lead_id", "in", [...leadIds]).execute();
}

/**
 * Adds timeline entries, keyed by event (a replay adds nothing). A deleted lead's timeline
 * stays gone: an entry for a lead whose row is marked deleted (a late score) is not added.
 * Runs after the facts are updated, so a deletion earlier in the batch counts.
 */
async function insertActivity(db: Db, tenantId: string, rows: readonly ActivityRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into analytics.lead_activity
      (id, tenant_id, lead_id, event_id, kind, occurred_at, from_status, to_status, score, tier, previous_tier, channel, author, changed_fields)
    select a.id, ${tenantId}, a.lead_id, a.event_id, a.kind, a.occurred_at, a.from_status, a.to_status, a.score, a.tier, a.previous_tier, a.channel, a.author, a.changed_fields
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as a(id uuid, lead_id uuid, event_id bigint, kind text, occurred_at timestamptz, from_status text, to_status text, score smallint, tier text,
        previous_tier text, channel text, author text, changed_fields text[])
    where not exists (
      select 1 from analytics.lead_facts f
      where f.tenant_id = ${tenantId} and f.lead_id = a.lead_id and f.deleted_at is not null
    )
    on conflict (event_id) do nothing`.execute(db);
}

/**
 * Applies a batch of one tenant's log events, in log order, to analytics' read models, in
 * the caller's transaction with that tenant set: at most five statements whatever the
 * batch's size. The result is exactly that of applying the events one at a time: a lead's
 * row is created by its first `LeadCreated` and changed only by the events after it; status
 * changes keep the furthest stage and the first contact; a deletion takes the lead's
 * timeline with it, and no later event brings it back.
 *
 * Every write is idempotent (inserts keyed by lead or event id, updates that are maxima,
 * first values or the events' own values), so a replayed event changes nothing and a
 * rebuild from the start of the log converges on the same numbers.
 */
export async function projectEvents(db: Db, tenantId: string, events: readonly StoredEvent[]): Promise<void> {
  const webhooks: Insertable<WebhookEventTable>[] = [];
  const leadEvents: LeadEvent[] = [];
  for (const event of events) {
    if (event.tenantId !== tenantId) throw new Error(`event ${event.id} is tenant ${event.tenantId}'s, not ${tenantId}'s`);
    if (event.type === "WebhookProcessed") {
      const { webhookType, latencyMs, outcome } = event.payload;
      webhooks.push({ event_id: event.id, tenant_id: tenantId, webhook_type: webhookType, latency_ms: latencyMs, outcome, occurred_at: event.occurredAt });
    } else if (isUuid(event.aggregateId)) {
      // Everything else is about a lead, whose id is a uuid.
      leadEvents.push(event);
    }
  }
  await insertWebhookEvents(db, webhooks);

  const creations = firstCreations(leadEvents);
  const created = await insertLeadFacts(
    db,
    [...creations.values()].map(({ event }) => {
      const { status, source } = event.payload.lead;
      return {
        tenant_id: tenantId,
        lead_id: leadOf(event),
        source,
        status,
        created_at: event.occurredAt,
        max_stage: Math.max(0, stageOf(status)),
        lost: status === LeadStatus.CLOSED_LOST,
        first_contact_at: null,
        score: null,
        tier: null,
        deleted_at: null,
      };
    }),
  );
  const createdAt = new Map([...creations].flatMap(([leadId, { index }]) => (created.has(leadId) ? [[leadId, index] as const] : [])));
  await updateLeadFacts(db, tenantId, factsChanges(leadEvents, createdAt));

  await deleteTimelines(db, tenantId, [...new Set(leadEvents.filter((event) => event.type === "LeadDeleted").map(leadOf))]);
  await insertActivity(db, tenantId, activityRows(leadEvents));
}
