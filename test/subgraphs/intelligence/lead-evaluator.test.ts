import { withQueryCounter } from "../../../lib/db/query-counter";
import { createDatabase } from "../../../lib/db/database";
import { uuidv7 } from "../../../lib/ids";
import type { IntelligenceDatabase } from "../../../subgraphs/intelligence/src/database";
import { createLeadEvaluator } from "../../../subgraphs/intelligence/src/evaluation/lead-evaluator";
import type { LeadFeatures } from "../../../subgraphs/intelligence/src/features/lead-features";
import { BuyingTimeline, FinancingStatus, LeadStatus } from "../../../subgraphs/leads/src/lead/lead.enums";
import { insertListings } from "../../helpers/fixtures";
import { testDatabaseUrls, uniqueTenant } from "../../helpers/stack";

const tenant = uniqueTenant("evaluator");
const db = createDatabase<IntelligenceDatabase>(testDatabaseUrls().app, { name: "evaluator-test" });
afterAll(() => db.destroy());

function lead(revision: number, budgetMax: number | null = 500_000): LeadFeatures {
  return {
    tenantId: tenant,
    leadId: LEAD_ID,
    revision,
    leadVersion: revision,
    status: LeadStatus.NEW,
    financing: FinancingStatus.PRE_APPROVED,
    timeline: BuyingTimeline.WITHIN_3_MONTHS,
    budgetMin: null,
    budgetMax,
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
const LEAD_ID = uuidv7();

/** Runs `fn` and returns its result with the statements it sent. */
async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; statements: number }> {
  const { result, count } = withQueryCounter(fn);
  const value = await result;
  return { value, statements: count.statements };
}

beforeAll(() => insertListings(db, tenant, [{ area: "Leander", price: 480_000, bedrooms: 3 }, { area: "Leander", price: 350_000, bedrooms: 4 }, { area: "Leander", price: 900_000, bedrooms: 3 }]));

describe("lead evaluator cache", () => {
  it("computes a lead's matches once per revision; reading them again sends no SQL", async () => {
    const evaluator = createLeadEvaluator(db);
    const first = await counted(() => evaluator.matches(tenant, [lead(1)]));
    expect(first.statements).toBeGreaterThan(0);
    expect(first.value.get(LEAD_ID)!.map((m) => m.listing.price)).toEqual([480_000, 350_000]);

    const again = await counted(() => evaluator.matches(tenant, [lead(1)]));
    expect(again.statements).toBe(0);
    expect(again.value.get(LEAD_ID)).toBe(first.value.get(LEAD_ID));
    expect(evaluator.caches.matches.stats).toEqual({ hits: 1, misses: 1 });

    // A new revision is a new key: recomputed, and with the lead's new budget.
    const revised = await counted(() => evaluator.matches(tenant, [lead(2, 1_000_000)]));
    expect(revised.statements).toBeGreaterThan(0);
    expect(revised.value.get(LEAD_ID)!.map((m) => m.listing.price)).toContain(900_000);
  });

  it("keys the cache by what the lead's features say, not by its revision number alone", async () => {
    const evaluator = createLeadEvaluator(db);
    await evaluator.matches(tenant, [lead(7)]);
    // Two writers racing on one lead may evaluate different features under the same next revision.
    const other = await evaluator.matches(tenant, [{ ...lead(7), budgetMax: 1_000_000 }]);
    expect(other.get(LEAD_ID)!.map((m) => m.listing.price)).toContain(900_000);
  });

  it("caches scores by revision too, unless a fresh score is asked for", async () => {
    const evaluator = createLeadEvaluator(db);
    const first = await counted(() => evaluator.scores(tenant, [lead(1)]));
    const again = await counted(() => evaluator.scores(tenant, [lead(1)]));
    expect(first.statements).toBeGreaterThan(0);
    expect(again.statements).toBe(0);
    expect(again.value.get(LEAD_ID)).toEqual(first.value.get(LEAD_ID));
    const fresh = await counted(() => evaluator.scores(tenant, [lead(1)], { fresh: true }));
    expect(fresh.statements).toBeGreaterThan(0);
  });

  it("expires entries after the TTL, so listing changes reach cached leads", async () => {
    const evaluator = createLeadEvaluator(db, { cacheTtlMs: 20 });
    await evaluator.matches(tenant, [lead(1)]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    const later = await counted(() => evaluator.matches(tenant, [lead(1)]));
    expect(later.statements).toBeGreaterThan(0);
  });

  it("scores leads without a maximum budget without a statement: they afford nothing", async () => {
    const evaluator = createLeadEvaluator(db);
    const { value, statements } = await counted(() => evaluator.scores(tenant, [lead(1, null)]));
    expect(statements).toBe(0);
    expect(value.get(LEAD_ID)!.factors.find((f) => f.name === "BUDGET_FIT")!.points).toBe(0);
  });

  it("scores and matches many leads with one statement batch each", async () => {
    const evaluator = createLeadEvaluator(db);
    const leads = Array.from({ length: 30 }, (_, i) => ({ ...lead(1), leadId: uuidv7(), revision: i + 1 }));
    const { value, statements } = await counted(() => evaluator.evaluate(tenant, leads));
    expect(value.size).toBe(30);
    // Two tenant transactions (begin with the tenant binding, query, commit): scores' market count and matches' candidates.
    expect(statements).toBe(6);
  });
});
