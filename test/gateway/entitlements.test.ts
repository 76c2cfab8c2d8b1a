import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createIdentitySigner, createIdentityVerifier, generateIdentityKeyPair } from "../../lib/auth/identity";
import { SCOPE_READ_ENTITLEMENTS } from "../../lib/auth/roles";
import { createLogger } from "../../lib/logger";
import { metricsRegistry } from "../../lib/metrics";
import { createEntitlementsLookup, isEntitlementsResponse, type EntitlementsLookupOptions } from "../../gateway/src/rate-limit/entitlements";
import { eventually } from "../helpers/eventually";

const keys = generateIdentityKeyPair();
const signer = createIdentitySigner(keys.privateKeyPem);
const verifier = createIdentityVerifier(keys.publicKeyPem, "billing");
const FALLBACK = 120;

/** How the stand-in billing answers an authorised request for a tenant. */
type Answer = { kind: "limit"; requestsPerMinute: number } | { kind: "no-account" } | { kind: "status"; status: number } | { kind: "not-json" } | { kind: "garbage" } | { kind: "errors" };

/**
 * A stand-in for the billing subgraph on a real local port: it accepts only identity tokens
 * signed for billing that carry `entitlements:read`, and answers per tenant as told. A call
 * can be held (`hold`) so a test can pile lookups up while it is in flight.
 */
