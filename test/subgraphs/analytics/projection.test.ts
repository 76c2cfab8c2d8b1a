import { sql } from "kysely";
import { createDatabase } from "../../../lib/db/database";
import { withTenant } from "../../../lib/db/tenant";
import type { StoredEvent } from "../../../lib/events/event-types";
import { withQueryCounter } from "../../../lib/db/query-counter";
import { uuidv7, uuidv7From } from "../../../lib/ids";
import type { AnalyticsDatabase, LeadFactsTable } from "../../../subgraphs/analytics/src/database";
import { projectEvents } from "../../../subgraphs/analytics/src/facts/analytics.projection";
import { testDatabaseUrls, uniqueTenant } from "../../helpers/stack";

const tenant = uniqueTenant("projection");
const db = createDatabase<AnalyticsDatabase>(testDatabaseUrls().app, { name: "projection-test" });
const owner = createDatabase<unknown>(testDatabaseUrls().owner, { name: "projection-owner", poolSize: 1 });
afterAll(() => Promise.all([db.destroy(), owner.destroy()]));

const leadId = uuidv7();
// Positions far above anything the shared log hands out in a test run, so event ids never collide.
let nextId = 9_000_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
const snapshot = {
  ghlContactId: null, firstName: "Pat", lastName: "Lee", email: null, phone: null, source: "WEBSITE", status: "NEW" as const, tags: [],
  budgetMin: null, budgetMax: null, timeline: "UNKNOWN", financing: "UNKNOWN", propertyTypes: [], preferredAreas: [], bedroomsMin: null,
  assignedTo: null, doNotContact: false, dealValue: null, version: 1,
};

function stored<E extends Pick<StoredEvent, "type" | "payload">>(event: E, at: string, about: { tenantId?: string; aggregateId?: string } = {}): StoredEvent {
  return { ...event, id: nextId++, tx: "1", occurredAt: new Date(at), producer: "test", tenantId: about.tenantId ?? tenant, aggregateId: about.aggregateId ?? leadId } as StoredEvent;
}

async function activity(): Promise<{ id: string; kind: string }[]> {
  const { rows } = await sql<{ id: string; kind: string }>`select id, kind from analytics.lead_activity where lead_id = ${leadId} order by occurred_at`.execute(owner);
  return rows;
}

