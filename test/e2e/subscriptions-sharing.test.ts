import { createClient as createSseClient } from "graphql-sse";
import type { Client } from "graphql-ws";
import type WebSocket from "ws";
import { generateIdentityKeyPair } from "../../lib/auth/identity";
import { Role, SCOPE_MANAGE_ACCOUNTS } from "../../lib/auth/roles";
import { createLogger } from "../../lib/logger";
import { metricsRegistry } from "../../lib/metrics";
import { signUserToken } from "../../gateway/src/auth/jwt";
import { createGateway, type GatewayServer } from "../../gateway/src/index";
import { eventually } from "../helpers/eventually";
import { PROFILES_SDL, SUBJECT, startProfilesSubgraph, type ProfilesSubgraph } from "../helpers/profiles-subgraph";
import { PROBE, publishUntilReceived, signalsTypeDefs, startSignalsSubgraph, type SignalsSubgraph } from "../helpers/signals-subgraph";
import { JWT, testDatabaseUrls, uniqueTenant } from "../helpers/stack";
import { composeSupergraph } from "../helpers/test-subgraph";
import { RawSocket, connectWs, record, wsUrl, type RecordedOperation } from "../helpers/ws-client";

// Identical client subscriptions share one upstream subscription and one execution per
// event. The gateway fronts the test-only `signals` subgraph (whose listeners are the
// gateway's upstream subscriptions) and `profiles`, which counts the entity fetches that
// complete each event: one per event, however many subscribers.
const keys = generateIdentityKeyPair();
const logger = createLogger("test", process.env["LOG_LEVEL"] ?? "silent");
let signals: SignalsSubgraph;
let profiles: ProfilesSubgraph;
let supergraphSdl: string;
/** A small event queue, so a member that stops reading is dropped soon. */
let gateway: GatewayServer;
const clients: Client[] = [];

