import { generateKeyPairSync } from "node:crypto";
import { sql } from "kysely";
import { createBridge } from "../../bridge/src/index";
import { Role, SCOPE_ANY_TENANT } from "../../lib/auth/roles";
import { createDatabase } from "../../lib/db/database";
import type { RunningServer } from "../../lib/http/http-server";
import { uuidv7 } from "../../lib/ids";
import { createLogger } from "../../lib/logger";
import type { GatewayDatabase } from "../../gateway/src/auth/api-key.repository";
import { createApiKey } from "../../gateway/src/auth/api-key.service";
import { testDatabaseUrls, uniqueTenant } from "../helpers/stack";

const urls = testDatabaseUrls();
const owner = createDatabase<unknown>(urls.owner, { name: "bridge-admin-test-owner" });
// Keys are made as the owner, like the `apikey` CLI; the bridge reads them as the app role.
const keysDb = createDatabase<GatewayDatabase>(urls.owner, { name: "bridge-admin-test-keys" });
const tenant = uniqueTenant("admin");
const other = uniqueTenant("admin-other");
let bridge: RunningServer;
let adminKey: string;
let viewerKey: string;
let otherAdminKey: string;
let serviceKey: string;

async function key(tenantId: string, role: Role, scopes: string[] = []): Promise<string> {
  return (await createApiKey(keysDb, { tenantId, name: `admin-test-${role}`, role, scopes, expiresAt: null })).key;
}

/** An inbox row as the workers would have left it. */
async function inboxRow(tenantId: string, status: string): Promise<string> {
  const id = uuidv7();
  await sql`insert into bridge.inbox (id, webhook_id, tenant_id, type, contact_key, event_timestamp, payload, status, attempts, last_error)
    values (${id}, ${`wh-${id}`}, ${tenantId}, 'ContactCreate', 'contact-1', now(), '{"type":"ContactCreate"}'::jsonb, ${status}, 8, ${status === "DEAD" ? "gave up after 8 attempts: HTTP 503" : null})`.execute(owner);
  return id;
}

async function call(path: string, apiKey: string | null, init: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${bridge.url}${path}`, { method: init.method ?? "GET", headers: { ...(apiKey ? { "x-api-key": apiKey } : {}), ...init.headers } });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  const { publicKey } = generateKeyPairSync("ed25519");
  bridge = await createBridge({
    port: 0,
    databaseUrl: urls.app,
    publicKeys: [publicKey.export({ type: "spki", format: "pem" }).toString()],
    maxAgeMs: 90 * 60_000,
    workflowSecrets: {},
    logger: createLogger("test", "silent"),
  });
  adminKey = await key(tenant, Role.ADMIN);
  viewerKey = await key(tenant, Role.VIEWER);
  otherAdminKey = await key(other, Role.ADMIN);
  serviceKey = await key("bridge-ops", Role.ADMIN, [SCOPE_ANY_TENANT]);
});

afterAll(async () => {
  await bridge.stop();
  await keysDb.destroy();
  await owner.destroy();
});

describe("dead-letter admin", () => {
  it("lists a tenant's dead webhooks, without payloads, to its ADMIN key only", async () => {
    const dead = await inboxRow(tenant, "DEAD");
    await inboxRow(tenant, "APPLIED");
    const listed = await call("/admin/webhooks?status=dead", adminKey);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      tenant,
      status: "DEAD",
      webhooks: [expect.objectContaining({ id: dead, status: "DEAD", type: "ContactCreate", contactKey: "contact-1", attempts: 8, lastError: "gave up after 8 attempts: HTTP 503" })],
    });
    expect(JSON.stringify(listed.body)).not.toContain("payload");

    expect((await call("/admin/webhooks?status=dead", null)).status).toBe(401);
    expect((await call("/admin/webhooks?status=dead", "ehk_forged_key")).status).toBe(401);
    expect((await call("/admin/webhooks?status=dead", viewerKey)).status).toBe(403);
    expect((await call("/admin/webhooks?status=bogus", adminKey)).status).toBe(400);
    // Another tenant's ADMIN sees only its own (none), and may not name this tenant.
    expect((await call("/admin/webhooks?status=dead", otherAdminKey)).body).toMatchObject({ tenant: other, webhooks: [] });
    expect((await call("/admin/webhooks?status=dead", otherAdminKey, { headers: { "x-hub-tenant": tenant } })).status).toBe(403);
    // A tenants:any ADMIN key acts for the tenant it names.
    expect((await call("/admin/webhooks?status=dead", serviceKey, { headers: { "x-hub-tenant": tenant } })).body).toMatchObject({ tenant, webhooks: [expect.objectContaining({ id: dead })] });
  });

  it("replays a dead webhook from a clean slate, once, and only for its own tenant", async () => {
    const dead = await inboxRow(tenant, "DEAD");
    expect((await call(`/admin/webhooks/${dead}/replay`, otherAdminKey, { method: "POST" })).status).toBe(404);
    const replayed = await call(`/admin/webhooks/${dead}/replay`, adminKey, { method: "POST" });
    expect(replayed).toEqual({ status: 202, body: { id: dead, status: "PENDING" } });
    const { rows } = await sql<{ status: string; attempts: number; last_error: string | null }>`select status, attempts, last_error from bridge.inbox where id = ${dead}`.execute(owner);
    expect(rows).toEqual([{ status: "PENDING", attempts: 0, last_error: null }]);
    // No longer dead: a second replay finds nothing.
    expect((await call(`/admin/webhooks/${dead}/replay`, adminKey, { method: "POST" })).status).toBe(404);
    expect((await call(`/admin/webhooks/not-a-uuid/replay`, adminKey, { method: "POST" })).status).toBe(404);
    expect((await call(`/admin/webhooks/${dead}/replay`, adminKey)).status).toBe(405);
  });
});
