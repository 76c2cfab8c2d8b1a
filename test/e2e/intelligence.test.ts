import { sql } from "kysely";
import { Role } from "../../lib/auth/roles";
import { withTenant } from "../../lib/db/tenant";
import { appendEvent } from "../../lib/events/event-log";
import { uuidv7 } from "../../lib/ids";
import { eventually } from "../helpers/eventually";
import { insertListings } from "../helpers/fixtures";
import { bearer, graphql, startStack, uniqueTenant, type GraphQLResponse, type TestStack } from "../helpers/stack";

const tenant = uniqueTenant("intel");
const otherTenant = uniqueTenant("intel-other");
let stack: TestStack;
let agent: Record<string, string>;
let viewer: Record<string, string>;

interface Score {
  value: number;
  tier: string;
  factors: { name: string; points: number; explanation: string }[];
}

const SCORE_FIELDS = "value tier factors { name points explanation }";

beforeAll(async () => {
  stack = await startStack();
  agent = bearer(await stack.token(tenant, Role.AGENT));
  viewer = bearer(await stack.token(tenant, Role.VIEWER));
});
afterAll(() => stack.stop());

function ok<T>(response: GraphQLResponse<T>): T {
  expect(response.errors).toBeUndefined();
  return response.data!;
}

async function createLead(input: Record<string, unknown>, headers = agent): Promise<string> {
  const data = ok(
    await graphql<{ createLead: { lead: { id: string } } }>(
      stack.gatewayUrl,
      "mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id } userErrors { message } } }",
      { input: { firstName: "Test", lastName: "Buyer", ...input } },
      headers,
    ),
  );
  return data.createLead.lead.id;
}

async function readScore(leadId: string, headers = viewer): Promise<Score | null> {
  const data = ok(await graphql<{ lead: { score: Score | null } }>(stack.gatewayUrl, `query($id: ID!) { lead(id: $id) { score { ${SCORE_FIELDS} } } }`, { id: leadId }, headers));
  return data.lead.score;
}

/** Waits until the intelligence consumer has scored the lead (and the score passes `accept`). */
function scored(leadId: string, accept: (score: Score) => boolean = () => true): Promise<Score> {
  return eventually(async () => {
    const score = await readScore(leadId);
    expect(score).not.toBeNull();
    expect(accept(score!)).toBe(true);
    return score!;
  });
}

function factor(score: Score, name: string): number {
  return score.factors.find((f) => f.name === name)!.points;
}

