import { createSecretKey, generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import { Role } from "../../lib/auth/roles";
import { createDatabase } from "../../lib/db/database";
import { createApiKey, revokeApiKey, rotateApiKey } from "../../gateway/src/auth/api-key.service";
import type { GatewayDatabase } from "../../gateway/src/auth/api-key.repository";
import { JWT, bearer, graphql, startStack, testDatabaseUrls, uniqueTenant, type TestStack } from "../helpers/stack";
import { insertLeads } from "../helpers/fixtures";

const QUERY = "{ leads(first: 1) { totalCount } }";
const tenant = uniqueTenant("auth");
let stack: TestStack;
const keysDb = createDatabase<GatewayDatabase>(testDatabaseUrls().owner, { name: "apikey-admin" });

beforeAll(async () => {
  stack = await startStack();
  await insertLeads(stack.appDb, tenant, 3);
});
afterAll(async () => {
  await stack.stop();
  await keysDb.destroy();
});

function sign(claims: Record<string, unknown>, options: { alg?: string; secret?: string; iss?: string; aud?: string; exp?: number; nbf?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant, role: "ADMIN", ...claims })
    .setProtectedHeader({ alg: options.alg ?? "HS256" })
    .setSubject("someone")
    .setIssuer(options.iss ?? JWT.issuer)
    .setAudience(options.aud ?? JWT.audience)
    .setNotBefore(options.nbf ?? now - 10)
    .setExpirationTime(options.exp ?? now + 600)
    .sign(createSecretKey(Buffer.from(options.secret ?? JWT.secret)));
}

function unsignedToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none", typ: "JWT" })}.${part({ sub: "x", tenant, role: "ADMIN", iss: JWT.issuer, aud: JWT.audience, exp: now + 600 })}.`;
}

async function expectRefused(headers: Record<string, string>): Promise<void> {
  const before = stack.leadsRequests.length;
  const response = await graphql(stack.gatewayUrl, QUERY, {}, headers);
  expect(response.status).toBe(401);
  expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  expect(response.data ?? null).toBeNull();
  expect(JSON.stringify(response.errors)).not.toMatch(/jwt|signature|expired|JWS/i);
  // Refused before planning: the subgraph was never called.
  expect(stack.leadsRequests.length).toBe(before);
}

describe("gateway authentication", () => {
  it("accepts a valid token and serves the caller's tenant", async () => {
    const response = await graphql<{ leads: { totalCount: number } }>(stack.gatewayUrl, QUERY, {}, bearer(await sign({})));
    expect(response.status).toBe(200);
    expect(response.data?.leads.totalCount).toBe(3);
  });

  it.each([
    ["no credentials", async () => ({})],
    ["a malformed header", async () => ({ authorization: "Token abc" })],
    ["an expired token", async () => bearer(await sign({}, { exp: Math.floor(Date.now() / 1000) - 60 }))],
    ["a token not yet valid", async () => bearer(await sign({}, { nbf: Math.floor(Date.now() / 1000) + 600 }))],
    ["a wrong signature", async () => bearer(await sign({}, { secret: "another-secret-another-secret-another-secret!!" }))],
    ["alg none", async () => bearer(unsignedToken())],
    ["a wrong audience", async () => bearer(await sign({}, { aud: "someone-else" }))],
    ["a wrong issuer", async () => bearer(await sign({}, { iss: "evil" }))],
    ["an unknown role", async () => bearer(await sign({ role: "ROOT" }))],
    ["a malformed tenant", async () => bearer(await sign({ tenant: "a b" }))],
    ["an HS512 token (not on the allow-list)", async () => bearer(await sign({}, { alg: "HS512" }))],
    ["an unknown API key", async () => ({ "x-api-key": "ehk_AAAAAAAAAAAA_" + "a".repeat(43) })],
  ])("refuses %s with 401 UNAUTHENTICATED", async (_label, headers) => {
    await expectRefused(await headers());
  });

  it("refuses an RS256 token even when it is otherwise valid (algorithm allow-list)", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ tenant, role: "ADMIN" })
      .setProtectedHeader({ alg: "RS256" })
      .setSubject("x")
      .setIssuer(JWT.issuer)
      .setAudience(JWT.audience)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    await expectRefused(bearer(token));
  });

  it("accepts API keys, and refuses them once revoked or past their rotation overlap", async () => {
    const { key, info } = await createApiKey(keysDb, { tenantId: tenant, name: "ci", role: Role.VIEWER, scopes: [], expiresAt: null });
    const ok = await graphql<{ leads: { totalCount: number } }>(stack.gatewayUrl, QUERY, {}, { "x-api-key": key });
    expect(ok.data?.leads.totalCount).toBe(3);

    const rotated = await rotateApiKey(keysDb, info.id, 0);
    expect(rotated).not.toBeNull();
    await expectRefused({ "x-api-key": key });
    const fresh = await graphql<{ leads: { totalCount: number } }>(stack.gatewayUrl, QUERY, {}, { "x-api-key": rotated!.key });
    expect(fresh.data?.leads.totalCount).toBe(3);

    expect(await revokeApiKey(keysDb, rotated!.info.id)).toBe(true);
    await expectRefused({ "x-api-key": rotated!.key });
  });

  it("keeps the old key valid during a rotation overlap", async () => {
    const { key, info } = await createApiKey(keysDb, { tenantId: tenant, name: "overlap", role: Role.AGENT, scopes: [], expiresAt: null });
    const rotated = await rotateApiKey(keysDb, info.id, 3600);
    for (const k of [key, rotated!.key]) {
      const response = await graphql<{ leads: { totalCount: number } }>(stack.gatewayUrl, QUERY, {}, { "x-api-key": k });
      expect(response.data?.leads.totalCount).toBe(3);
    }
  });

  it("lets only a tenants:any service caller act for another tenant", async () => {
    const other = uniqueTenant("auth-other");
    await insertLeads(stack.appDb, other, 2);
    const headers = { "x-hub-tenant": other };
    const plain = await graphql(stack.gatewayUrl, QUERY, {}, { ...bearer(await stack.token(tenant, Role.ADMIN)), ...headers });
    expect(plain.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const service = await graphql<{ leads: { totalCount: number } }>(stack.gatewayUrl, QUERY, {}, {
      ...bearer(await stack.token(tenant, Role.AGENT, { scopes: ["tenants:any"] })),
      ...headers,
    });
    expect(service.data?.leads.totalCount).toBe(2);
  });
});