async function startFakeBilling() {
  const answers = new Map<string, Answer>();
  const calls: string[] = [];
  let refused = 0;
  let held: Promise<void> | undefined;
  const respond = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    for await (const _chunk of req);
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    const identity = match ? await verifier.verify(match[1]!).catch(() => undefined) : undefined;
    if (!identity || !identity.scopes.includes(SCOPE_READ_ENTITLEMENTS)) {
      refused += 1;
      return respond(res, 401, JSON.stringify({ errors: [{ message: "unauthenticated", extensions: { code: "UNAUTHENTICATED" } }] }));
    }
    calls.push(identity.tenant);
    await held;
    const answer = answers.get(identity.tenant) ?? { kind: "no-account" };
    switch (answer.kind) {
      case "limit":
        return respond(res, 200, JSON.stringify({ data: { entitlements: { apiRequestsPerMinute: answer.requestsPerMinute } } }));
      case "no-account":
        return respond(res, 200, JSON.stringify({ data: { entitlements: null } }));
      case "status":
        return respond(res, answer.status, "");
      case "not-json":
        return respond(res, 200, "{ this is not json");
      case "garbage":
        return respond(res, 200, JSON.stringify({ data: { entitlements: { apiRequestsPerMinute: "lots" } } }));
      case "errors":
        return respond(res, 200, JSON.stringify({ data: null, errors: [{ message: "billing database unavailable" }] }));
    }
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    answers,
    calls,
    get refused() {
      return refused;
    },
    /** Holds every call until the returned function is called. */
    hold(): () => void {
      let release = () => undefined as void;
      held = new Promise<void>((resolve) => (release = resolve));
      return () => {
        held = undefined;
        release();
      };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type FakeBilling = Awaited<ReturnType<typeof startFakeBilling>>;

/** The current value of one labelled series of a counter (0 before its first increment). */
async function counterValue(name: string, labels: Readonly<Record<string, string>>): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric(name)?.get();
  const series = metric?.values.find((value) => Object.entries(labels).every(([key, label]) => value.labels[key] === label));
  return series?.value ?? 0;
}

function lookupFor(billingUrl: string, overrides: Partial<EntitlementsLookupOptions> = {}) {
  return createEntitlementsLookup({ billingUrl, signer, ttlMs: 60_000, fallbackRequestsPerMinute: FALLBACK, logger: createLogger("test", "silent"), ...overrides });
}

describe("entitlements lookup", () => {
  let billing: FakeBilling;
  beforeEach(async () => {
    billing = await startFakeBilling();
  });
  afterEach(async () => {
    await billing.stop();
  });

  it("asks billing with a gateway token for the tenant, and answers the plan's limit", async () => {
    billing.answers.set("tenant-a", { kind: "limit", requestsPerMinute: 600 });
    billing.answers.set("tenant-b", { kind: "limit", requestsPerMinute: 3000 });
    const lookup = lookupFor(billing.url);
    expect(await lookup.requestsPerMinute("tenant-a")).toBe(600);
    expect(await lookup.requestsPerMinute("tenant-b")).toBe(3000);
    expect(billing.calls).toEqual(["tenant-a", "tenant-b"]);
    expect(billing.refused).toBe(0);
  });

  it("makes one call for many concurrent lookups of one tenant", async () => {
    billing.answers.set("tenant-a", { kind: "limit", requestsPerMinute: 600 });
    const lookup = lookupFor(billing.url);
    const release = billing.hold();
    const pending = Array.from({ length: 25 }, () => lookup.requestsPerMinute("tenant-a"));
    await eventually(async () => expect(billing.calls).toHaveLength(1));
    release();
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 25 }, () => 600));
    expect(billing.calls).toEqual(["tenant-a"]);
    expect(lookup.stats.billingCalls).toBe(1);
  });

  it("serves a tenant's limit from the cache within the TTL", async () => {
    billing.answers.set("tenant-a", { kind: "limit", requestsPerMinute: 600 });
    const lookup = lookupFor(billing.url);
    for (let i = 0; i < 20; i++) expect(await lookup.requestsPerMinute("tenant-a")).toBe(600);
    expect(billing.calls).toHaveLength(1);
  });

  it("asks billing again once the TTL has passed, and takes a changed plan", async () => {
    billing.answers.set("tenant-a", { kind: "limit", requestsPerMinute: 600 });
    const lookup = lookupFor(billing.url, { ttlMs: 100 });
    expect(await lookup.requestsPerMinute("tenant-a")).toBe(600);
    billing.answers.set("tenant-a", { kind: "limit", requestsPerMinute: 900 });
    // Until the refresh lands the old limit is served, never a wait or the fallback.
    await eventually(async () => expect(await lookup.requestsPerMinute("tenant-a")).toBe(900));
    expect(billing.calls.length).toBeGreaterThanOrEqual(2);
  });

  it("counts cache lookups and billing calls by outcome", async () => {
    billing.answers.set("tenant-a", { kind: "limit", requestsPerMinute: 600 });
    billing.answers.set("tenant-c", { kind: "status", status: 500 });
    const lookup = lookupFor(billing.url);
    const read = async () => ({
      hits: await counterValue("hub_cache_lookups_total", { cache: "entitlements", result: "hit" }),
      misses: await counterValue("hub_cache_lookups_total", { cache: "entitlements", result: "miss" }),
      ok: await counterValue("gateway_entitlements_requests_total", { outcome: "ok" }),
      noAccount: await counterValue("gateway_entitlements_requests_total", { outcome: "no_account" }),
      error: await counterValue("gateway_entitlements_requests_total", { outcome: "error" }),
    });
    const before = await read();
    for (let i = 0; i < 3; i++) await lookup.requestsPerMinute("tenant-a");
    await lookup.requestsPerMinute("tenant-b");
    await lookup.requestsPerMinute("tenant-c");
    const after = await read();
    expect({
      hits: after.hits - before.hits,
      misses: after.misses - before.misses,
      ok: after.ok - before.ok,
      noAccount: after.noAccount - before.noAccount,
      error: after.error - before.error,
    }).toEqual({ hits: 2, misses: 3, ok: 1, noAccount: 1, error: 1 });
  });

  it("gives a tenant without a billing account the fallback limit", async () => {
    const lookup = lookupFor(billing.url);
    expect(await lookup.requestsPerMinute("no-account")).toBe(FALLBACK);
    expect(await lookup.requestsPerMinute("no-account")).toBe(FALLBACK);
    expect(billing.calls).toEqual(["no-account"]);
    expect(lookup.stats.billingFailures).toBe(0);
  });

  const failures: Array<[string, Answer]> = [
    ["an HTTP 500", { kind: "status", status: 500 }],
    ["a body that is not JSON", { kind: "not-json" }],
    ["a limit that is not a number", { kind: "garbage" }],
    ["GraphQL errors", { kind: "errors" }],
  ];

  it.each(failures)("falls back for a tenant never seen when billing answers %s", async (_name, answer) => {
    billing.answers.set("tenant-a", answer);
    const lookup = lookupFor(billing.url);
    expect(await lookup.requestsPerMinute("tenant-a")).toBe(FALLBACK);
    expect(lookup.stats.billingFailures).toBe(1);
  });

  it.each(failures)("keeps a tenant's last known limit when billing answers %s", async (_name, answer) => {
    billing.answers.set("tenant-a", { kind: "limit", requestsPerMinute: 600 });
    const lookup = lookupFor(billing.url, { ttlMs: 50 });
    expect(await lookup.requestsPerMinute("tenant-a")).toBe(600);
    billing.answers.set("tenant-a", answer);
    await eventually(async () => {
      expect(await lookup.requestsPerMinute("tenant-a")).toBe(600);
      expect(lookup.stats.billingFailures).toBeGreaterThanOrEqual(1);
    });
    expect(await lookup.requestsPerMinute("tenant-a")).toBe(600);
  });

  it("refuses a token that is not signed for billing (the stand-in checks it), which the lookup treats as a failure", async () => {
    const stranger = createIdentitySigner(generateIdentityKeyPair().privateKeyPem);
    const lookup = lookupFor(billing.url, { signer: stranger });
    expect(await lookup.requestsPerMinute("tenant-a")).toBe(FALLBACK);
    expect(billing.refused).toBe(1);
    expect(billing.calls).toEqual([]);
  });

  it("keeps the last known limit, then the fallback for new tenants, when billing is down", async () => {
    billing.answers.set("tenant-a", { kind: "limit", requestsPerMinute: 600 });
    const lookup = lookupFor(billing.url, { ttlMs: 50 });
    expect(await lookup.requestsPerMinute("tenant-a")).toBe(600);
    await billing.stop();
    await eventually(async () => {
      expect(await lookup.requestsPerMinute("tenant-a")).toBe(600);
      expect(lookup.stats.billingFailures).toBeGreaterThanOrEqual(1);
    });
    expect(await lookup.requestsPerMinute("tenant-b")).toBe(FALLBACK);
  });

  it("retries a failed call after the retry interval, not on every lookup", async () => {
    billing.answers.set("tenant-a", { kind: "status", status: 503 });
    const lookup = lookupFor(billing.url, { retryAfterFailureMs: 60_000 });
    for (let i = 0; i < 10; i++) expect(await lookup.requestsPerMinute("tenant-a")).toBe(FALLBACK);
    expect(billing.calls).toHaveLength(1);
  });

  it("gives up on a billing call that takes longer than the timeout", async () => {
    billing.answers.set("tenant-a", { kind: "limit", requestsPerMinute: 600 });
    const release = billing.hold();
    try {
      const lookup = lookupFor(billing.url, { timeoutMs: 50 });
      expect(await lookup.requestsPerMinute("tenant-a")).toBe(FALLBACK);
      expect(lookup.stats.billingFailures).toBe(1);
    } finally {
      release();
    }
  });
});

describe("billing's entitlements answer", () => {
  it.each([
    [{ data: { entitlements: { apiRequestsPerMinute: 600 } } }, true],
    [{ data: { entitlements: null } }, true],
    [{ data: { entitlements: { apiRequestsPerMinute: 0 } } }, false],
    [{ data: { entitlements: { apiRequestsPerMinute: 2.5 } } }, false],
    [{ data: { entitlements: { apiRequestsPerMinute: "600" } } }, false],
    [{ data: {} }, false],
    [{ data: null }, false],
    [null, false],
    ["600", false],
  ])("recognises %j: %s", (body, expected) => {
    expect(isEntitlementsResponse(body)).toBe(expected);
  });
});