describe("scoring driven by the events log", () => {
  it("scores a new lead, then rescores it when the lead changes, recording LeadScored with the previous tier", async () => {
    const leadId = await createLead({ financing: "NOT_STARTED", timeline: "JUST_BROWSING" });
    const first = await scored(leadId);
    expect(first.tier).toBe("COLD");
    expect(first.factors.reduce((sum, f) => sum + f.points, 0)).toBe(first.value);

    const update = await graphql(
      stack.gatewayUrl,
      "mutation($input: UpdateLeadInput!) { updateLead(input: $input) { userErrors { message } } }",
      { input: { id: leadId, financing: "CASH", timeline: "IMMEDIATE", budgetMax: 600_000, preferredAreas: ["Round Rock"], bedroomsMin: 3 } },
      agent,
    );
    expect(update.errors).toBeUndefined();
    const second = await scored(leadId, (score) => score.value > first.value);
    expect(factor(second, "FINANCING")).toBe(25);
    expect(factor(second, "TIMELINE")).toBe(20);
    expect(second.factors.reduce((sum, f) => sum + f.points, 0)).toBe(second.value);

    const history = ok(
      await graphql<{ lead: { scoreHistory: { totalCount: number; nodes: { value: number }[] } } }>(
        stack.gatewayUrl,
        "query($id: ID!) { lead(id: $id) { scoreHistory(first: 5) { totalCount nodes { value } } } }",
        { id: leadId },
        viewer,
      ),
    );
    expect(history.lead.scoreHistory.nodes.map((n) => n.value)).toEqual([second.value, first.value]);

    const { rows } = await sql<{ payload: { value: number; tier: string; previousTier: string | null } }>`
      select payload from events.log where tenant_id = ${tenant} and aggregate_id = ${leadId} and type = 'LeadScored' order by id`.execute(stack.ownerDb);
    expect(rows.map((r) => r.payload)).toEqual([
      expect.objectContaining({ value: first.value, tier: first.tier, previousTier: null }),
      expect.objectContaining({ value: second.value, tier: second.tier, previousTier: first.tier }),
    ]);
  });

  it("rescores on a status change but not on a change no factor reads (a new name)", async () => {
    const leadId = await createLead({ financing: "PRE_APPROVED" });
    await scored(leadId);
    const mutate = (query: string, input: Record<string, unknown>) => graphql(stack.gatewayUrl, query, { input }, agent);
    expect((await mutate("mutation($input: UpdateLeadInput!) { updateLead(input: $input) { userErrors { message } } }", { id: leadId, lastName: "Renamed" })).errors).toBeUndefined();
    expect((await mutate("mutation($input: ChangeLeadStatusInput!) { changeLeadStatus(input: $input) { userErrors { message } } }", { id: leadId, status: "CONTACTED" })).errors).toBeUndefined();
    // Events are applied in log order, so once the status change is scored the rename was read before it.
    await eventually(async () => {
      const { rows } = await sql<{ revision: number }>`
        select (payload->>'revision')::int as revision from events.log where tenant_id = ${tenant} and aggregate_id = ${leadId} and type = 'LeadScored' order by id`.execute(stack.ownerDb);
      expect(rows.map((r) => r.revision)).toEqual([1, 2]);
    });
  });

  it("forgets a deleted lead", async () => {
    const leadId = await createLead({ financing: "CASH" });
    await scored(leadId);
    const admin = bearer(await stack.token(tenant, Role.ADMIN));
    ok(await graphql(stack.gatewayUrl, "mutation($input: DeleteLeadInput!) { deleteLead(input: $input) { deletedLeadId } }", { input: { id: leadId } }, admin));
    await eventually(async () => {
      const { rows } = await sql<{ scores: number; features: number }>`
        select (select count(*)::int from intelligence.scores where lead_id = ${leadId}) as scores,
          (select count(*)::int from intelligence.lead_features where lead_id = ${leadId}) as features`.execute(stack.ownerDb);
      expect(rows[0]).toEqual({ scores: 0, features: 0 });
    });
  });
});