beforeAll(async () => {
  signals = await startSignalsSubgraph({ identityPublicKey: keys.publicKeyPem, entity: SUBJECT });
  profiles = await startProfilesSubgraph({ identityPublicKey: keys.publicKeyPem });
  supergraphSdl = composeSupergraph([
    { name: "signals", url: signals.url, typeDefs: signalsTypeDefs(SUBJECT) },
    { name: "profiles", url: profiles.url, typeDefs: PROFILES_SDL },
  ]);
  gateway = await createGateway({
    port: 0,
    supergraphSdl,
    subgraphUrls: { signals: signals.url, profiles: profiles.url },
    databaseUrl: testDatabaseUrls().app,
    identityPrivateKey: keys.privateKeyPem,
    jwt: JWT,
    logger,
    subscriptions: { maxQueuedEvents: 8, slowConsumerCloseGraceMs: 30_000 },
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

afterAll(async () => {
  await gateway?.stop();
  await signals?.stop();
  await profiles?.stop();
});

interface Caller {
  sub?: string;
  role?: Role;
  scopes?: string[];
  ttlSeconds?: number;
}

function token(tenant: string, caller: Caller = {}): Promise<string> {
  return signUserToken(JWT.secret, { sub: caller.sub ?? `user-of-${tenant}`, tenant, role: caller.role ?? Role.AGENT, scopes: caller.scopes ?? [] }, { issuer: JWT.issuer, audience: JWT.audience, ttlSeconds: caller.ttlSeconds ?? 600 });
}

/** A connection of its own for `tenant`'s caller. */
async function connection(tenant: string, caller: Caller = {}): Promise<Client> {
  const created = connectWs(wsUrl(gateway.url), { authorization: `Bearer ${await token(tenant, caller)}` });
  clients.push(created);
  return created;
}

async function listening(tenant: string, channel: string, count = 1): Promise<void> {
  await eventually(async () => expect(signals.listeners(tenant, channel)).toBe(count));
}

/** Subscribe messages the signals subgraph accepted for `tenant`'s `channel`, ever. */
function upstreamSubscribes(tenant: string, channel: string): number {
  return signals.subscribes.filter((subscribe) => subscribe.identity.tenant === tenant && subscribe.variables["channel"] === channel).length;
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const values = (await metricsRegistry.getSingleMetric(name)?.get())?.values ?? [];
  return values.filter((value) => Object.entries(labels).every(([key, label]) => value.labels[key] === label)).reduce((sum, value) => sum + value.value, 0);
}

interface Signal {
  seq: number;
  tenant: string;
  text: string;
  subject: { id: string; name: string; owner: string } | null;
}
type Signals = { signals: Signal };

const SIGNALS = "subscription Signals($channel: String!) { signals(channel: $channel) { seq tenant text subject { id name owner } } }";

/** What a member received past the probes. */
function signalsOf(operation: { readonly results: readonly { data?: Signals | null }[] }): Signal[] {
  return operation.results.flatMap((result) => (result.data && result.data.signals.text !== PROBE ? [result.data.signals] : []));
}

function textsOf(operation: { readonly results: readonly { data?: Signals | null }[] }): string[] {
  return signalsOf(operation).map((signal) => signal.text);
}

/** Waits until `operation` has the signal with `text`. */
function until(operation: RecordedOperation<Signals>, text: string): Promise<unknown> {
  return operation.waitFor((result) => result.data?.signals.text === text);
}

function codeOf(operation: RecordedOperation<unknown>): unknown {
  return operation.results.at(-1)?.errors?.[0]?.extensions?.["code"];
}

describe("shared subscriptions", () => {
  it("serves identical subscriptions from many connections with one upstream subscription and one execution per event, each member getting every event in order", async () => {
    const tenant = uniqueTenant("shared");
    // Different users of one tenant and role: the subject does not change what they read.
    const members = await Promise.all([1, 2, 3, 4].map(async (n) => record<Signals>(await connection(tenant, { sub: `user-${n}` }), SIGNALS, { channel: "news" })));
    await publishUntilReceived(signals, tenant, "news", members);
    expect(signals.listeners(tenant, "news")).toBe(1);
    expect(upstreamSubscribes(tenant, "news")).toBe(1);
    await eventually(async () => {
      expect(await metric("gateway_subscriptions_upstream_active", { field: "signals" })).toBe(1);
      expect(await metric("gateway_subscriptions_active", { field: "signals", transport: "ws" })).toBe(4);
    });

    // In waves that fit the members' queues of 8: a bigger burst would drop them as slow.
    const texts = Array.from({ length: 18 }, (_, i) => `news ${i + 1}`);
    for (let wave = 0; wave < texts.length; wave += 6) {
      for (const text of texts.slice(wave, wave + 6)) signals.publish(tenant, "news", { text, entityId: `s-${text}` });
      for (const member of members) await until(member, texts[wave + 5]!);
    }
    for (const member of members) {
      const received = signalsOf(member);
      expect(received.map((signal) => signal.text)).toEqual(texts);
      expect(received.map((signal) => signal.seq)).toEqual([...received.map((signal) => signal.seq)].sort((a, b) => a - b));
      // Completed by the entity fetch, made as the members' tenant.
      expect(received.every((signal) => signal.subject?.owner === tenant && signal.subject.name === `subject s-${signal.text}`)).toBe(true);
    }
    // The rest of the plan ran once per event, not once per member and event (probes fetch nothing).
    expect(profiles.resolvedFor(tenant)).toBe(texts.length);
  });

  it("keeps subscriptions apart that differ in variables, role, scopes or tenant, and never delivers across tenants", async () => {
    const acme = uniqueTenant("acme");
    const demo = uniqueTenant("demo");
    const agent = record<Signals>(await connection(acme), SIGNALS, { channel: "x" });
    const otherChannel = record<Signals>(await connection(acme), SIGNALS, { channel: "y" });
    const viewer = record<Signals>(await connection(acme, { role: Role.VIEWER }), SIGNALS, { channel: "x" });
    const scoped = record<Signals>(await connection(acme, { scopes: [SCOPE_MANAGE_ACCOUNTS] }), SIGNALS, { channel: "x" });
    const otherTenant = record<Signals>(await connection(demo), SIGNALS, { channel: "x" });
    // Every one of them is an upstream subscription of its own.
    await listening(acme, "x", 3);
    await listening(acme, "y", 1);
    await listening(demo, "x", 1);
    await eventually(async () => expect(await metric("gateway_subscriptions_upstream_active", { field: "signals" })).toBe(5));

    signals.publish(acme, "x", { text: "acme x", entityId: "a" });
    signals.publish(acme, "y", { text: "acme y" });
    signals.publish(demo, "x", { text: "demo x", entityId: "d" });
    for (const member of [agent, viewer, scoped]) await until(member, "acme x");
    await until(otherChannel, "acme y");
    await until(otherTenant, "demo x");
    // Each got its own event, and (the relay keeps the subgraph's order) no other before it.
    for (const member of [agent, viewer, scoped]) expect(textsOf(member)).toEqual(["acme x"]);
    expect(textsOf(otherChannel)).toEqual(["acme y"]);
    expect(signalsOf(otherTenant)).toEqual([{ seq: 1, tenant: demo, text: "demo x", subject: { id: "d", name: "subject d", owner: demo } }]);
  });

  it("keeps the others receiving when one member leaves, and closes the upstream subscription with the last", async () => {
    const tenant = uniqueTenant("leave");
    const [first, second, third] = await Promise.all([1, 2, 3].map(async () => record<Signals>(await connection(tenant), SIGNALS, { channel: "c" })));
    await publishUntilReceived(signals, tenant, "c", [first!, second!, third!]);

    first!.unsubscribe();
    expect(await first!.ended).toEqual({ kind: "complete" });
    signals.publish(tenant, "c", { text: "after first" });
    await until(second!, "after first");
    await until(third!, "after first");
    expect(signals.listeners(tenant, "c")).toBe(1);
    expect(textsOf(first!)).toEqual([]);

    second!.unsubscribe();
    third!.unsubscribe();
    await listening(tenant, "c", 0);
    await eventually(async () => expect(await metric("gateway_subscriptions_upstream_active", { field: "signals" })).toBe(0));

    // The next identical subscription starts a new upstream subscription.
    const again = record<Signals>(await connection(tenant), SIGNALS, { channel: "c" });
    await listening(tenant, "c", 1);
    expect(upstreamSubscribes(tenant, "c")).toBe(2);
    signals.publish(tenant, "c", { text: "again" });
    await until(again, "again");

    // A member whose connection closes leaves too.
    await clients.at(-1)!.dispose();
    await listening(tenant, "c", 0);
  });

  it("ends a member whose credentials expire alone; the others keep receiving", async () => {
    const tenant = uniqueTenant("expiry");
    // The expiring member comes first, so the shared subscription was opened as its caller.
    const expiring = record<Signals>(await connection(tenant, { sub: "short-lived", ttlSeconds: 4 }), SIGNALS, { channel: "e" });
    await listening(tenant, "e");
    const staying = record<Signals>(await connection(tenant, { sub: "long-lived" }), SIGNALS, { channel: "e" });
    await publishUntilReceived(signals, tenant, "e", [expiring, staying]);

    expect(await expiring.ended).toEqual({ kind: "complete" });
    expect(codeOf(expiring)).toBe("SUBSCRIPTION_CREDENTIALS_EXPIRED");
    signals.publish(tenant, "e", { text: "after expiry", entityId: "e-1" });
    await until(staying, "after expiry");
    expect(signalsOf(staying).at(-1)?.subject?.owner).toBe(tenant);
    expect(signals.listeners(tenant, "e")).toBe(1);
    expect(textsOf(expiring)).toEqual([]);
  });

  it("drops a member that stops reading alone; the others keep receiving every event, in order", async () => {
    const tenant = uniqueTenant("slow");
    const dropped = () => metric("gateway_slow_consumers_dropped_total", { transport: "ws" });
    const before = await dropped();
    const slow = await RawSocket.open(wsUrl(gateway.url));
    expect(await slow.init({ authorization: `Bearer ${await token(tenant)}` })).toEqual({ type: "connection_ack" });
    const slowReceived = { results: [] as unknown[] };
    slow.socket.on("message", (data: WebSocket.RawData) => slowReceived.results.push(JSON.parse(String(data))));
    slow.send({ id: "slow", type: "subscribe", payload: { query: "subscription Slow($channel: String!) { signals(channel: $channel) { seq text payload } }", variables: { channel: "s" } } });
    const fast = record<{ signals: { seq: number; text: string } }>(await connection(tenant), "subscription Slow($channel: String!) { signals(channel: $channel) { seq text payload } }", { channel: "s" });
    await publishUntilReceived(signals, tenant, "s", [slowReceived, fast]);
    expect(signals.listeners(tenant, "s")).toBe(1);

    slow.socket.pause();
    // The paused member's socket fills, then its queue of 8, and the gateway drops that client.
    const payload = "x".repeat(256 * 1024);
    for (let sent = 0; sent < 400 && (await dropped()) === before; sent++) {
      signals.publish(tenant, "s", { text: "load", payload });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await dropped()).toBe(before + 1);

    signals.publish(tenant, "s", { text: "after drop" });
    await fast.waitFor((result) => result.data?.signals.text === "after drop");
    expect(signals.listeners(tenant, "s")).toBe(1);
    expect(fast.results.every((result) => result.errors === undefined)).toBe(true);
    const seqs = fast.results.map((result) => result.data?.signals.seq ?? 0);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    slow.socket.resume();
    expect(await slow.closed).toEqual({ code: 1008, reason: "slow consumer" });
  });

  it("shares between WebSocket and SSE members", async () => {
    const tenant = uniqueTenant("sse");
    const ws = record<Signals>(await connection(tenant), SIGNALS, { channel: "mixed" });
    const sse = createSseClient({ url: gateway.url, headers: { authorization: `Bearer ${await token(tenant)}` }, retryAttempts: 0 });
    const viaSse: { results: { data?: Signals | null }[] } = { results: [] };
    const reading = (async () => {
      for await (const result of sse.iterate<Signals>({ query: SIGNALS, variables: { channel: "mixed" } })) {
        viaSse.results.push(result);
        if (result.data?.signals.text === "two") break;
      }
    })();
    await publishUntilReceived(signals, tenant, "mixed", [ws, viaSse]);
    expect(signals.listeners(tenant, "mixed")).toBe(1);
    signals.publish(tenant, "mixed", { text: "one", entityId: "m" });
    signals.publish(tenant, "mixed", { text: "two" });
    await reading;
    await until(ws, "two");
    expect(signalsOf(viaSse)).toEqual(signalsOf(ws));
    expect(textsOf(ws)).toEqual(["one", "two"]);
    sse.dispose();
  });

  it("ends every member with the same error when the upstream subscription fails, and starts afresh for the next subscriber", async () => {
    const tenant = uniqueTenant("fail");
    const members = await Promise.all([1, 2].map(async () => record<Signals>(await connection(tenant), SIGNALS, { channel: "f" })));
    await publishUntilReceived(signals, tenant, "f", members);
    signals.dropRelays();
    for (const member of members) {
      expect(await member.ended).toEqual({ kind: "complete" });
      expect(codeOf(member)).toBe("SUBSCRIPTION_UPSTREAM_FAILED");
    }
    const next = record<Signals>(await connection(tenant), SIGNALS, { channel: "f" });
    await listening(tenant, "f", 1);
    signals.publish(tenant, "f", { text: "fresh" });
    await until(next, "fresh");
  });

  it("ends every member when the supergraph is reloaded", async () => {
    const tenant = uniqueTenant("reload");
    const members = await Promise.all([1, 2].map(async () => record<Signals>(await connection(tenant), SIGNALS, { channel: "r" })));
    await publishUntilReceived(signals, tenant, "r", members);
    await gateway.reloadSupergraph(`${supergraphSdl}\n# reloaded\n`);
    for (const member of members) {
      expect(await member.ended).toEqual({ kind: "complete" });
      expect(codeOf(member)).toBe("SUBSCRIPTION_SCHEMA_RELOAD");
    }
    await listening(tenant, "r", 0);
  });
});
