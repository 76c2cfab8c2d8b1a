import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "graphql";
import { createClient as createSseClient } from "graphql-sse";
import type { Client } from "graphql-ws";
import { generateIdentityKeyPair } from "../../lib/auth/identity";
import { Role } from "../../lib/auth/roles";
import { SCHEMA_DIR } from "../../scripts/schema-files";
import { eventually } from "../helpers/eventually";
import { insertLeads } from "../helpers/fixtures";
import { PROBE, publishUntilReceived, startSignalsSubgraph, signalsTypeDefs, type SignalEntity, type SignalsSubgraph } from "../helpers/signals-subgraph";
import { bearer, graphql, startStack, uniqueTenant, type TestStack } from "../helpers/stack";
import { composeSupergraph } from "../helpers/test-subgraph";
import { connectWs, record, wsUrl } from "../helpers/ws-client";

// The whole stack, plus the test-only `signals` subgraph whose events point at real leads:
// every event's lead fields come from the leads and intelligence subgraphs.
const LEAD: SignalEntity = { type: "Lead", field: "lead" };
const REAL_SUBGRAPHS = ["leads", "intelligence", "analytics", "billing"] as const;

const keys = generateIdentityKeyPair();
let signals: SignalsSubgraph;
let stack: TestStack;
const clients: Client[] = [];