describe("rescoreLead and analyzeMessage", () => {
  const ANALYZE = `mutation($input: AnalyzeMessageInput!) {
    analyzeMessage(input: $input) {
      insight { intent urgency provider fallbackReason extracted { budgetMax bedrooms areas timeline } summary }
      lead { id }
      score { ${SCORE_FIELDS} }
      userErrors { field message code }
    }
  }`;

  it("lets an AGENT rescore on demand: a new entry in the history", async () => {
    const leadId = await createLead({ financing: "PRE_QUALIFIED" });
    const before = await scored(leadId);
    const data = ok(
      await graphql<{ rescoreLead: { score: Score; userErrors: unknown[] } }>(
        stack.gatewayUrl,
        `mutation($input: RescoreLeadInput!) { rescoreLead(input: $input) { score { ${SCORE_FIELDS} } userErrors { message } } }`,
        { input: { leadId } },
        agent,
      ),
    );
    expect(data.rescoreLead.userErrors).toEqual([]);
    expect(data.rescoreLead.score.value).toBe(before.value);
    const history = ok(await graphql<{ lead: { scoreHistory: { totalCount: number } } }>(stack.gatewayUrl, "query($id: ID!) { lead(id: $id) { scoreHistory { totalCount } } }", { id: leadId }, viewer));
    expect(history.lead.scoreHistory.totalCount).toBe(2);
  });

  it("reads a message; the facts it states feed the score", async () => {
    await insertListings(stack.intelligenceDb, tenant, [{ area: "Round Rock", price: 420_000, bedrooms: 3 }, { area: "Round Rock", price: 440_000, bedrooms: 4 }]);
    const leadId = await createLead({});
    const before = await scored(leadId);
    expect(factor(before, "BUDGET_FIT")).toBe(0);

    const data = ok(
      await graphql<{ analyzeMessage: { insight: { intent: string; provider: string; extracted: { budgetMax: number; bedrooms: number; areas: string[]; timeline: string } }; score: Score; userErrors: unknown[] } }>(
        stack.gatewayUrl,
        ANALYZE,
        { input: { leadId, channel: "SMS", body: "Hi! We're pre-approved up to $450k and need a 3 bedroom in Round Rock ASAP, our lease ends this month." } },
        agent,
      ),
    );
    const { insight, score, userErrors } = data.analyzeMessage;
    expect(userErrors).toEqual([]);
    expect(insight).toMatchObject({ intent: "BUY", provider: "LOCAL", extracted: { budgetMax: 450_000, bedrooms: 3, areas: ["Round Rock"], timeline: "IMMEDIATE" } });
    expect(factor(score, "TIMELINE")).toBe(20);
    expect(factor(score, "BUDGET_FIT")).toBeGreaterThan(0);
    expect(factor(score, "ENGAGEMENT")).toBeGreaterThan(factor(before, "ENGAGEMENT"));
    expect(score.value).toBeGreaterThan(before.value);

    const read = ok(await graphql<{ lead: { insights: { totalCount: number } } }>(stack.gatewayUrl, "query($id: ID!) { lead(id: $id) { insights { totalCount } } }", { id: leadId }, viewer));
    expect(read.lead.insights.totalCount).toBe(1);
  });

  it("loses no message when many are analyzed for one lead at once, and never starves the pool", async () => {
    const leadId = await createLead({});
    await scored(leadId);
    // More concurrent writers than the subgraph has pooled connections (10).
    const bodies = Array.from({ length: 12 }, (_, i) => `Message ${i}: we'd like ${1 + (i % 5)} bedrooms in Kyle`);
    const rescores = Array.from({ length: 12 }, () =>
      graphql<{ rescoreLead: { userErrors: unknown[] } }>(stack.gatewayUrl, "mutation($input: RescoreLeadInput!) { rescoreLead(input: $input) { userErrors { message } } }", { input: { leadId } }, agent),
    );
    const analyses = bodies.map((body) => graphql<{ analyzeMessage: { userErrors: unknown[] } }>(stack.gatewayUrl, ANALYZE, { input: { leadId, channel: "SMS", body } }, agent));
    for (const response of await Promise.all([...analyses, ...rescores])) {
      expect(response.errors).toBeUndefined();
    }
    const { rows } = await sql<{ inbound_messages: number; revision: number }>`
      select inbound_messages, revision from intelligence.lead_features where lead_id = ${leadId}`.execute(stack.ownerDb);
    expect(rows[0]).toEqual({ inbound_messages: 12, revision: 13 });
    const counts = await sql<{ insights: number; scores: number }>`
      select (select count(*)::int from intelligence.insights where lead_id = ${leadId}) as insights,
             (select count(*)::int from intelligence.scores where lead_id = ${leadId}) as scores`.execute(stack.ownerDb);
    // The first score, one per analysis, one per rescore.
    expect(counts.rows[0]).toEqual({ insights: 12, scores: 25 });
  });

  it("refuses an oversized or empty body with a user error, storing nothing", async () => {
    const leadId = await createLead({});
    for (const body of ["x".repeat(4_001), "   "]) {
      const data = ok(await graphql<{ analyzeMessage: { insight: unknown; userErrors: { field: string[]; code: string; message: string }[] } }>(stack.gatewayUrl, ANALYZE, { input: { leadId, channel: "SMS", body } }, agent));
      expect(data.analyzeMessage.insight).toBeNull();
      expect(data.analyzeMessage.userErrors).toEqual([{ field: ["input", "body"], code: "INVALID_INPUT", message: expect.stringMatching(/4,000 characters|must not be empty/) }]);
    }
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from intelligence.insights where lead_id = ${leadId}`.execute(stack.ownerDb);
    expect(rows[0]!.n).toBe(0);
  });

  it("answers NOT_FOUND for an unknown lead and for another tenant's lead", async () => {
    const foreign = await createLead({}, bearer(await stack.token(otherTenant, Role.AGENT)));
    await eventually(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from intelligence.lead_features where lead_id = ${foreign}`.execute(stack.ownerDb);
      expect(rows[0]!.n).toBe(1);
    });
    for (const leadId of [uuidv7(), foreign]) {
      const analyzed = ok(await graphql<{ analyzeMessage: { userErrors: { code: string }[] } }>(stack.gatewayUrl, ANALYZE, { input: { leadId, channel: "SMS", body: "hello" } }, agent));
      expect(analyzed.analyzeMessage.userErrors.map((e) => e.code)).toEqual(["NOT_FOUND"]);
      const rescored = ok(await graphql<{ rescoreLead: { userErrors: { code: string }[] } }>(stack.gatewayUrl, "mutation($input: RescoreLeadInput!) { rescoreLead(input: $input) { userErrors { code } } }", { input: { leadId } }, agent));
      expect(rescored.rescoreLead.userErrors.map((e) => e.code)).toEqual(["NOT_FOUND"]);
    }
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from intelligence.insights where lead_id = ${foreign}`.execute(stack.ownerDb);
    expect(rows[0]!.n).toBe(0);
  });

  it("lets a VIEWER read scores but not rescore or analyze (FORBIDDEN)", async () => {
    const leadId = await createLead({ financing: "CASH" });
    await scored(leadId);
    const rescore = await graphql(stack.gatewayUrl, "mutation($input: RescoreLeadInput!) { rescoreLead(input: $input) { score { value } } }", { input: { leadId } }, viewer);
    expect(rescore.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const analyze = await graphql(stack.gatewayUrl, ANALYZE, { input: { leadId, channel: "SMS", body: "hello" } }, viewer);
    expect(analyze.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from intelligence.scores where lead_id = ${leadId}`.execute(stack.ownerDb);
    expect(rows[0]!.n).toBe(1);
  });
});

