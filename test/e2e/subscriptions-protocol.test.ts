import { createClient as createSseClient } from "graphql-sse";
import type { Client } from "graphql-ws";
import { generateIdentityKeyPair } from "../../lib/auth/identity";
import { Role } from "../../lib/auth/roles";
import { createDatabase } from "../../lib/db/database";
import { createLogger } from "../../lib/logger";
import { metricsRegistry } from "../../lib/metrics";
import type { GatewayDatabase } from "../../gateway/src/auth/api-key.repository";
import { createApiKey } from "../../gateway/src/auth/api-key.service";
import { signUserToken } from "../../gateway/src/auth/jwt";
import type { GatewayConfig } from "../../gateway/src/config";
import { createGateway, type GatewayServer } from "../../gateway/src/index";
import { eventually } from "../helpers/eventually";
import { BROKEN_PREFIX, HELD_PREFIX, PROFILES_SDL, SUBJECT, startProfilesSubgraph, type ProfilesSubgraph } from "../helpers/profiles-subgraph";
import { PROBE, publishUntilReceived, signalsTypeDefs, startSignalsSubgraph, type SignalsSubgraph } from "../helpers/signals-subgraph";
import { JWT, graphql, testDatabaseUrls, uniqueTenant } from "../helpers/stack";
import { composeSupergraph } from "../helpers/test-subgraph";
import { RawSocket, connectWs, executeWs, record, wsUrl, type OperationEnd } from "../helpers/ws-client";

// The gateway in front of two test-only subgraphs: `signals` streams events that point at a
// `Subject`, which `profiles` owns, so every event needs an entity fetch to another subgraph.
const keys = generateIdentityKeyPair();
const logger = createLogger("test", process.env["LOG_LEVEL"] ?? "silent");
const keysDb = createDatabase<GatewayDatabase>(testDatabaseUrls().owner, { name: "subscriptions-apikeys" });
let signals: SignalsSubgraph;
let profiles: ProfilesSubgraph;
let supergraphSdl: string;
/** Per-connection and per-tenant limits small enough to reach. */
let gateway: GatewayServer;
/** A short init timeout, a small event queue and a small request rate, for the tests that reach them. */
let tight: GatewayServer;
const clients: Client[] = [];

function gatewayConfig(overrides: Partial<GatewayConfig>): GatewayConfig {
  return {
    port: 0,
    supergraphSdl,
    subgraphUrls: { signals: signals.url, profiles: profiles.url },
    databaseUrl: testDatabaseUrls().app,
    identityPrivateKey: keys.privateKeyPem,
    jwt: JWT,
    logger,
    ...overrides,
  };
}

