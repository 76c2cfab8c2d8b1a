import type { GraphQLFormattedError } from "graphql";
import type { FormattedExecutionResult } from "graphql-ws";
import WebSocket from "ws";
import { TENANT_HEADER } from "../../gateway/src/auth/authenticate";
import { createIdentitySigner, type Identity, type IdentitySigner } from "../../lib/auth/identity";
import { Role, SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS, SCOPE_RELAY_SUBSCRIPTIONS } from "../../lib/auth/roles";
import { withTenant } from "../../lib/db/tenant";
import { appendEvent } from "../../lib/events/event-log";
import { createLogger } from "../../lib/logger";
import { createLeadsSubgraph } from "../../subgraphs/leads/src/index";
import { insertLead } from "../../subgraphs/leads/src/lead/lead.repository";
import { eventually } from "../helpers/eventually";
import { insertListings, leadRow } from "../helpers/fixtures";
import { readMetric } from "../helpers/metrics";
import { bearer, graphql, startStack, testDatabaseUrls, uniqueTenant, type TestStack } from "../helpers/stack";
import { connectWs, record, wsUrl, type OperationEnd, type RecordedOperation, type WsClient } from "../helpers/ws-client";

type Subgraph = "leads" | "intelligence" | "analytics" | "billing";

let stack: TestStack;
let signer: IdentitySigner;
const subscribers: WsClient[] = [];

beforeAll(async () => {
  stack = await startStack();
  signer = createIdentitySigner(stack.identityKeys.privateKeyPem);
});

afterAll(() => stack.stop());

const FIELDS: Record<Subgraph, string> = { leads: "leadChanged", intelligence: "leadScored", analytics: "dashboardUpdated", billing: "usageUpdated" };

function urlOf(subgraph: Subgraph): string {
  return { leads: stack.leadsUrl, intelligence: stack.intelligenceUrl, analytics: stack.analyticsUrl, billing: stack.billingUrl }[subgraph];
}

function activeSubscriptions(subgraph: Subgraph): Promise<number> {
  return readMetric(urlOf(subgraph), "hub_subscriptions_active", { server: subgraph, field: FIELDS[subgraph] });
}

/**
 * Waits until `subgraph` serves `count` subscriptions: from then on, each is attached to its
 * feed, and every event committed later reaches it (graphql-ws has no "subscribed" message).
 */
async function waitForActive(subgraph: Subgraph, count: number): Promise<void> {
  await eventually(async () => expect(await activeSubscriptions(subgraph)).toBe(count), 15_000);
}

afterEach(async () => {
  for (const subscriber of subscribers.splice(0)) await subscriber.dispose();
  for (const subgraph of Object.keys(FIELDS) as Subgraph[]) await waitForActive(subgraph, 0);
});

/** The gateway's own identity on its socket to a subgraph. */
const RELAY: Identity = { sub: "gateway", tenant: "gateway", role: Role.ADMIN, scopes: [SCOPE_RELAY_SUBSCRIPTIONS] };

function connect(subgraph: Subgraph, connectionParams: () => Promise<Record<string, unknown>> | Record<string, unknown>): WsClient {
  const subscriber = connectWs(wsUrl(urlOf(subgraph)), connectionParams);
  subscribers.push(subscriber);
  return subscriber;
}

/** A socket to `subgraph` as the gateway opens it. */
function relayTo(subgraph: Subgraph): WsClient {
  return connect(subgraph, async () => ({ authorization: `Bearer ${await signer.sign(RELAY, subgraph)}` }));
}

/** `extensions` carrying a caller's identity token for `subgraph`, as the gateway sends with each operation. */
async function asCaller(subgraph: Subgraph, tenant: string, role: Role): Promise<Record<string, unknown>> {
  return { identity: await signer.sign({ sub: `user-${role.toLowerCase()}`, tenant, role, scopes: [] }, subgraph) };
}

function codesOf(errors: readonly GraphQLFormattedError[] | undefined): unknown[] {
  return (errors ?? []).map((error) => error.extensions?.["code"]);
}

function errorCodes(end: OperationEnd): unknown[] {
  return end.kind === "error" ? codesOf(end.errors) : [end.kind];
}

function dataOf<T>(subscription: RecordedOperation<T>): T[] {
  return subscription.results.flatMap((result) => (result.data ? [result.data] : []));
}