describe("inbound messages from the events log", () => {
  it("analyzes each inbound message once, however often the log repeats it; outbound ones are ignored", async () => {
    const leadId = await createLead({});
    await scored(leadId);
    const message = (messageId: string, direction: "INBOUND" | "OUTBOUND", body: string) =>
      withTenant(stack.appDb, tenant, (trx) =>
        appendEvent(trx, "test-bridge", { type: "LeadMessageReceived", tenantId: tenant, aggregateId: leadId, payload: { messageId, direction, channel: "SMS", body } }),
      );
    await message("ghl-msg-1", "INBOUND", "Can we see the 4 bedroom in Cedar Park this weekend?");
    await message("ghl-msg-1", "INBOUND", "Can we see the 4 bedroom in Cedar Park this weekend?");
    await message("ghl-msg-2", "OUTBOUND", "Sure, Saturday at 10?");
    await message("ghl-msg-3", "INBOUND", "Saturday works, thanks");
    const insights = await eventually(async () => {
      const data = ok(
        await graphql<{ lead: { insights: { totalCount: number; nodes: { extracted: { bedrooms: number | null; areas: string[] } }[] } } }>(
          stack.gatewayUrl,
          "query($id: ID!) { lead(id: $id) { insights { totalCount nodes { extracted { bedrooms areas } } } } }",
          { id: leadId },
          viewer,
        ),
      );
      expect(data.lead.insights.totalCount).toBe(2);
      return data.lead.insights.nodes;
    });
    // Newest first.
    expect(insights[1]!.extracted).toEqual({ bedrooms: 4, areas: ["Cedar Park"] });
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from events.log where aggregate_id = ${leadId} and type = 'MessageAnalyzed'`.execute(stack.ownerDb);
    expect(rows[0]!.n).toBe(2);
  });
});

describe("property matching", () => {
  const MATCHES = `query($id: ID!, $first: Int, $after: String) {
    lead(id: $id) {
      propertyMatches(first: $first, after: $after) {
        totalCount
        edges { cursor node { score reasons property { id area price bedrooms status } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }`;
  type Match = { score: number; reasons: string[]; property: { id: string; area: string; price: number; bedrooms: number; status: string } };
  type MatchPage = { lead: { propertyMatches: { totalCount: number; edges: { cursor: string; node: Match }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } };

  it("offers only available listings within budget (5% stretch), bedrooms and areas, ranked, a page at a time", async () => {
    const matchTenant = uniqueTenant("match");
    const headers = bearer(await stack.token(matchTenant, Role.AGENT));
    const fit = { area: "Pflugerville", bedrooms: 3 };
    const ids = await insertListings(stack.intelligenceDb, matchTenant, [
      { ...fit, price: 500_000 },
      { ...fit, price: 470_000 },
      { ...fit, price: 520_000, status: "COMING_SOON" },
      { ...fit, price: 390_000 },
      { ...fit, price: 499_000, status: "SOLD" },
      { ...fit, price: 498_000, status: "OFF_MARKET" },
      { ...fit, price: 497_000, status: "PENDING" },
      { ...fit, price: 526_000 },
      { ...fit, price: 450_000, bedrooms: 2 },
      { ...fit, price: 450_000, area: "Kyle" },
    ]);
    const leadId = await createLead({ budgetMax: 500_000, bedroomsMin: 3, preferredAreas: ["Pflugerville"] }, headers);
    const seen: Match[] = [];
    let after: string | null = null;
    await eventually(async () => {
      const data = ok(await graphql<{ lead: { propertyMatches: { totalCount: number } } }>(stack.gatewayUrl, MATCHES, { id: leadId, first: 1 }, headers));
      expect(data.lead.propertyMatches.totalCount).toBe(4);
    });
    for (let page = 0; page < 3; page++) {
      const data: MatchPage = ok(await graphql<MatchPage>(stack.gatewayUrl, MATCHES, { id: leadId, first: 3, after }, headers));
      const connection: MatchPage["lead"]["propertyMatches"] = data.lead.propertyMatches;
      seen.push(...connection.edges.map((e) => e.node));
      after = connection.pageInfo.endCursor;
      if (!connection.pageInfo.hasNextPage) break;
    }
    expect(seen.map((m) => m.property.id).sort()).toEqual([ids[0], ids[1], ids[2], ids[3]].sort());
    expect(seen.every((m) => ["ACTIVE", "COMING_SOON"].includes(m.property.status) && m.property.bedrooms >= 3 && m.property.price <= 525_000)).toBe(true);
    expect(seen.map((m) => m.score)).toEqual([...seen.map((m) => m.score)].sort((a, b) => b - a));
    expect(seen.find((m) => m.property.id === ids[0])!.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/budget/i), expect.stringMatching(/3 bedrooms/), "In Pflugerville"]));
  });

  it("refuses a cursor from another connection", async () => {
    const leadId = await createLead({ preferredAreas: ["Round Rock"] });
    const properties = ok(await graphql<{ properties: { pageInfo: { endCursor: string } } }>(stack.gatewayUrl, "{ properties(first: 1) { pageInfo { endCursor } } }", {}, viewer));
    const response = await graphql(stack.gatewayUrl, MATCHES, { id: leadId, first: 2, after: properties.properties.pageInfo.endCursor }, viewer);
    expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(response.errors?.[0]?.message).toMatch(/different ordering or filter/);
  });
});

describe("Query.properties", () => {
  it("filters by area, price, bedrooms, type and status, and pages by price with cursors", async () => {
    const listTenant = uniqueTenant("props");
    const headers = bearer(await stack.token(listTenant, Role.VIEWER));
    await insertListings(
      stack.intelligenceDb,
      listTenant,
      Array.from({ length: 12 }, (_, i) => ({ area: i % 2 ? "Kyle" : "Buda", price: 300_000 + i * 10_000, bedrooms: 2 + (i % 3), status: i === 4 ? "SOLD" : "ACTIVE", property_type: i % 4 === 0 ? "TOWNHOUSE" : "SINGLE_FAMILY" })),
    );
    type Page = { properties: { totalCount: number; nodes: { area: string; price: number; bedrooms: number; status: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const QUERY = `query($filter: PropertyFilter, $after: String) {
      properties(first: 2, after: $after, filter: $filter, orderBy: { field: PRICE, direction: ASC }) {
        totalCount nodes { area price bedrooms status propertyType } pageInfo { hasNextPage endCursor }
      }
    }`;
    const filter = { areas: ["Buda"], priceMin: 300_000, priceMax: 400_000, bedroomsMin: 3, statuses: ["ACTIVE"] };
    const prices: number[] = [];
    let after: string | null = null;
    for (;;) {
      const data: Page = ok(await graphql<Page>(stack.gatewayUrl, QUERY, { filter, after }, headers));
      expect(data.properties.nodes.every((n) => n.area === "Buda" && n.bedrooms >= 3 && n.status === "ACTIVE")).toBe(true);
      prices.push(...data.properties.nodes.map((n) => n.price));
      if (!data.properties.pageInfo.hasNextPage) break;
      after = data.properties.pageInfo.endCursor;
    }
    // Buda: even i. Bedrooms 2 + i % 3 >= 3 for i in {2, 4, 8, 10}; i = 4 is SOLD; i = 10 costs 400,000 (inclusive).
    expect(prices).toEqual([320_000, 380_000, 400_000]);

    const bad = await graphql(stack.gatewayUrl, QUERY, { filter: { priceMin: 5, priceMax: 1 } }, headers);
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
