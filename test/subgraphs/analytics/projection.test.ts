import { sql } from "kysely";
import { createDatabase } from "../../../lib/db/database";
import { withTenant } from "../../../lib/db/tenant";
import type { StoredEvent } from "../../../lib/events/event-types";
import { uuidv7 } from "../../../lib/ids";
import type { AnalyticsDatabase } from "../../../subgraphs/analytics/src/database";
import { projectEvent } from "../../../subgraphs/analytics/src/facts/analytics.projection";
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

function stored<E extends Pick<StoredEvent, "type" | "payload">>(event: E, at: string): StoredEvent {
  return { ...event, id: nextId++, tx: "1", occurredAt: new Date(at), producer: "test", tenantId: tenant, aggregateId: leadId } as StoredEvent;
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
      for (const event of events) await projectEvent(trx, event);
    });
    const first = await activity();
    expect(first.map((a) => a.kind)).toEqual(["CREATED", "STATUS_CHANGED"]);

    // Projected again (a rebuild after the rows were emptied): the same ids.
    await withTenant(db, tenant, async (trx) => {
      await trx.deleteFrom("analytics.lead_activity").where("lead_id", "=", leadId).execute();
      for (const event of events) await projectEvent(trx, event);
    });
    expect(await activity()).toEqual(first);

    const late = stored({ type: "LeadScored", payload: { scoreId: uuidv7(), value: 80, tier: "HOT", previousTier: null, modelVersion: "m", revision: 1 } }, "2026-02-02T00:00:00Z");
    await withTenant(db, tenant, async (trx) => {
      await projectEvent(trx, stored({ type: "LeadDeleted", payload: { ghlContactId: null } }, "2026-02-01T23:00:00Z"));
      await projectEvent(trx, late);
    });
    expect(await activity()).toEqual([]);
  });
});