// ----- The gateway, for fixtures -----------------------------------------------------------

async function gatewayAs<T>(tenant: string, role: Role, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await graphql<T>(stack.gatewayUrl, query, variables, bearer(await stack.token(tenant, role)));
  if (response.errors?.length || !response.data) throw new Error(`gateway errors: ${JSON.stringify(response.errors)}`);
  return response.data;
}

async function createLead(tenant: string, input: Record<string, unknown> = {}): Promise<string> {
  const data = await gatewayAs<{ createLead: { lead: { id: string } } }>(tenant, Role.AGENT, `mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id } } }`, {
    input: { firstName: "Sub", lastName: "Scriber", ...input },
  });
  return data.createLead.lead.id;
}

async function changeStatus(tenant: string, id: string, status: string): Promise<void> {
  await gatewayAs(tenant, Role.AGENT, `mutation($input: ChangeLeadStatusInput!) { changeLeadStatus(input: $input) { lead { id } } }`, { input: { id, status } });
}

async function deleteLead(tenant: string, id: string): Promise<void> {
  await gatewayAs(tenant, Role.ADMIN, `mutation($input: DeleteLeadInput!) { deleteLead(input: $input) { deletedLeadId } }`, { input: { id } });
}

async function provisionAccount(tenant: string): Promise<void> {
  const token = await stack.token("bridge-service", Role.ADMIN, { sub: "bridge", scopes: [SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS] });
  const response = await graphql(stack.gatewayUrl, `mutation($input: ProvisionAccountInput!) { provisionAccount(input: $input) { created } }`, { input: { name: `Team ${tenant}` } }, {
    ...bearer(token),
    [TENANT_HEADER]: tenant,
  });
  if (response.errors?.length) throw new Error(`provisioning failed: ${JSON.stringify(response.errors)}`);
}

// ----- Operations --------------------------------------------------------------------------

const LEAD_CHANGED = `subscription($filter: LeadChangeFilter) { leadChanged(filter: $filter) { kind leadId previousStatus occurredAt lead { id status source } } }`;
interface LeadChanged {
  leadChanged: { kind: string; leadId: string; previousStatus: string | null; occurredAt: string; lead: { id: string; status: string; source: string } | null };
}

const LEAD_SCORED = `subscription($filter: LeadScoredFilter) { leadScored(filter: $filter) { lead { id } previousTier score { value tier modelVersion scoredAt factors { name points } } } }`;
interface LeadScored {
  leadScored: { lead: { id: string }; previousTier: string | null; score: { value: number; tier: string; modelVersion: string; scoredAt: string; factors: { name: string; points: number }[] } };
}

const DASHBOARD = `subscription { dashboardUpdated { at funnel { totalLeads stages { status reached } } counts { leads createdToday hot warm cold unscored } } }`;
interface Dashboard {
  dashboardUpdated: { at: string; funnel: { totalLeads: number }; counts: { leads: number; createdToday: number; hot: number; warm: number; cold: number; unscored: number } };
}

const USAGE = `subscription { usageUpdated { period { label } meters { meter used included overage } } }`;
interface UsageUpdated {
  usageUpdated: { period: { label: string }; meters: { meter: string; used: number }[] };
}

function used(result: FormattedExecutionResult<UsageUpdated>, meter: string): number | undefined {
  return result.data?.usageUpdated.meters.find((m) => m.meter === meter)?.used;
}

