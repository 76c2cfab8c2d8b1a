import { sql } from "kysely";
import { Role } from "../../lib/auth/roles";
import type { RequestStats } from "../../lib/http/graphql-http";
import { eventually } from "../helpers/eventually";
import { insertLeads, insertListings } from "../helpers/fixtures";
import { bearer, graphql, startStack, uniqueTenant, type TestStack } from "../helpers/stack";

const tenant = uniqueTenant("nplus1");
let warm: TestStack;
let cold: TestStack;

beforeAll(async () => {
  // One stack caching as in production, one whose intelligence computes every read afresh.
  [warm, cold] = await Promise.all([startStack(), startStack({}, { cacheTtlMs: 1 })]);
  await insertListings(
    warm.intelligenceDb,
    tenant,
    Array.from({ length: 40 }, (_, i) => ({ area: i % 2 ? "Round Rock" : "Cedar Park", price: 250_000 + i * 5_000, bedrooms: 2 + (i % 3) })),
  );
  await insertLeads(warm.appDb, tenant, 100, 3, { announce: true });
  // Every lead scored: intelligence has read all 100 LeadCreated events.
  await eventually(async () => {
    const { rows } = await sql<{ n: number }>`select count(distinct lead_id)::int as n from intelligence.scores where tenant_id = ${tenant}`.execute(warm.ownerDb);
    expect(rows[0]!.n).toBe(100);
  }, 30_000);
});
afterAll(() => Promise.all([warm.stop(), cold.stop()]));

const NOTES_PAGE = `query Page($n: Int!) {
  leads(first: $n) {
    totalCount
    nodes { id fullName notes(first: 2) { totalCount nodes { body author } } }
  }
}`;

const FEDERATED_PAGE = `query Page($n: Int!) {
  leads(first: $n) {
    nodes {
      fullName
      score { value tier }
      propertyMatches(first: 3) { nodes { property { address price } } }
    }
  }
}`;

type Page = { leads: { nodes: { notes?: { nodes: unknown[] }; score?: { value: number } | null; propertyMatches?: { nodes: unknown[] } }[] } };

/** Statements each subgraph issued for one request of `pageSize` leads. */
async function statementsFor(stack: TestStack, query: string, pageSize: number): Promise<{ leads: number; intelligence: number; page: Page }> {
  stack.leadsRequests.length = 0;
  stack.intelligenceRequests.length = 0;
  const response = await graphql<Page>(stack.gatewayUrl, query, { n: pageSize }, bearer(await stack.token(tenant, Role.VIEWER)));
  expect(response.errors).toBeUndefined();
  expect(response.data?.leads.nodes).toHaveLength(pageSize);
  const total = (requests: RequestStats[]) => requests.reduce((sum, r) => sum + r.sqlStatements, 0);
  return { leads: total(stack.leadsRequests), intelligence: total(stack.intelligenceRequests), page: response.data! };
}

describe("SQL statements per request", () => {
  it("do not grow with page size (10 vs 100 leads, each with notes)", async () => {
    const small = await statementsFor(warm, NOTES_PAGE, 10);
    const large = await statementsFor(warm, NOTES_PAGE, 100);
    expect(large.page.leads.nodes.every((lead) => lead.notes?.nodes.length === 2)).toBe(true);
    expect(small.leads).toBeGreaterThan(0);
    expect(large.leads).toBe(small.leads);
  });

  it.each([
    ["with warm caches", () => warm],
    ["computing every match afresh", () => cold],
  ])("do not grow with page size in each subgraph for a federated page with scores and matches (%s)", async (_label, stackOf) => {
    const stack = stackOf();
    // The first read of each size warms whatever cache there is; the second is what is measured.
    await statementsFor(stack, FEDERATED_PAGE, 5);
    await statementsFor(stack, FEDERATED_PAGE, 50);
    const small = await statementsFor(stack, FEDERATED_PAGE, 5);
    const large = await statementsFor(stack, FEDERATED_PAGE, 50);
    expect(large.page.leads.nodes.every((lead) => lead.score !== null && (lead.propertyMatches?.nodes.length ?? 0) > 0)).toBe(true);
    expect(small.intelligence).toBeGreaterThan(0);
    expect(large.leads).toBe(small.leads);
    expect(large.intelligence).toBe(small.intelligence);
  });

  it("computing afresh costs one more batch than a cache hit, not one per lead", async () => {
    await statementsFor(warm, FEDERATED_PAGE, 50);
    const hit = await statementsFor(warm, FEDERATED_PAGE, 50);
    const miss = await statementsFor(cold, FEDERATED_PAGE, 50);
    // begin with the tenant binding, the candidates query, commit.
    expect(miss.intelligence - hit.intelligence).toBe(3);
  });
});
