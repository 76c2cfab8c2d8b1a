import { generateIdentityKeyPair } from "../../lib/auth/identity";
import { Role } from "../../lib/auth/roles";
import { createLogger } from "../../lib/logger";
import { createGateway } from "../../gateway/src/index";
import { createLeadsSubgraph } from "../../subgraphs/leads/src/index";
import { readSupergraphSdl } from "../../scripts/schema-files";
import { insertLeads } from "../helpers/fixtures";
import { JWT, bearer, graphql, startStack, testDatabaseUrls, uniqueTenant, type TestStack } from "../helpers/stack";

const tenant = uniqueTenant("http");
let stack: TestStack;
let auth: Record<string, string>;

beforeAll(async () => {
  stack = await startStack();
  await insertLeads(stack.appDb, tenant, 5);
  auth = bearer(await stack.token(tenant, Role.AGENT));
});
afterAll(() => stack.stop());

/** A valid query `depth` fields deep (introspection types nest without end). */
function deep(depth: number): string {
  let selection = "name";
  for (let i = 0; i < depth - 5; i++) selection = `ofType { ${selection} }`;
  return `{ __schema { types { fields { type { ${selection} } } } } }`;
}

describe("gateway over HTTP", () => {
  it("serves GET queries per GraphQL-over-HTTP, and refuses GET mutations", async () => {
    const query = encodeURIComponent("{ leads(first: 2) { totalCount } }");
    const get = await fetch(`${stack.gatewayUrl}?query=${query}`, { headers: auth });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { leads: { totalCount: 5 } } });

    const mutation = encodeURIComponent('mutation { createLead(input: { firstName: "A", lastName: "B" }) { lead { id } } }');
    const refused = await fetch(`${stack.gatewayUrl}?query=${mutation}`, { headers: auth });
    expect(refused.status).toBe(405);
  });

  it("blocks a GET without a preflight-forcing header (CSRF prevention)", async () => {
    const query = encodeURIComponent("{ __typename }");
    const response = await fetch(`${stack.gatewayUrl}?query=${query}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/);
  });

  it("limits query depth, aliases and length with QUERY_TOO_COMPLEX, before any subgraph call", async () => {
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(" ")} }`;
    const long = `{ leads(first: 1) { totalCount } } ${"#".repeat(20_001)}`;
    for (const [query, message] of [[deep(13), /depth 13 exceeds the limit of 12/], [aliases, /aliases/], [long, /characters/]] as const) {
      const before = stack.leadsRequests.length;
      const response = await graphql(stack.gatewayUrl, query, {}, auth);
      expect(response.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
      expect(response.errors?.[0]?.message).toMatch(message);
      expect(stack.leadsRequests.length).toBe(before);
    }
    const ok = await graphql(stack.gatewayUrl, deep(12), {}, auth);
    expect(ok.errors).toBeUndefined();
  });

  it("answers an oversized body with 413 PAYLOAD_TOO_LARGE and bad JSON with 400", async () => {
    const big = await fetch(stack.gatewayUrl, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }", pad: "x".repeat(300_000) }) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe("PAYLOAD_TOO_LARGE");
    const bad = await fetch(stack.gatewayUrl, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{not json" });
    expect(bad.status).toBe(400);
  });

  it("reports syntax errors precisely", async () => {
    const response = await graphql(stack.gatewayUrl, "{ leads(first: 1) { ", {}, auth);
    expect(response.errors?.[0]?.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    const unknown = await graphql(stack.gatewayUrl, "{ leads(first: 1) { nope } }", {}, auth);
    expect(unknown.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("serves /health, /ready and Prometheus /metrics without credentials", async () => {
    const base = stack.gatewayUrl.replace(/\/graphql$/, "");
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/hub_graphql_request_duration_seconds_bucket\{[^}]*server="gateway"/);
    expect(metrics).toMatch(/hub_sql_statements_total/);
  });

  it("reuses kept-alive connections to the subgraph", async () => {
    const base = stack.gatewayUrl.replace(/\/graphql$/, "");
    const connections = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(/hub_http_connections_total\{server="leads"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    await graphql(stack.gatewayUrl, "{ leads(first: 1) { totalCount } }", {}, auth);
    const before = await connections();
    for (let i = 0; i < 20; i++) await graphql(stack.gatewayUrl, "{ leads(first: 1) { totalCount } }", {}, auth);
    expect(await connections()).toBe(before);
  });
});

describe("error masking", () => {
  it("hides internal failures behind INTERNAL_SERVER_ERROR and a request id", async () => {
    const keys = generateIdentityKeyPair();
    const logger = createLogger("test", "silent");
    // A subgraph whose database is unreachable fails every query with a connection error.
    const broken = await createLeadsSubgraph({ port: 0, databaseUrl: "postgres://nobody:secret@127.0.0.1:1/none", identityPublicKey: keys.publicKeyPem, logger });
    const gateway = await createGateway({
      port: 0,
      supergraphSdl: readSupergraphSdl(),
      subgraphUrls: { leads: broken.url },
      databaseUrl: testDatabaseUrls().app,
      identityPrivateKey: keys.privateKeyPem,
      jwt: { secret: JWT.secret, issuer: JWT.issuer, audience: JWT.audience },
      logger,
    });
    try {
      const response = await graphql(gateway.url, "{ leads(first: 1) { totalCount } }", {}, auth);
      const error = response.errors?.[0];
      expect(error?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      expect(error?.extensions?.requestId).toBe(response.headers.get("x-request-id"));
      expect(JSON.stringify(response)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|secret|stack|at /);
    } finally {
      await gateway.stop();
      await broken.stop();
    }
  });
});