describe("subgraph subscriptions over graphql-ws", () => {
  describe("the socket", () => {
    it("is refused (4403) without the gateway's relay identity for this subgraph", async () => {
      const refusals = [
        connect("leads", () => ({})),
        connect("leads", () => ({ authorization: "Bearer not-a-token" })),
        // Another subgraph's audience.
        connect("leads", async () => ({ authorization: `Bearer ${await signer.sign(RELAY, "intelligence")}` })),
        // The right audience, but a user's identity: no relay scope.
        connect("leads", async () => ({ authorization: `Bearer ${await signer.sign({ ...RELAY, scopes: [] }, "leads")}` })),
      ];
      for (const subscriber of refusals) expect((await subscriber.closed).code).toBe(4403);
    });

    it("is served on /graphql only", async () => {
      const status = (path: string) =>
        new Promise<number>((resolve, reject) => {
          const socket = new WebSocket(new URL(path, wsUrl(urlOf("leads"))), "graphql-transport-ws");
          socket.on("open", () => {
            resolve(101);
            socket.close();
          });
          socket.on("unexpected-response", (request, response) => {
            resolve(response.statusCode ?? 0);
            request.destroy();
          });
          socket.on("error", reject);
        }).catch(() => 0);
      expect(await status("/elsewhere")).toBe(404);
      expect(await status("/graphql")).toBe(101);
    });

    it("is closed with 1001 (going away) when the subgraph stops, and the stop waits for it", async () => {
      const leads = await createLeadsSubgraph({ port: 0, databaseUrl: testDatabaseUrls().app, identityPublicKey: stack.identityKeys.publicKeyPem, logger: createLogger("test", "silent") });
      const subscriber = connectWs(wsUrl(leads.url), async () => ({ authorization: `Bearer ${await signer.sign(RELAY, "leads")}` }));
      subscribers.push(subscriber);
      const subscription = record(subscriber, LEAD_CHANGED, {}, await asCaller("leads", uniqueTenant("subs-stop"), Role.VIEWER));
      await eventually(async () => expect(await readMetric(leads.url, "hub_subscriptions_active", { server: "leads", field: "leadChanged" })).toBe(1));
      await leads.stop();
      expect(subscriber.sockets[0]?.readyState).toBe(subscriber.sockets[0]?.CLOSED);
      expect(await subscriber.closed).toEqual({ code: 1001, reason: "Going away" });
      expect(await subscription.ended).toMatchObject({ kind: "closed", code: 1001 });
    });
  });

  describe("each operation", () => {
    it("is refused on its own without a valid caller identity, or when it is not a subscription; the socket carries on", async () => {
      const tenant = uniqueTenant("subs-auth");
      const relay = relayTo("leads");
      const refused = [
        record(relay, LEAD_CHANGED),
        record(relay, LEAD_CHANGED, {}, { identity: "garbage" }),
        record(relay, LEAD_CHANGED, {}, await asCaller("intelligence", tenant, Role.ADMIN)),
      ];
      for (const subscription of refused) expect(errorCodes(await subscription.ended)).toEqual(["UNAUTHENTICATED"]);
      const query = record(relay, `{ leads(first: 1) { totalCount } }`, {}, await asCaller("leads", tenant, Role.ADMIN));
      expect(errorCodes(await query.ended)).toEqual(["BAD_REQUEST"]);
      const invalid = record(relay, `subscription { leadChanged { noSuchField } }`, {}, await asCaller("leads", tenant, Role.ADMIN));
      expect(errorCodes(await invalid.ended)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);

      // The same socket still serves a well-formed subscription.
      const live = record<LeadChanged>(relay, LEAD_CHANGED, {}, await asCaller("leads", tenant, Role.VIEWER));
      await waitForActive("leads", 1);
      const id = await createLead(tenant);
      await live.waitFor((result) => result.data?.leadChanged.leadId === id);
      expect(relay.sockets[0]?.readyState).toBe(relay.sockets[0]?.OPEN);
    });
  });

  describe("leadChanged", () => {
    it("delivers its tenant's creations, status changes and deletions, never another tenant's, and filters by status", async () => {
      const a = uniqueTenant("subs-a");
      const b = uniqueTenant("subs-b");
      const relay = relayTo("leads");
      const ofA = record<LeadChanged>(relay, LEAD_CHANGED, {}, await asCaller("leads", a, Role.VIEWER));
      const ofB = record<LeadChanged>(relay, LEAD_CHANGED, {}, await asCaller("leads", b, Role.VIEWER));
      const contacted = record<LeadChanged>(relay, LEAD_CHANGED, { filter: { statuses: ["CONTACTED"] } }, await asCaller("leads", a, Role.AGENT));
      await waitForActive("leads", 3);

      // Both tenants at once.
      const [a1, b1, b2] = await Promise.all([createLead(a, { source: "ZILLOW" }), createLead(b), createLead(b)]);
      await changeStatus(a, a1!, "CONTACTED");
      await deleteLead(a, a1!);
      // Created after everything above committed, so it is delivered after all of it.
      const a2 = await createLead(a);
      await changeStatus(a, a2, "CONTACTED");
      const b3 = await createLead(b);

      await ofA.waitFor((result) => result.data?.leadChanged.leadId === a2 && result.data.leadChanged.kind === "STATUS_CHANGED");
      const seenByA = dataOf(ofA).map(({ leadChanged }) => leadChanged);
      expect(seenByA.map(({ kind, leadId }) => [kind, leadId])).toEqual([
        ["CREATED", a1],
        ["STATUS_CHANGED", a1],
        ["DELETED", a1],
        ["CREATED", a2],
        ["STATUS_CHANGED", a2],
      ]);
      expect(seenByA[0]?.lead).toEqual({ id: a1, status: expect.any(String), source: "ZILLOW" });
      expect(seenByA[1]).toMatchObject({ previousStatus: "NEW" });
      // A change is delivered with the lead as it is now: a1 was deleted since its creation.
      expect(seenByA[2]).toMatchObject({ lead: null, previousStatus: null });

      await ofB.waitFor((result) => result.data?.leadChanged.leadId === b3);
      expect(new Set(dataOf(ofB).map(({ leadChanged }) => leadChanged.leadId))).toEqual(new Set([b1, b2, b3]));

      await contacted.waitFor((result) => result.data?.leadChanged.leadId === a2);
      expect(dataOf(contacted).map(({ leadChanged }) => [leadChanged.kind, leadChanged.leadId])).toEqual([
        ["STATUS_CHANGED", a1],
        ["STATUS_CHANGED", a2],
      ]);
      for (const subscription of [ofA, ofB, contacted]) expect(subscription.results.every((result) => result.errors === undefined)).toBe(true);
    });

    it("ends a subscriber that stops reading with SUBSCRIBER_TOO_SLOW, while one that reads gets every event", async () => {
      const tenant = uniqueTenant("subs-slow");
      // A lead with a large row, so that a few hundred events fill the socket's buffers.
      const tags = Array.from({ length: 300 }, (_, i) => `tag-${i}-${"x".repeat(90)}`);
      const lead = await withTenant(stack.appDb, tenant, (trx) => insertLead(trx, leadRow(tenant, { tags })));
      const leadId = lead!.id;
      const query = `subscription { leadChanged { kind leadId lead { id tags } } }`;
      const reader = record<LeadChanged>(relayTo("leads"), query, {}, await asCaller("leads", tenant, Role.VIEWER));
      const slowSocket = relayTo("leads");
      const slow = record<LeadChanged>(slowSocket, query, {}, await asCaller("leads", tenant, Role.VIEWER));
      await waitForActive("leads", 2);
      slowSocket.sockets[0]!.pause();

      const overflows = () => readMetric(stack.leadsUrl, "hub_subscriber_overflows_total", { feed: "leadChanged" });
      const before = await overflows();
      const batch = 50;
      let sent = 0;
      // Batches well under the queue's bound, each read by the reader before the next: only
      // the subscriber that stopped reading can fall a full queue behind.
      while ((await overflows()) === before) {
        if (sent >= 10_000) throw new Error("the subscriber that stopped reading was never ended");
        await withTenant(stack.appDb, tenant, async (trx) => {
          for (let i = 0; i < batch; i++) {
            await appendEvent(trx, "test", { type: "LeadStatusChanged", tenantId: tenant, aggregateId: leadId, payload: { from: "NEW", to: "CONTACTED", version: sent + i + 2 } });
          }
        });
        sent += batch;
        await eventually(async () => expect(reader.results.length).toBe(sent), 30_000);
      }

      slowSocket.sockets[0]!.resume();
      const end = await slow.ended;
      expect(errorCodes(end)).toEqual(["SUBSCRIBER_TOO_SLOW"]);
      expect(slow.results.length).toBeLessThan(sent);
      expect(reader.results.every((result) => result.data?.leadChanged.lead?.id === leadId)).toBe(true);
    });
  });

  describe("leadScored", () => {
    it("delivers new scores of its tenant's leads, from the tier asked for", async () => {
      const tenant = uniqueTenant("subs-score");
      // Ten affordable listings: a cash buyer who wants them now scores HOT.
      await insertListings(stack.intelligenceDb, tenant, Array.from({ length: 10 }, () => ({})));
      const relay = relayTo("intelligence");
      const all = record<LeadScored>(relay, LEAD_SCORED, {}, await asCaller("intelligence", tenant, Role.VIEWER));
      const warmAndUp = record<LeadScored>(relay, LEAD_SCORED, { filter: { minTier: "WARM" } }, await asCaller("intelligence", tenant, Role.VIEWER));
      await waitForActive("intelligence", 2);

      const cold = await createLead(tenant);
      const hot = await createLead(tenant, {
        financing: "CASH",
        timeline: "IMMEDIATE",
        budgetMax: 450_000,
        preferredAreas: ["Round Rock"],
        bedroomsMin: 3,
        propertyTypes: ["SINGLE_FAMILY"],
      });

      const coldScore = await all.waitFor((result) => result.data?.leadScored.lead.id === cold);
      const hotScore = await all.waitFor((result) => result.data?.leadScored.lead.id === hot);
      expect(coldScore.data?.leadScored).toMatchObject({ previousTier: null, score: { tier: "COLD" } });
      expect(hotScore.data?.leadScored).toMatchObject({ previousTier: null, score: { tier: "HOT" } });
      expect(hotScore.data?.leadScored.score.factors.length).toBeGreaterThan(0);
      expect(hotScore.data?.leadScored.score.factors.reduce((sum, factor) => sum + factor.points, 0)).toBe(hotScore.data?.leadScored.score.value);

      await warmAndUp.waitFor((result) => result.data?.leadScored.lead.id === hot);
      expect(dataOf(warmAndUp).map(({ leadScored }) => leadScored.lead.id)).not.toContain(cold);
      expect(dataOf(warmAndUp).every(({ leadScored }) => leadScored.score.tier !== "COLD")).toBe(true);
    });
  });

  describe("dashboardUpdated", () => {
    it("sends the tenant's dashboard at once, then again once analytics has taken in a change", async () => {
      const tenant = uniqueTenant("subs-dash");
      const dashboard = record<Dashboard>(relayTo("analytics"), DASHBOARD, {}, await asCaller("analytics", tenant, Role.VIEWER));
      const first = await dashboard.waitFor((result) => result.data !== undefined);
      expect(first.data?.dashboardUpdated.counts).toEqual({ leads: 0, createdToday: 0, hot: 0, warm: 0, cold: 0, unscored: 0 });
      expect(first.data?.dashboardUpdated.funnel.totalLeads).toBe(0);

      await createLead(tenant);
      const updated = await dashboard.waitFor((result) => result.data?.dashboardUpdated.counts.leads === 1);
      expect(updated.data?.dashboardUpdated.counts.createdToday).toBe(1);
      expect(updated.data?.dashboardUpdated.funnel.totalLeads).toBe(1);
      expect(Date.parse(updated.data!.dashboardUpdated.at)).toBeGreaterThanOrEqual(Date.parse(first.data!.dashboardUpdated.at));
    });
  });

  describe("usageUpdated", () => {
    it("is refused for a VIEWER and before the team has an account", async () => {
      const tenant = uniqueTenant("subs-usage-refused");
      const relay = relayTo("billing");
      const viewer = record<UsageUpdated>(relay, USAGE, {}, await asCaller("billing", tenant, Role.VIEWER));
      await viewer.ended;
      expect(codesOf(viewer.results[0]?.errors)).toEqual(["FORBIDDEN"]);
      const noAccount = record<UsageUpdated>(relay, USAGE, {}, await asCaller("billing", tenant, Role.ADMIN));
      await noAccount.ended;
      expect(codesOf(noAccount.results[0]?.errors)).toEqual(["NOT_FOUND"]);
    });

    it("sends an ADMIN the period's usage at once, then again as billing meters new events", async () => {
      const tenant = uniqueTenant("subs-usage");
      await provisionAccount(tenant);
      const usage = record<UsageUpdated>(relayTo("billing"), USAGE, {}, await asCaller("billing", tenant, Role.ADMIN));
      const first = await usage.waitFor((result) => result.data !== undefined);
      expect(used(first, "LEADS_CREATED")).toBe(0);

      await createLead(tenant);
      await usage.waitFor((result) => used(result, "LEADS_CREATED") === 1);
    });
  });
});
