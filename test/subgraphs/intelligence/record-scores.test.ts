import { sql } from "kysely";
import { createDatabase } from "../../../lib/db/database";
import { withQueryCounter } from "../../../lib/db/query-counter";
import { withTenant } from "../../../lib/db/tenant";
import { uuidv7 } from "../../../lib/ids";
import type { IntelligenceDatabase } from "../../../subgraphs/intelligence/src/database";
import { createLeadEvaluator } from "../../../subgraphs/intelligence/src/evaluation/lead-evaluator";
import type { LeadFeatures } from "../../../subgraphs/intelligence/src/features/lead-features";
import { recordScores } from "../../../subgraphs/intelligence/src/score/score.service";
import { BuyingTimeline, FinancingStatus, LeadStatus } from "../../../subgraphs/leads/src/lead/lead.enums";
import { insertListings } from "../../helpers/fixtures";
import { testDatabaseUrls, uniqueTenant } from "../../helpers/stack";

const tenant = uniqueTenant("record-scores");
const db = createDatabase<IntelligenceDatabase>(testDatabaseUrls().app, { name: "record-scores-test" });
const owner = createDatabase<unknown>(testDatabaseUrls().owner, { name: "record-scores-owner", poolSize: 1 });
afterAll(() => Promise.all([db.destroy(), owner.destroy()]));

beforeAll(() => insertListings(db, tenant, [{ area: "Leander", price: 480_000, bedrooms: 3 }, { area: "Leander", price: 350_000, bedrooms: 4 }]));

/** A lead's features; a cash buyer ready now scores WARM, a browser without a budget COLD. */
function lead(keen: boolean, revision = 1): LeadFeatures {
  return {
    tenantId: tenant,
    leadId: uuidv7(),
    revision,
    leadVersion: revision,
    status: LeadStatus.NEW,
    financing: keen ? FinancingStatus.CASH : FinancingStatus.NOT_STARTED,
    timeline: keen ? BuyingTimeline.IMMEDIATE : BuyingTimeline.JUST_BROWSING,
    budgetMin: null,
    budgetMax: keen ? 500_000 : null,
    bedroomsMin: 3,
    preferredAreas: ["Leander"],
    propertyTypes: [],
    doNotContact: false,
    inboundMessages: 0,
    latestIntent: null,
    latestUrgency: null,
    extracted: { budgetMax: null, bedrooms: null, areas: [], timeline: null },
  };
}

async function record(leads: readonly LeadFeatures[]): Promise<{ leadIds: string[]; statements: number }> {
  const { result, count } = withQueryCounter(() => withTenant(db, tenant, (trx) => recordScores(trx, createLeadEvaluator(db), tenant, leads)));
  const rows = await result;
  return { leadIds: [...rows.keys()], statements: count.statements };
}

async function scoredEvents(leadIds: readonly string[]): Promise<{ aggregate_id: string; tier: string; previous_tier: string | null }[]> {
  const { rows } = await sql<{ aggregate_id: string; tier: string; previous_tier: string | null }>`
    select aggregate_id, payload->>'tier' as tier, payload->>'previousTier' as previous_tier
    from events.log where tenant_id = ${tenant} and type = 'LeadScored' and aggregate_id = any(${[...leadIds]}::text[]) order by id`.execute(owner);
  return rows;
}

describe("recordScores", () => {
  it("announces each score with its lead's previous tier, in the order of the leads", async () => {
    const leads = [lead(true), lead(false), lead(true)];
    const ids = leads.map((l) => l.leadId);
    expect((await record(leads)).leadIds).toEqual(ids);
    // The same leads again, moved to the other tier, in another order.
    const again = [leads[2]!, leads[0]!, leads[1]!].map((l) => ({ ...lead(l.financing !== FinancingStatus.CASH, 2), leadId: l.leadId }));
    expect((await record(again)).leadIds).toEqual(again.map((l) => l.leadId));

    expect(await scoredEvents(ids)).toEqual([
      { aggregate_id: ids[0], tier: "WARM", previous_tier: null },
      { aggregate_id: ids[1], tier: "COLD", previous_tier: null },
      { aggregate_id: ids[2], tier: "WARM", previous_tier: null },
      { aggregate_id: ids[2], tier: "COLD", previous_tier: "WARM" },
      { aggregate_id: ids[0], tier: "COLD", previous_tier: "WARM" },
      { aggregate_id: ids[1], tier: "WARM", previous_tier: "COLD" },
    ]);
  });

  it("takes the same statements for 30 leads as for one", async () => {
    const one = await record([lead(true)]);
    const many = await record(Array.from({ length: 30 }, (_, i) => lead(i % 2 === 0)));
    // Begin with the tenant binding, the market count, the candidates, the scores with their leads' previous tiers, the events, commit.
    expect(one.statements).toBe(6);
    expect(many.statements).toBe(one.statements);
  });
});