beforeAll(async () => {
  signals = await startSignalsSubgraph({ identityPublicKey: keys.publicKeyPem, entity: SUBJECT });
  profiles = await startProfilesSubgraph({ identityPublicKey: keys.publicKeyPem });
  supergraphSdl = composeSupergraph([
    { name: "signals", url: signals.url, typeDefs: signalsTypeDefs(SUBJECT) },
    { name: "profiles", url: profiles.url, typeDefs: PROFILES_SDL },
  ]);
  gateway = await createGateway(gatewayConfig({ subscriptions: { maxPerConnection: 3, maxPerTenant: 6 } }));
  tight = await createGateway(
    gatewayConfig({
      subscriptions: { connectionInitWaitTimeoutMs: 1_000, maxQueuedEvents: 8, slowConsumerCloseGraceMs: 30_000 },
      rateLimit: { unprovisionedRequestsPerMinute: 3, entitlementsTtlMs: 60_000 },
    }),
  );
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

afterAll(async () => {
  await gateway?.stop();
  await tight?.stop();
  await signals?.stop();
  await profiles?.stop();
  await keysDb.destroy();
});

function token(tenant: string, options: { role?: Role; ttlSeconds?: number; scopes?: string[] } = {}): Promise<string> {
  return signUserToken(JWT.secret, { sub: `user-of-${tenant}`, tenant, role: options.role ?? Role.AGENT, scopes: options.scopes ?? [] }, { issuer: JWT.issuer, audience: JWT.audience, ttlSeconds: options.ttlSeconds ?? 600 });
}

async function client(tenant: string, server: GatewayServer = gateway, params?: Record<string, unknown>): Promise<Client> {
  const authorization = `Bearer ${await token(tenant)}`;
  const created = connectWs(wsUrl(server.url), params ?? { authorization });
  clients.push(created);
  return created;
}

/** A raw socket that has been acknowledged. */
async function acknowledged(tenant: string, server: GatewayServer = gateway): Promise<RawSocket> {
  const socket = await RawSocket.open(wsUrl(server.url));
  expect(await socket.init({ authorization: `Bearer ${await token(tenant)}` })).toEqual({ type: "connection_ack" });
  return socket;
}

async function listening(tenant: string, channel: string, count = 1): Promise<void> {
  await eventually(async () => expect(signals.listeners(tenant, channel)).toBe(count));
}

function codeOf(end: OperationEnd): unknown {
  return end.kind === "error" ? end.errors[0]?.extensions?.["code"] : end.kind;
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await metricsRegistry.getSingleMetric(name)?.get())?.values ?? [];
  return values.filter((value) => Object.entries(labels).every(([key, label]) => value.labels[key] === label)).reduce((sum, value) => sum + value.value, 0);
}

const SIGNALS = "subscription Signals($channel: String!) { signals(channel: $channel) { seq tenant text subject { id name owner } } }";

describe("graphql-ws protocol", () => {
  it("answers ping with pong before and after the ack", async () => {
    const socket = await RawSocket.open(wsUrl(gateway.url));
    socket.send({ type: "ping", payload: { n: 1 } });
    expect(await socket.next()).toEqual({ type: "pong", payload: { n: 1 } });
    expect(await socket.init({ authorization: `Bearer ${await token(uniqueTenant("ping"))}` })).toEqual({ type: "connection_ack" });
    socket.send({ type: "ping" });
    expect(await socket.next()).toEqual({ type: "pong" });
    socket.close();
  });

  it.each([
    ["no connection params", async (): Promise<Record<string, unknown> | undefined> => undefined],
    ["no credentials", async () => ({})],
    ["a non-string authorization", async () => ({ authorization: 42 })],
    ["a malformed authorization", async () => ({ authorization: "Token abc" })],
    ["an expired token", async () => ({ authorization: `Bearer ${await token("expired", { ttlSeconds: -60 })}` })],
    ["a token signed with another secret", async () => ({ authorization: `Bearer ${await signUserToken("another-secret-that-is-long-enough-for-hs256!!", { sub: "x", tenant: "t", role: Role.ADMIN, scopes: [] }, { issuer: JWT.issuer, audience: JWT.audience, ttlSeconds: 60 })}` })],
    ["an unknown API key", async () => ({ apiKey: `ehk_AAAAAAAAAAAA_${"a".repeat(43)}` })],
    ["another tenant without tenants:any", async () => ({ authorization: `Bearer ${await token("mine")}`, tenant: "theirs" })],
  ])("closes 4403 Forbidden on %s", async (_label, params) => {
    const socket = await RawSocket.open(wsUrl(gateway.url));
    const payload = await params();
    socket.send(payload ? { type: "connection_init", payload } : { type: "connection_init" });
    expect(await socket.closed).toEqual({ code: 4403, reason: "Forbidden" });
  });

  it("closes 4408 when connection_init does not come in time", async () => {
    const socket = await RawSocket.open(wsUrl(tight.url));
    expect(await socket.closed).toEqual({ code: 4408, reason: "Connection initialisation timeout" });
  });

  it("closes 4429 on a second connection_init", async () => {
    const socket = await acknowledged(uniqueTenant("init"));
    socket.send({ type: "connection_init", payload: {} });
    expect(await socket.closed).toEqual({ code: 4429, reason: "Too many initialisation requests" });
  });

  it("closes 4401 on a subscribe before the ack", async () => {
    const socket = await RawSocket.open(wsUrl(gateway.url));
    socket.send({ id: "1", type: "subscribe", payload: { query: "{ signalListeners(channel: \"x\") }" } });
    expect(await socket.closed).toEqual({ code: 4401, reason: "Unauthorized" });
  });

  it("closes 4409 on a second subscribe with a running operation's id", async () => {
    const tenant = uniqueTenant("dup");
    const socket = await acknowledged(tenant);
    const subscribe = { id: "same", type: "subscribe", payload: { query: SIGNALS, variables: { channel: "dup" } } };
    socket.send(subscribe);
    await listening(tenant, "dup");
    socket.send(subscribe);
    expect(await socket.closed).toEqual({ code: 4409, reason: "Subscriber for same already exists" });
    // The operation that was running ended with the socket, upstream too.
    await listening(tenant, "dup", 0);
  });

  it.each([
    ["text that is not JSON", "not json"],
    ["an unknown message type", { type: "bogus" }],
    ["a subscribe without a payload", { id: "1", type: "subscribe" }],
  ])("closes 4400 on %s", async (_label, message) => {
    const socket = await acknowledged(uniqueTenant("bad"));
    socket.send(message);
    expect(await socket.closed).toEqual({ code: 4400, reason: "Invalid message received" });
  });

  it("closes 4406 when the client does not speak graphql-transport-ws", async () => {
    const socket = await RawSocket.open(wsUrl(gateway.url), []);
    expect((await socket.closed).code).toBe(4406);
  });

  it("refuses WebSocket upgrades on any other path", async () => {
    await expect(RawSocket.open(wsUrl(gateway.url).replace("/graphql", "/elsewhere"))).rejects.toThrow();
  });
});

describe("operations over WebSocket", () => {
  it("runs queries and mutations through the same pipeline as HTTP, as the caller", async () => {
    const tenant = uniqueTenant("ops");
    const ws = await client(tenant);
    const subscription = record<{ signals: { text: string; tenant: string } }>(ws, SIGNALS, { channel: "ops" });
    await listening(tenant, "ops");
    expect(await executeWs(ws, "query Listeners { signalListeners(channel: \"ops\") }")).toEqual({ data: { signalListeners: 1 } });
    expect(await executeWs(ws, "mutation Send($text: String!) { sendSignal(channel: \"ops\", text: $text) }", { text: "hello" })).toEqual({ data: { sendSignal: 1 } });
    const [event] = await subscription.received(1);
    expect(event?.data?.signals).toMatchObject({ text: "hello", tenant });
  });

  it("answers a bad operation with errors for that operation and keeps the connection", async () => {
    const ws = await client(uniqueTenant("bad-ops"));
    const query = await executeWs(ws, "{ noSuchField }");
    expect(query.errors?.[0]?.extensions?.["code"]).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(codeOf(await record(ws, "subscription { noSuchField }").ended)).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(codeOf(await record(ws, "subscription {").ended)).toBe("GRAPHQL_PARSE_FAILED");
    expect(codeOf(await record(ws, SIGNALS, {}).ended)).toBe("BAD_USER_INPUT");
    expect(await executeWs(ws, "{ signalListeners(channel: \"still-open\") }")).toEqual({ data: { signalListeners: 0 } });
  });

  it("applies the query limits to every operation, without HTTP details in the errors", async () => {
    const ws = await client(uniqueTenant("limits"));
    const aliases = (field: string) => Array.from({ length: 31 }, (_, i) => `a${i}: ${field}`).join(" ");
    expect(codeOf(await record(ws, `subscription { signals(channel: "x") { ${aliases("seq")} } }`).ended)).toBe("QUERY_TOO_COMPLEX");
    const query = await executeWs(ws, `{ ${aliases("signalListeners(channel: \"x\")")} }`);
    expect(query.errors?.[0]?.extensions).toEqual({ code: "QUERY_TOO_COMPLEX" });
  });

  it("refuses a subscription sent as plain HTTP, naming the transports that serve it", async () => {
    const response = await graphql(gateway.url, SIGNALS, { channel: "http" }, { authorization: `Bearer ${await token(uniqueTenant("http"))}` });
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    expect(response.errors?.[0]?.message).toMatch(/WebSocket.*Server-Sent Events/);
  });
});

describe("federated subscriptions", () => {
  it("completes every event with fields from another subgraph, fetched as the subscriber", async () => {
    const tenant = uniqueTenant("fed");
    const ws = await client(tenant);
    const subscription = record<{ signals: { seq: number; tenant: string; text: string; subject: { id: string; name: string; owner: string } | null } }>(ws, SIGNALS, { channel: "fed" });
    await listening(tenant, "fed");
    signals.publish(tenant, "fed", { text: "one", entityId: "s-1" });
    signals.publish(tenant, "fed", { text: "two" });
    const results = await subscription.received(2);
    expect(results).toEqual([
      { data: { signals: { seq: 1, tenant, text: "one", subject: { id: "s-1", name: "subject s-1", owner: tenant } } } },
      { data: { signals: { seq: 2, tenant, text: "two", subject: null } } },
    ]);
    // The owning subgraph got the caller's identity and only the variables its fetch uses.
    const received = signals.subscribes.find((subscribe) => subscribe.identity.tenant === tenant);
    expect(received?.identity).toMatchObject({ sub: `user-of-${tenant}`, tenant, role: Role.AGENT });
    expect(received?.variables).toEqual({ channel: "fed" });
    expect(typeof received?.requestId).toBe("string");
  });

  it("delivers a burst in order, then completes when the subgraph does", async () => {
    const ws = await client(uniqueTenant("burst"));
    const burst = record<{ signalBurst: { seq: number } }>(ws, "subscription { signalBurst(count: 300) { seq } }");
    expect(await burst.ended).toEqual({ kind: "complete" });
    expect(burst.results.map((result) => result.data?.signalBurst.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it("runs the entity fetches of several events at once, and still delivers them in arrival order", async () => {
    const tenant = uniqueTenant("overlap");
    const ws = await client(tenant);
    const subscription = record<{ signals: { seq: number; subject: { id: string } | null } }>(ws, SIGNALS, { channel: "overlap" });
    await listening(tenant, "overlap");
    const ids = ["a", "b", "c", "d"].map((suffix) => `${HELD_PREFIX}${tenant}-${suffix}`);
    for (const id of ids) signals.publish(tenant, "overlap", { text: id, entityId: id });
    // All four fetches wait at once: one event at a time would leave a single one waiting.
    await eventually(async () => expect(profiles.held().filter((id) => id.includes(tenant)).sort()).toEqual([...ids].sort()));
    // Answered last to first: the client must still see the first event first.
    for (const id of [...ids].reverse()) profiles.release(id);
    const results = await subscription.received(4);
    expect(results.map((result) => result.data?.signals.subject?.id)).toEqual(ids);
    expect(results.map((result) => result.data?.signals.seq)).toEqual([1, 2, 3, 4]);
  });

  it("merges the entity fetches of a burst into one request, and gives each event its own entity", async () => {
    const tenant = uniqueTenant("merge");
    const ws = await client(tenant);
    const subscription = record<{ signals: { seq: number; subject: { id: string; name: string; owner: string } | null } }>(ws, SIGNALS, { channel: "merge" });
    await listening(tenant, "merge");
    const ids = Array.from({ length: 6 }, (_, i) => `${tenant}-s${i}`);
    for (const id of ids) signals.publish(tenant, "merge", { text: id, entityId: id });
    const results = await subscription.received(6);
    expect(results.map((result) => result.data?.signals.subject)).toEqual(ids.map((id) => ({ id, name: `subject ${id}`, owner: tenant })));
    expect(profiles.resolvedFor(tenant)).toBe(6);
    // Published in one go, executed side by side: fewer requests than events.
    expect(profiles.requestsFor(tenant)).toBeLessThan(6);
  });

  it("gives an entity's error in a merged fetch to its own event only", async () => {
    const tenant = uniqueTenant("merge-err");
    const ws = await client(tenant);
    const subscription = record<{ signals: { seq: number; subject: { id: string } | null } }>(ws, SIGNALS, { channel: "merge-err" });
    await listening(tenant, "merge-err");
    const ids = [`${tenant}-a`, `${tenant}-b`, `${BROKEN_PREFIX}${tenant}`, `${tenant}-d`, `${tenant}-e`, `${tenant}-f`];
    for (const id of ids) signals.publish(tenant, "merge-err", { text: id, entityId: id });
    const results = await subscription.received(6);
    expect(profiles.requestsFor(tenant)).toBeLessThan(6);
    expect(results.map((result) => result.data?.signals.subject?.id ?? null)).toEqual(ids.map((id) => (id.startsWith(BROKEN_PREFIX) ? null : id)));
    expect(results.map((result) => (result.errors ?? []).length > 0)).toEqual([false, false, true, false, false, false]);
  });

  it("multiplexes every subscription over one connection to the owning subgraph", async () => {
    const tenants = [uniqueTenant("mux-a"), uniqueTenant("mux-b")];
    for (const tenant of tenants) {
      const ws = await client(tenant);
      record(ws, SIGNALS, { channel: "mux-1" });
      record(ws, SIGNALS, { channel: "mux-2" });
    }
    for (const tenant of tenants) {
      await listening(tenant, "mux-1");
      await listening(tenant, "mux-2");
    }
    expect(signals.openRelays()).toBe(1);
  });

  it("keeps tenants apart under concurrent load", async () => {
    const acme = uniqueTenant("acme");
    const demo = uniqueTenant("demo");
    const subscriptions = [];
    for (const tenant of [acme, demo, acme, demo]) {
      subscriptions.push({ tenant, operation: record<{ signals: { seq: number; tenant: string; text: string } }>(await client(tenant), SIGNALS, { channel: "load" }) });
    }
    for (const tenant of [acme, demo]) {
      await publishUntilReceived(signals, tenant, "load", subscriptions.filter((subscription) => subscription.tenant === tenant).map(({ operation }) => operation));
    }
    const count = 150;
    for (let i = 1; i <= count; i++) {
      signals.publish(acme, "load", { text: `acme ${i}` });
      signals.publish(demo, "load", { text: `demo ${i}` });
    }
    for (const { tenant, operation } of subscriptions) {
      const prefix = tenant === acme ? "acme" : "demo";
      await operation.waitFor((result) => result.data?.signals.text === `${prefix} ${count}`);
      expect(operation.results.map((result) => result.data?.signals.tenant)).toEqual(Array(operation.results.length).fill(tenant));
      const texts = operation.results.map((result) => result.data?.signals.text).filter((text) => text !== PROBE);
      expect(texts).toEqual(Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}`));
    }
  });

  it("passes a subgraph's refusal through to the subscriber", async () => {
    const ws = await client(uniqueTenant("refused"));
    const refused = record(ws, "subscription { forbiddenSignals { seq } }");
    expect(await refused.ended).toEqual({ kind: "complete" });
    expect(refused.results).toHaveLength(1);
    expect(refused.results[0]?.errors?.[0]?.extensions?.["code"]).toBe("FORBIDDEN");
  });

  it("ends subscriptions with SUBSCRIPTION_UPSTREAM_FAILED when their subgraph fails, and reconnects for the next", async () => {
    const tenant = uniqueTenant("upstream");
    const ws = await client(tenant);
    const before = record(ws, SIGNALS, { channel: "up" });
    await listening(tenant, "up");
    signals.dropRelays();
    expect(await before.ended).toEqual({ kind: "complete" });
    expect(before.results.at(-1)?.errors?.[0]?.extensions?.["code"]).toBe("SUBSCRIPTION_UPSTREAM_FAILED");

    const after = record<{ signals: { text: string } }>(ws, SIGNALS, { channel: "up" });
    await listening(tenant, "up");
    signals.publish(tenant, "up", { text: "back" });
    expect((await after.received(1))[0]?.data?.signals.text).toBe("back");
  });

  it("ends a subscription with SUBSCRIPTION_CREDENTIALS_EXPIRED when the client's token expires", async () => {
    const tenant = uniqueTenant("expiry");
    const ws = connectWs(wsUrl(gateway.url), { authorization: `Bearer ${await token(tenant, { ttlSeconds: 3 })}` });
    clients.push(ws);
    const subscription = record<{ signals: { text: string } }>(ws, SIGNALS, { channel: "exp" });
    await listening(tenant, "exp");
    signals.publish(tenant, "exp", { text: "before" });
    expect((await subscription.received(1))[0]?.data?.signals.text).toBe("before");
    expect(await subscription.ended).toEqual({ kind: "complete" });
    expect(subscription.results.at(-1)?.errors?.[0]).toMatchObject({ extensions: { code: "SUBSCRIPTION_CREDENTIALS_EXPIRED" } });
    await listening(tenant, "exp", 0);
    // The connection is still there, but its credentials are not: nothing new runs on it.
    expect(codeOf(await record(ws, "{ signalListeners(channel: \"exp\") }").ended)).toBe("UNAUTHENTICATED");
  });

  it("ends running subscriptions with SUBSCRIPTION_SCHEMA_RELOAD when the supergraph is reloaded", async () => {
    const tenant = uniqueTenant("reload");
    const ws = await client(tenant);
    const subscription = record(ws, SIGNALS, { channel: "reload" });
    await listening(tenant, "reload");
    await gateway.reloadSupergraph(`${supergraphSdl}\n# reloaded\n`);
    expect(await subscription.ended).toEqual({ kind: "complete" });
    expect(subscription.results.at(-1)?.errors?.[0]?.extensions?.["code"]).toBe("SUBSCRIPTION_SCHEMA_RELOAD");
    await listening(tenant, "reload", 0);

    // A supergraph that does not load is refused, and the loaded one stays.
    await expect(gateway.reloadSupergraph("type Query { broken: Nope }")).rejects.toThrow();
    const again = record<{ signals: { text: string } }>(ws, SIGNALS, { channel: "reload" });
    await listening(tenant, "reload");
    signals.publish(tenant, "reload", { text: "new schema" });
    expect((await again.received(1))[0]?.data?.signals.text).toBe("new schema");
  });

  it("refuses a subscribe over the per-connection limit, and takes one again once a slot frees", async () => {
    const tenant = uniqueTenant("per-conn");
    const ws = await client(tenant);
    const running = [1, 2, 3].map((n) => record(ws, SIGNALS, { channel: `c${n}` }));
    for (const n of [1, 2, 3]) await listening(tenant, `c${n}`);
    const refused = record(ws, SIGNALS, { channel: "c4" });
    expect(codeOf(await refused.ended)).toBe("SUBSCRIPTION_LIMIT_EXCEEDED");
    running[0]!.unsubscribe();
    await listening(tenant, "c1", 0);
    record(ws, SIGNALS, { channel: "c4" });
    await listening(tenant, "c4");
  });

  it("refuses a subscribe over the per-tenant limit, whatever the connection", async () => {
    const tenant = uniqueTenant("per-tenant");
    for (const connection of [1, 2]) {
      const ws = await client(tenant);
      for (const n of [1, 2, 3]) record(ws, SIGNALS, { channel: `t${connection}-${n}` });
    }
    for (const connection of [1, 2]) for (const n of [1, 2, 3]) await listening(tenant, `t${connection}-${n}`);
    expect(codeOf(await record(await client(tenant), SIGNALS, { channel: "t3" }).ended)).toBe("SUBSCRIPTION_LIMIT_EXCEEDED");
    // Another tenant is not affected.
    const other = uniqueTenant("per-tenant-other");
    record(await client(other), SIGNALS, { channel: "t3" });
    await listening(other, "t3");
  });

  it("drops a client that stops reading, with 1008 slow consumer, and ends its subscriptions upstream", async () => {
    const tenant = uniqueTenant("slow");
    const dropped = () => metric("gateway_slow_consumers_dropped_total", { transport: "ws" });
    const before = await dropped();
    const socket = await acknowledged(tenant, tight);
    socket.send({ id: "slow", type: "subscribe", payload: { query: "subscription Slow { signals(channel: \"slow\") { seq payload } }" } });
    await listening(tenant, "slow");
    socket.socket.pause();
    // Events flow only once the client has stopped reading: they fill the socket, then the
    // subscription's queue of 8, and the gateway lets go of the client and of the subgraph.
    const payload = "x".repeat(256 * 1024);
    for (let sent = 0; sent < 400 && (await dropped()) === before; sent++) {
      signals.publish(tenant, "slow", { text: "slow", payload });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await dropped()).toBe(before + 1);
    await listening(tenant, "slow", 0);
    socket.socket.resume();
    expect(await socket.closed).toEqual({ code: 1008, reason: "slow consumer" });
  });

  it("counts the connection and every operation against the tenant's request rate", async () => {
    const tenant = uniqueTenant("rate");
    // The tight gateway allows 3 requests a minute: the connection, then two operations.
    const ws = await client(tenant, tight);
    expect(await executeWs(ws, "{ signalListeners(channel: \"r\") }")).toEqual({ data: { signalListeners: 0 } });
    expect(await executeWs(ws, "{ signalListeners(channel: \"r\") }")).toEqual({ data: { signalListeners: 0 } });
    const refused = await record(ws, "{ signalListeners(channel: \"r\") }").ended;
    expect(refused.kind === "error" && refused.errors[0]?.extensions).toEqual({ code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) });
    const socket = await RawSocket.open(wsUrl(tight.url));
    socket.send({ type: "connection_init", payload: { authorization: `Bearer ${await token(tenant)}` } });
    const closed = await socket.closed;
    expect(closed.code).toBe(1013);
    expect(closed.reason).toMatch(/rate limit exceeded/);
  });

  it("accepts an API key, and a tenants:any caller acting for the tenant it names", async () => {
    const keyTenant = uniqueTenant("apikey");
    const { key } = await createApiKey(keysDb, { tenantId: keyTenant, name: "ws", role: Role.VIEWER, scopes: [], expiresAt: null });
    const byKey = connectWs(wsUrl(gateway.url), { apiKey: key });
    clients.push(byKey);
    record(byKey, SIGNALS, { channel: "key" });
    await listening(keyTenant, "key");

    const actedFor = uniqueTenant("acted-for");
    const service = connectWs(wsUrl(gateway.url), { authorization: `Bearer ${await token("bridge", { scopes: ["tenants:any"] })}`, tenant: actedFor });
    clients.push(service);
    record(service, SIGNALS, { channel: "svc" });
    await listening(actedFor, "svc");
  });

  it("exports connection, subscription and delivery metrics", async () => {
    const tenant = uniqueTenant("metrics");
    const deliveredBefore = await metric("gateway_subscription_events_delivered_total", { field: "signals" });
    const ws = await client(tenant);
    const subscription = record(ws, SIGNALS, { channel: "m" });
    await listening(tenant, "m");
    expect(await metric("gateway_websocket_connections")).toBeGreaterThanOrEqual(1);
    expect(await metric("gateway_subscriptions_active", { field: "signals", transport: "ws" })).toBeGreaterThanOrEqual(1);
    for (const text of ["a", "b", "c"]) signals.publish(tenant, "m", { text });
    await subscription.received(3);
    // A result counts as delivered once the transport has written it and asks for the next.
    await eventually(async () => expect(await metric("gateway_subscription_events_delivered_total", { field: "signals" })).toBeGreaterThanOrEqual(deliveredBefore + 2));
    const text = await (await fetch(new URL("/metrics", gateway.url))).text();
    expect(text).toMatch(/^gateway_subscription_delivery_seconds_count\{field="signals"\} [1-9]/m);
  });
});

describe("GraphQL over SSE", () => {
  function sseClient(authorization: string): ReturnType<typeof createSseClient> {
    return createSseClient({ url: gateway.url, headers: { authorization }, retryAttempts: 0 });
  }

  it("delivers the same events as the WebSocket transport", async () => {
    type Signals = { signals: { text: string } };
    const tenant = uniqueTenant("sse");
    const authorization = `Bearer ${await token(tenant)}`;
    const ws = record<Signals>(await client(tenant), SIGNALS, { channel: "both" });
    const sse = sseClient(authorization);
    const viaSse: { results: { data?: Signals | null }[] } = { results: [] };
    const reading = (async () => {
      for await (const result of sse.iterate<Signals>({ query: SIGNALS, variables: { channel: "both" } })) {
        viaSse.results.push(result);
        if (result.data?.signals.text === "3") break;
      }
    })();
    // Identical subscriptions of one tenant share one upstream subscription, whatever their transport.
    await publishUntilReceived(signals, tenant, "both", [ws, viaSse]);
    expect(signals.listeners(tenant, "both")).toBe(1);
    signals.publish(tenant, "both", { text: "1", entityId: "x" });
    signals.publish(tenant, "both", { text: "2" });
    signals.publish(tenant, "both", { text: "3", entityId: "y" });
    await reading;
    await ws.waitFor((result) => result.data?.signals.text === "3");
    const unprobed = (results: readonly { data?: Signals | null }[]) => results.filter((result) => result.data?.signals.text !== PROBE);
    expect(unprobed(ws.results)).toHaveLength(3);
    expect(unprobed(viaSse.results)).toEqual(unprobed(ws.results));
    sse.dispose();
    // The WebSocket subscription carries on alone, on the same upstream subscription.
    signals.publish(tenant, "both", { text: "4" });
    await ws.waitFor((result) => result.data?.signals.text === "4");
    expect(signals.listeners(tenant, "both")).toBe(1);
  });

  it("runs a query over SSE", async () => {
    const sse = sseClient(`Bearer ${await token(uniqueTenant("sse-query"))}`);
    const results: unknown[] = [];
    for await (const result of sse.iterate({ query: "{ signalListeners(channel: \"none\") }" })) results.push(result);
    expect(results).toEqual([{ data: { signalListeners: 0 } }]);
    sse.dispose();
  });

  it("refuses missing credentials with 401 and a limit with 429, as JSON", async () => {
    const post = (headers: Record<string, string>) =>
      fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json", accept: "text/event-stream", ...headers }, body: JSON.stringify({ query: SIGNALS, variables: { channel: "refused" } }) });
    const anonymous = await post({});
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });

    const tenant = uniqueTenant("sse-limit");
    for (const connection of [1, 2]) {
      const ws = await client(tenant);
      for (const n of [1, 2, 3]) record(ws, SIGNALS, { channel: `s${connection}-${n}` });
    }
    for (const connection of [1, 2]) for (const n of [1, 2, 3]) await listening(tenant, `s${connection}-${n}`);
    const limited = await post({ authorization: `Bearer ${await token(tenant)}` });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ errors: [{ extensions: { code: "SUBSCRIPTION_LIMIT_EXCEEDED" } }] });
  });

  it("ends an SSE subscription with the same error when the supergraph is reloaded", async () => {
    const tenant = uniqueTenant("sse-reload");
    const sse = sseClient(`Bearer ${await token(tenant)}`);
    const results: { errors?: readonly { extensions?: Record<string, unknown> }[] }[] = [];
    const reading = (async () => {
      for await (const result of sse.iterate({ query: SIGNALS, variables: { channel: "sse-reload" } })) results.push(result);
    })();
    await listening(tenant, "sse-reload");
    await gateway.reloadSupergraph(`${supergraphSdl}\n# reloaded for sse\n`);
    await reading;
    expect(results.at(-1)?.errors?.[0]?.extensions?.["code"]).toBe("SUBSCRIPTION_SCHEMA_RELOAD");
    sse.dispose();
  });
});
