import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createIdentityVerifier, generateIdentityKeyPair } from "../../lib/auth/identity";
import { Role, SCOPE_ANY_TENANT } from "../../lib/auth/roles";
import type { RunningServer } from "../../lib/http/graphql-http";
import { createLogger } from "../../lib/logger";
import { metricsRegistry } from "../../lib/metrics";
import { signUserToken } from "../../gateway/src/auth/jwt";
import type { GatewayRateLimit } from "../../gateway/src/config";
import { createGateway } from "../../gateway/src/index";
import { readSupergraphSdl } from "../../scripts/schema-files";
import { JWT, bearer, graphql, testDatabaseUrls } from "../helpers/stack";

const keys = generateIdentityKeyPair();

/** A stand-in billing that answers each tenant's limit from `plans` (no entry: no account). */
async function startPlans(plans: Readonly<Record<string, number>>): Promise<{ url: string; stop(): Promise<void> }> {
  const verifier = createIdentityVerifier(keys.publicKeyPem, "billing");
  const server: Server = createServer((req, res) => {
    void (async () => {
      for await (const _chunk of req);
      const identity = await verifier.verify((req.headers.authorization ?? "").replace(/^Bearer /, "")).catch(() => undefined);
      const rpm = identity ? plans[identity.tenant] : undefined;
      res.writeHead(identity ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(identity ? { data: { entitlements: rpm === undefined ? null : { apiRequestsPerMinute: rpm } } } : { errors: [{ message: "no" }] }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function startGateway(rateLimit: GatewayRateLimit, subgraphUrls: Record<string, string> = {}): Promise<RunningServer> {
  return createGateway({
    port: 0,
    supergraphSdl: readSupergraphSdl(),
    subgraphUrls,
    databaseUrl: testDatabaseUrls().app,
    identityPrivateKey: keys.privateKeyPem,
    jwt: JWT,
    rateLimit,
    logger: createLogger("test", "silent"),
  });
}

function tokenFor(tenant: string, scopes: string[] = []): Promise<string> {
  return signUserToken(JWT.secret, { sub: "user-1", tenant, role: Role.AGENT, scopes }, { issuer: JWT.issuer, audience: JWT.audience, ttlSeconds: 600 });
}

// The gateway answers `__typename` itself, so these requests reach no subgraph.
const QUERY = "{ __typename }";

async function refusals(): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric("gateway_rate_limited_total")?.get();
  return metric?.values[0]?.value ?? 0;
}

describe("gateway rate limiting", () => {
  let billing: Awaited<ReturnType<typeof startPlans>>;
  let gateway: RunningServer;
  beforeAll(async () => {
    billing = await startPlans({ "plan-two": 2 });
    gateway = await startGateway({ unprovisionedRequestsPerMinute: 3, entitlementsTtlMs: 60_000 }, { billing: billing.url });
  });
  afterAll(async () => {
    await gateway.stop();
    await billing.stop();
  });

  it("refuses a tenant past its plan's limit with 429, Retry-After and a clear error", async () => {
    const auth = bearer(await tokenFor("plan-two"));
    const before = await refusals();
    expect((await graphql(gateway.url, QUERY, {}, auth)).status).toBe(200);
    expect((await graphql(gateway.url, QUERY, {}, auth)).status).toBe(200);
    const refused = await graphql(gateway.url, QUERY, {}, auth);
    expect(refused.status).toBe(429);
    // 2 per minute: a token every 30 s.
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(refused.data).toBeUndefined();
    expect(refused.errors).toEqual([
      {
        message: "rate limit exceeded: this tenant's plan allows 2 requests per minute; retry in 30 seconds",
        extensions: { code: "RATE_LIMITED", retryAfterSeconds: 30 },
      },
    ]);
    expect(await refusals()).toBe(before + 1);
  });

  it("gives a tenant without a billing account the unprovisioned limit", async () => {
    const auth = bearer(await tokenFor("no-account"));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await graphql(gateway.url, QUERY, {}, auth)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("does not limit service callers that may act for any tenant", async () => {
    const auth = { ...bearer(await tokenFor("bridge", [SCOPE_ANY_TENANT])), "x-hub-tenant": "plan-two" };
    for (let i = 0; i < 5; i++) expect((await graphql(gateway.url, QUERY, {}, auth)).status).toBe(200);
  });
});

describe("gateway rate limiting without billing", () => {
  it("limits every tenant at the unprovisioned rate", async () => {
    const gateway = await startGateway({ unprovisionedRequestsPerMinute: 1, entitlementsTtlMs: 60_000 });
    try {
      const auth = bearer(await tokenFor("any-tenant"));
      expect((await graphql(gateway.url, QUERY, {}, auth)).status).toBe(200);
      const refused = await graphql(gateway.url, QUERY, {}, auth);
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("60");
    } finally {
      await gateway.stop();
    }
  });

  it("refuses to start with a limit that is not a positive whole number", async () => {
    await expect(startGateway({ unprovisionedRequestsPerMinute: 0, entitlementsTtlMs: 60_000 })).rejects.toThrow(/unprovisionedRequestsPerMinute/);
  });
});