describe("analytics projection", () => {
  it("derives each timeline entry's id from its event, and a late event cannot bring back a deleted lead's timeline", async () => {
    const events = [
      stored({ type: "LeadCreated", payload: { lead: snapshot } }, "2026-02-01T10:00:00Z"),
      stored({ type: "LeadStatusChanged", payload: { from: "NEW", to: "CONTACTED", version: 2 } }, "2026-02-01T12:00:00Z"),
    ];
    await withTenant(db, tenant, async (trx) => {
      for (const event of events) await projectEvents(trx, tenant, [event]);
    });
    const first = await activity();
    expect(first.map((a) => a.kind)).toEqual(["CREATED", "STATUS_CHANGED"]);

    // Projected again (a rebuild after the rows were emptied): the same ids.
    await withTenant(db, tenant, async (trx) => {
      await trx.deleteFrom("analytics.lead_activity").where("lead_id", "=", leadId).execute();
      for (const event of events) await projectEvents(trx, tenant, [event]);
    });
    expect(await activity()).toEqual(first);

    const late = stored({ type: "LeadScored", payload: { scoreId: uuidv7(), value: 80, tier: "HOT", previousTier: null, modelVersion: "m", revision: 1 } }, "2026-02-02T00:00:00Z");
    await withTenant(db, tenant, async (trx) => {
      await projectEvents(trx, tenant, [stored({ type: "LeadDeleted", payload: { ghlContactId: null } }, "2026-02-01T23:00:00Z")]);
      await projectEvents(trx, tenant, [late]);
    });
    expect(await activity()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// A batch of many events, applied together
// ---------------------------------------------------------------------------------------

type Status = "NEW" | "CONTACTED" | "QUALIFIED" | "CLOSED_LOST";
type Tier = "HOT" | "WARM" | "COLD";

/** The events of one batch, for leads of one tenant; `T` is minutes past 10:00 on 2026-03-02. */
function batchScript(tenantId: string, leads: Record<"a" | "b" | "c" | "d" | "e" | "f" | "g" | "h" | "k", string>) {
  const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 10, minutes)).toISOString();
  const about = (aggregateId: string) => ({ tenantId, aggregateId });
  const created = (lead: string, minutes: number, status: Status, source: string) =>
    stored({ type: "LeadCreated", payload: { lead: { ...snapshot, status, source } } }, at(minutes), about(lead));
  const moved = (lead: string, minutes: number, from: Status, to: Status) =>
    stored({ type: "LeadStatusChanged", payload: { from, to, version: minutes } }, at(minutes), about(lead));
  const scored = (lead: string, minutes: number, value: number, tier: Tier, previousTier: Tier | null) =>
    stored({ type: "LeadScored", payload: { scoreId: uuidv7(), value, tier, previousTier, modelVersion: "m", revision: 1 } }, at(minutes), about(lead));
  const deleted = (lead: string, minutes: number) => stored({ type: "LeadDeleted", payload: { ghlContactId: null } }, at(minutes), about(lead));
  const note = (lead: string, minutes: number, author: string) => stored({ type: "LeadNoteAdded", payload: { noteId: uuidv7(), author } }, at(minutes), about(lead));
  const message = (lead: string, minutes: number, direction: "INBOUND" | "OUTBOUND", channel: string) =>
    stored({ type: "LeadMessageReceived", payload: { messageId: uuidv7(), direction, channel, body: "hi" } }, at(minutes), about(lead));
  const { a, b, c, d, e, f, g, h, k } = leads;
  return {
    /** E and K exist before the batch, each with its creation on its timeline. */
    before: [created(k, -1, "NEW", "REFERRAL"), created(e, 0, "NEW", "WEBSITE")],
    batch: [
      created(a, 1, "NEW", "WEBSITE"),
      created(b, 2, "CONTACTED", "ZILLOW"),
      stored({ type: "WebhookProcessed", payload: { webhookType: "ContactCreate", latencyMs: 12.5, outcome: "APPLIED" } }, at(2), about("wh-batch-1")),
      moved(a, 3, "NEW", "CONTACTED"),
      moved(e, 3, "NEW", "CONTACTED"),
      created(c, 4, "NEW", "REFERRAL"),
      scored(a, 5, 72, "WARM", null),
      moved(a, 6, "CONTACTED", "QUALIFIED"),
      note(b, 6, "sam"),
      moved(c, 7, "NEW", "CONTACTED"),
      stored({ type: "LeadUpdated", payload: { lead: { ...snapshot, source: "OPEN_HOUSE", version: 3 }, changed: ["source"] } }, at(8), about(c)),
      scored(c, 9, 40, "COLD", null),
      deleted(c, 10),
      deleted(e, 10),
      // Late: the facts take the score, the timeline stays gone.
      scored(c, 11, 41, "COLD", "COLD"),
      note(e, 11, "kim"),
      moved(a, 12, "QUALIFIED", "CLOSED_LOST"),
      message(a, 13, "INBOUND", "SMS"),
      message(b, 13, "OUTBOUND", "EMAIL"),
      stored({ type: "MessageAnalyzed", payload: { insightId: uuidv7(), provider: "local", intent: "BUYING", fallbackReason: null } }, at(13), about(a)),
      moved(a, 14, "CLOSED_LOST", "NEW"),
      // Out of NEW again: the first contact stays the first.
      moved(a, 15, "NEW", "CONTACTED"),
      // A lead analytics never saw created: no facts, but its timeline entry.
      scored(d, 16, 90, "HOT", null),
      note("not-a-lead", 16, "nobody"),
      stored({ type: "LeadUpdated", payload: { lead: { ...snapshot, source: "PAID_ADS", version: 4 }, changed: ["source", "tags"] } }, at(17), about(b)),
      // Before its creation a lead has no facts to change, but its timeline entry counts.
      scored(f, 18, 55, "WARM", null),
      created(f, 19, "NEW", "WEBSITE"),
      // Leads without facts: a deletion takes the entries before it, not those after.
      note(g, 19, "lee"),
      deleted(g, 20),
      deleted(h, 20),
      note(h, 21, "max"),
      // A creation read again changes nothing, and the events before it still count.
      moved(k, 21, "NEW", "QUALIFIED"),
      created(k, 22, "NEW", "WEBSITE"),
      scored(k, 23, 60, "WARM", null),
    ],
    at,
  };
}

type FactsRow = Omit<LeadFactsTable, "tenant_id">;

async function tenantRows(tenantId: string): Promise<{ facts: FactsRow[]; activity: Record<string, unknown>[]; webhooks: Record<string, unknown>[] }> {
  const facts = await sql<FactsRow>`
    select lead_id, source, status, created_at, max_stage, lost, first_contact_at, score, tier, deleted_at
    from analytics.lead_facts where tenant_id = ${tenantId} order by created_at`.execute(owner);
  const activity = await sql<Record<string, unknown>>`
    select id, lead_id, event_id, kind, occurred_at, from_status, to_status, score, tier, previous_tier, channel, author, changed_fields
    from analytics.lead_activity where tenant_id = ${tenantId} order by event_id`.execute(owner);
  const webhooks = await sql<Record<string, unknown>>`
    select event_id, webhook_type, latency_ms, outcome, occurred_at from analytics.webhook_events where tenant_id = ${tenantId}`.execute(owner);
  return { facts: facts.rows, activity: activity.rows, webhooks: webhooks.rows };
}

describe("analytics projection of a whole batch", () => {
  it("projects exactly the rows the events give one at a time, and a replay of the batch changes nothing", async () => {
    const together = uniqueTenant("projection-batch");
    const oneByOne = uniqueTenant("projection-single");
    for (const [tenantId, apply] of [
      [together, (trx: typeof db, events: StoredEvent[]) => projectEvents(trx, together, events)],
      [oneByOne, async (trx: typeof db, events: StoredEvent[]) => {
        for (const event of events) await projectEvents(trx, oneByOne, [event]);
      }],
    ] as const) {
      const leads = { a: uuidv7(), b: uuidv7(), c: uuidv7(), d: uuidv7(), e: uuidv7(), f: uuidv7(), g: uuidv7(), h: uuidv7(), k: uuidv7() };
      const { before, batch, at } = batchScript(tenantId, leads);
      await withTenant(db, tenantId, (trx) => projectEvents(trx, tenantId, before));
      await withTenant(db, tenantId, (trx) => apply(trx, batch));
      const rows = await tenantRows(tenantId);

      const date = (minutes: number) => new Date(at(minutes));
      const facts = (lead: string, row: Omit<FactsRow, "lead_id">): FactsRow => ({ lead_id: lead, ...row });
      expect(rows.facts).toEqual([
        facts(leads.k, { source: "REFERRAL", status: "QUALIFIED", created_at: date(-1), max_stage: 2, lost: false, first_contact_at: date(21), score: 60, tier: "WARM", deleted_at: null }),
        facts(leads.e, { source: "WEBSITE", status: "CONTACTED", created_at: date(0), max_stage: 1, lost: false, first_contact_at: date(3), score: null, tier: null, deleted_at: date(10) }),
        facts(leads.a, { source: "WEBSITE", status: "CONTACTED", created_at: date(1), max_stage: 2, lost: true, first_contact_at: date(3), score: 72, tier: "WARM", deleted_at: null }),
        facts(leads.b, { source: "PAID_ADS", status: "CONTACTED", created_at: date(2), max_stage: 1, lost: false, first_contact_at: null, score: null, tier: null, deleted_at: null }),
        facts(leads.c, { source: "OPEN_HOUSE", status: "CONTACTED", created_at: date(4), max_stage: 1, lost: false, first_contact_at: date(7), score: 41, tier: "COLD", deleted_at: date(10) }),
        facts(leads.f, { source: "WEBSITE", status: "NEW", created_at: date(19), max_stage: 0, lost: false, first_contact_at: null, score: null, tier: null, deleted_at: null }),
      ]);

      const event = (index: number) => batch[index]!;
      const entryOf = (source: StoredEvent, lead: string, kind: string, detail: Record<string, unknown> = {}) => ({
        id: uuidv7From(source.occurredAt.getTime(), source.id),
        lead_id: lead,
        event_id: source.id,
        kind,
        occurred_at: source.occurredAt,
        from_status: null,
        to_status: null,
        score: null,
        tier: null,
        previous_tier: null,
        channel: null,
        author: null,
        changed_fields: null,
        ...detail,
      });
      const entry = (index: number, lead: string, kind: string, detail: Record<string, unknown> = {}) => entryOf(event(index), lead, kind, detail);
      expect(rows.activity).toEqual([
        entryOf(before[0]!, leads.k, "CREATED", { to_status: "NEW" }),
        entry(0, leads.a, "CREATED", { to_status: "NEW" }),
        entry(1, leads.b, "CREATED", { to_status: "CONTACTED" }),
        entry(3, leads.a, "STATUS_CHANGED", { from_status: "NEW", to_status: "CONTACTED" }),
        entry(6, leads.a, "SCORED", { score: 72, tier: "WARM" }),
        entry(7, leads.a, "STATUS_CHANGED", { from_status: "CONTACTED", to_status: "QUALIFIED" }),
        entry(8, leads.b, "NOTE_ADDED", { author: "sam" }),
        entry(16, leads.a, "STATUS_CHANGED", { from_status: "QUALIFIED", to_status: "CLOSED_LOST" }),
        entry(17, leads.a, "MESSAGE_RECEIVED", { channel: "SMS" }),
        entry(18, leads.b, "MESSAGE_SENT", { channel: "EMAIL" }),
        entry(20, leads.a, "STATUS_CHANGED", { from_status: "CLOSED_LOST", to_status: "NEW" }),
        entry(21, leads.a, "STATUS_CHANGED", { from_status: "NEW", to_status: "CONTACTED" }),
        entry(22, leads.d, "SCORED", { score: 90, tier: "HOT" }),
        entry(24, leads.b, "UPDATED", { changed_fields: ["source", "tags"] }),
        entry(25, leads.f, "SCORED", { score: 55, tier: "WARM" }),
        entry(26, leads.f, "CREATED", { to_status: "NEW" }),
        entry(30, leads.h, "NOTE_ADDED", { author: "max" }),
        entry(31, leads.k, "STATUS_CHANGED", { from_status: "NEW", to_status: "QUALIFIED" }),
        entry(32, leads.k, "CREATED", { to_status: "NEW" }),
        entry(33, leads.k, "SCORED", { score: 60, tier: "WARM" }),
      ]);
      expect(rows.webhooks).toEqual([{ event_id: event(2).id, webhook_type: "ContactCreate", latency_ms: 12.5, outcome: "APPLIED", occurred_at: date(2) }]);

      // The whole history again, as one batch (a replay): nothing changes. Left out: F's score
      // from before its creation, which a replay would apply to the row that exists by then.
      await withTenant(db, tenantId, (trx) => projectEvents(trx, tenantId, [...before, ...batch.filter((_, index) => index !== 25)]));
      expect(await tenantRows(tenantId)).toEqual(rows);
    }
  });

  it("takes the same seven statements for a batch of 36 events as for one of 360", async () => {
    async function statementsFor(scripts: number): Promise<number> {
      const tenantId = uniqueTenant("projection-count");
      const events = Array.from({ length: scripts }, () => {
        const leads = { a: uuidv7(), b: uuidv7(), c: uuidv7(), d: uuidv7(), e: uuidv7(), f: uuidv7(), g: uuidv7(), h: uuidv7(), k: uuidv7() };
        const { before, batch } = batchScript(tenantId, leads);
        return [...before, ...batch];
      });
      const { result, count } = withQueryCounter(() => withTenant(db, tenantId, (trx) => projectEvents(trx, tenantId, events.flat())));
      await result;
      return count.statements;
    }
    const small = await statementsFor(1);
    const large = await statementsFor(10);
    // Begin with the tenant, the webhooks, new leads, their changes, deleted timelines, new entries, commit.
    expect(small).toBe(7);
    expect(large).toBe(small);
  });
});