beforeAll(async () => {
  signals = await startSignalsSubgraph({ identityPublicKey: keys.publicKeyPem, entity: LEAD });
  const supergraphSdl = composeSupergraph([
    ...REAL_SUBGRAPHS.map((name) => ({ name, url: `http://${name}.invalid/graphql`, typeDefs: parse(readFileSync(join(SCHEMA_DIR, `${name}.graphql`), "utf8")) })),
    { name: "signals", url: signals.url, typeDefs: signalsTypeDefs(LEAD) },
  ]);
  stack = await startStack({ supergraphSdl, subgraphUrls: { signals: signals.url } }, { identityKeys: keys });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

afterAll(async () => {
  await stack?.stop();
  await signals?.stop();
});

async function ws(token: string): Promise<Client> {
  const client = connectWs(wsUrl(stack.gatewayUrl), { authorization: `Bearer ${token}` });
  clients.push(client);
  return client;
}

async function listening(tenant: string, channel: string, count = 1): Promise<void> {
  await eventually(async () => expect(signals.listeners(tenant, channel)).toBe(count));
}

const LEAD_FIELDS = "id fullName status notes(first: 2) { nodes { body } } score { value tier }";

interface LeadView {
  id: string;
  fullName: string;
  status: string;
  notes: { nodes: { body: string }[] };
  score: { value: number; tier: string } | null;
}

async function leadOverHttp(token: string, id: string): Promise<LeadView | null> {
  const response = await graphql<{ lead: LeadView | null }>(stack.gatewayUrl, `query Lead($id: ID!) { lead(id: $id) { ${LEAD_FIELDS} } }`, { id }, bearer(token));
  expect(response.errors).toBeUndefined();
  return response.data?.lead ?? null;
}

describe("federated subscriptions over the real subgraphs", () => {
  const QUERY = `subscription Signals($channel: String!) { signals(channel: $channel) { seq text lead { ${LEAD_FIELDS} } } }`;

  it("completes each event with lead fields from leads and intelligence, exactly as HTTP serves them", async () => {
    const tenant = uniqueTenant("sub-e2e");
    const token = await stack.token(tenant, Role.AGENT);
    const [leadId] = await insertLeads(stack.appDb, tenant, 1, 3, { announce: true });
    // Intelligence scores the lead from the events log; wait for it so both reads agree.
    const expected = await eventually(async () => {
      const lead = await leadOverHttp(token, leadId!);
      expect(lead?.score).not.toBeNull();
      return lead;
    }, 20_000);

    const subscription = record<{ signals: { seq: number; text: string; lead: LeadView | null } }>(await ws(token), QUERY, { channel: "e2e" });
    await listening(tenant, "e2e");
    signals.publish(tenant, "e2e", { text: "scored", entityId: leadId! });
    const [event] = await subscription.received(1);
    expect(event).toEqual({ data: { signals: { seq: 1, text: "scored", lead: expected } } });
    expect(event?.data?.signals.lead?.notes.nodes).toHaveLength(2);
  });

  it("never lets an event carry another tenant's lead: entity fetches run as the subscriber", async () => {
    const acme = uniqueTenant("acme");
    const demo = uniqueTenant("demo");
    const [demoLead] = await insertLeads(stack.appDb, demo, 1);
    const subscription = record<{ signals: { lead: LeadView | null } }>(await ws(await stack.token(acme, Role.AGENT)), QUERY, { channel: "leak" });
    await listening(acme, "leak");
    signals.publish(acme, "leak", { text: "points at demo", entityId: demoLead! });
    const [event] = await subscription.received(1);
    expect(event?.data?.signals.lead).toBeNull();
    expect(JSON.stringify(event)).not.toContain("First0000");
  });

  it("serves the same events over SSE", async () => {
    type Signals = { signals: { text: string; lead: LeadView | null } };
    const tenant = uniqueTenant("sub-sse");
    const token = await stack.token(tenant, Role.AGENT);
    const [leadId] = await insertLeads(stack.appDb, tenant, 1, 2);
    const viaWs = record<Signals>(await ws(token), QUERY, { channel: "sse" });
    const sse = createSseClient({ url: stack.gatewayUrl, headers: bearer(token), retryAttempts: 0 });
    const viaSse: { results: { data?: Signals | null }[] } = { results: [] };
    const reading = (async () => {
      for await (const result of sse.iterate<Signals>({ query: QUERY, variables: { channel: "sse" } })) {
        viaSse.results.push(result);
        if (result.data?.signals.text === "two") break;
      }
    })();
    // Both share one upstream subscription; probes tell when both are on it.
    await publishUntilReceived(signals, tenant, "sse", [viaWs, viaSse]);
    signals.publish(tenant, "sse", { text: "one", entityId: leadId! });
    signals.publish(tenant, "sse", { text: "two" });
    await reading;
    await viaWs.waitFor((result) => result.data?.signals.text === "two");
    const unprobed = (results: readonly { data?: Signals | null }[]) => results.filter((result) => result.data?.signals.text !== PROBE);
    expect(unprobed(viaWs.results)).toHaveLength(2);
    expect(unprobed(viaSse.results)).toEqual(unprobed(viaWs.results));
    sse.dispose();
  });
});

describe("the subgraphs' own subscription fields", () => {
  const CREATE = "mutation Create($input: CreateLeadInput!) { createLead(input: $input) { lead { id } userErrors { message } } }";

  async function createLead(token: string, firstName: string): Promise<string> {
    const response = await graphql<{ createLead: { lead: { id: string } | null; userErrors: { message: string }[] } }>(
      stack.gatewayUrl,
      CREATE,
      { input: { firstName, lastName: "Subscriber", source: "WEBSITE" } },
      bearer(token),
    );
    const id = response.data?.createLead.lead?.id;
    if (!id) throw new Error(`createLead failed: ${JSON.stringify(response)}`);
    return id;
  }

  /**
   * A subscription is live once its subgraph has it; until then an event is missed. Probe
   * leads are created until every subscription has seen one.
   */
  async function untilLive(token: string, operations: readonly { readonly results: readonly unknown[] }[]): Promise<string[]> {
    const probes: string[] = [];
    await eventually(
      async () => {
        if (!operations.every((operation) => operation.results.length > 0)) {
          probes.push(await createLead(token, "Probe"));
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        expect(operations.every((operation) => operation.results.length > 0)).toBe(true);
      },
      30_000,
      0,
    );
    return probes;
  }

  it("leadChanged: under concurrent load from two tenants, each sees its own changes and never the other's (WS and SSE)", async () => {
    const tenants = { acme: uniqueTenant("acme"), demo: uniqueTenant("demo") };
    const tokens = { acme: await stack.token(tenants.acme, Role.AGENT), demo: await stack.token(tenants.demo, Role.AGENT) };
    const QUERY = "subscription Changes { leadChanged { kind leadId lead { id fullName } } }";
    type Change = { leadChanged: { kind: string; leadId: string; lead: { id: string; fullName: string } | null } };
    const subscribers = {
      acme: [record<Change>(await ws(tokens.acme), QUERY), record<Change>(await ws(tokens.acme), QUERY)],
      demo: [record<Change>(await ws(tokens.demo), QUERY), record<Change>(await ws(tokens.demo), QUERY)],
    };
    const sse = createSseClient({ url: stack.gatewayUrl, headers: bearer(tokens.acme), retryAttempts: 0 });
    const sseChanges: Change[] = [];
    void (async () => {
      for await (const result of sse.iterate<Change>({ query: QUERY })) if (result.data) sseChanges.push(result.data);
    })().catch(() => undefined);

    // Identical subscriptions of a tenant share one upstream subscription, which a subscriber
    // joining later follows from its next event: each must be seen live before the load.
    const created = { acme: await untilLive(tokens.acme, [...subscribers.acme, { results: sseChanges }]), demo: await untilLive(tokens.demo, subscribers.demo) };
    const perTenant = 15;
    const load = await Promise.all(
      (["acme", "demo"] as const).flatMap((name) => Array.from({ length: perTenant }, (_, i) => createLead(tokens[name], `Load${i}`).then((id) => ({ name, id })))),
    );
    for (const { name, id } of load) created[name].push(id);

    for (const name of ["acme", "demo"] as const) {
      const other = name === "acme" ? "demo" : "acme";
      const loadIds = load.filter((entry) => entry.name === name).map((entry) => entry.id);
      for (const subscriber of subscribers[name]) {
        await eventually(async () => {
          const seen = subscriber.results.map((result) => result.data?.leadChanged.leadId);
          expect(seen).toEqual(expect.arrayContaining(loadIds));
        }, 30_000);
        for (const result of subscriber.results) {
          expect(result.errors).toBeUndefined();
          expect(created[name]).toContain(result.data?.leadChanged.leadId);
          expect(created[other]).not.toContain(result.data?.leadChanged.leadId);
        }
      }
    }
    await eventually(async () => expect(sseChanges.map((change) => change.leadChanged.leadId)).toEqual(expect.arrayContaining(load.filter((entry) => entry.name === "acme").map((entry) => entry.id))), 30_000);
    for (const change of sseChanges) expect(created.acme).toContain(change.leadChanged.leadId);
    sse.dispose();
  });

  it("leadScored: a new lead's score arrives with its fields from the leads subgraph", async () => {
    const tenant = uniqueTenant("scored");
    const token = await stack.token(tenant, Role.AGENT);
    type Scored = { leadScored: { lead: { id: string; fullName: string; status: string; notes: { nodes: { body: string }[] } }; score: { value: number; tier: string }; previousTier: string | null } };
    const subscription = record<Scored>(await ws(token), "subscription Scored { leadScored { lead { id fullName status notes(first: 2) { nodes { body } } } score { value tier } previousTier } }");
    await untilLive(token, [subscription]);
    const id = await createLead(token, "Scored");
    const event = await eventually(async () => {
      const found = subscription.results.find((result) => result.data?.leadScored.lead.id === id);
      expect(found).toBeDefined();
      return found!;
    }, 30_000);
    expect(event.errors).toBeUndefined();
    expect(event.data?.leadScored).toMatchObject({ lead: { id, fullName: "Scored Subscriber", status: "NEW", notes: { nodes: [] } }, score: { value: expect.any(Number), tier: expect.any(String) }, previousTier: null });
  });

  it("dashboardUpdated: the tenant's figures now, then again after a change", async () => {
    const tenant = uniqueTenant("dash");
    const token = await stack.token(tenant, Role.AGENT);
    await insertLeads(stack.appDb, tenant, 2, 0, { announce: true });
    type Dashboard = { dashboardUpdated: { counts: { leads: number } } };
    const subscription = record<Dashboard>(await ws(token), "subscription Dashboard { dashboardUpdated { counts { leads } } }");
    const [first] = await subscription.received(1);
    expect(first?.errors).toBeUndefined();
    await createLead(token, "Dashboard");
    await eventually(async () => {
      const counts = subscription.results.map((result) => result.data?.dashboardUpdated.counts.leads);
      expect(counts.at(-1)).toBe(3);
    }, 30_000);

    // A second dashboard with the identical subscription gets the figures at once too, with no
    // change to wait for: state feeds are never joined mid-stream.
    const second = record<Dashboard>(await ws(token), "subscription Dashboard { dashboardUpdated { counts { leads } } }");
    const [now] = await second.received(1);
    expect(now?.data?.dashboardUpdated.counts.leads).toBe(3);
  });

  it("usageUpdated: refused below ADMIN", async () => {
    const tenant = uniqueTenant("usage");
    const subscription = record(await ws(await stack.token(tenant, Role.AGENT)), "subscription Usage { usageUpdated { period { label } } }");
    const end = await subscription.ended;
    const codes = end.kind === "error" ? end.errors.map((error) => error.extensions?.["code"]) : subscription.results.flatMap((result) => (result.errors ?? []).map((error) => error.extensions?.["code"]));
    expect(codes).toContain("FORBIDDEN");
  });
});
