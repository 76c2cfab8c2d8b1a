import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import { sql } from "kysely";
import pg from "pg";
import pino from "pino";
import { createBridge, type BridgeConfig } from "../../bridge/src/index";
import { GHL_WEBHOOK_PATH, MAX_WEBHOOK_BYTES, WORKFLOW_SECRET_HEADER } from "../../bridge/src/intake/webhook.route";
import { createDatabase } from "../../lib/db/database";
import type { RunningServer } from "../../lib/http/http-server";
import { isTenantId } from "../../lib/ids";
import { createLogger } from "../../lib/logger";
import { testDatabaseUrls, uniqueTenant } from "../helpers/stack";

const FIXTURES = join(__dirname, "..", "fixtures", "ghl");
const urls = testDatabaseUrls();
const owner = createDatabase<unknown>(urls.owner, { name: "bridge-intake-test-owner" });

/** A JSON object as the tests build and re-stamp payloads. */
type Json = { [key: string]: unknown };

/** What intake stored, as the tests inspect it. */
interface StoredRow {
  tenant_id: string;
  webhook_id: string;
  type: string;
  contact_key: string | null;
  status: string;
  event_timestamp: Date;
  payload: unknown;
}

function keyPair(type: "ed25519" | "rsa"): { privateKey: KeyObject; publicPem: string } {
  const { privateKey, publicKey } = type === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privateKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

const current = keyPair("ed25519");
const rotated = keyPair("ed25519");
const stranger = keyPair("ed25519");
const legacy = keyPair("rsa");

function ed25519Signature(body: Buffer, key: KeyObject = current.privateKey): string {
  return sign(null, body, key).toString("base64");
}

function rsaSignature(body: Buffer): string {
  return sign("sha256", body, legacy.privateKey).toString("base64");
}

/** Log lines the bridge writes, to check what a refusal logs. */
const logLines: string[] = [];
const logger = pino(
  { level: "warn" },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  }),
);

const workflowTenant = uniqueTenant("wf");
const workflowSecret = "workflow-secret-0123456789abcdef";

function bridgeConfig(overrides: Partial<BridgeConfig> = {}): BridgeConfig {
  return {
    port: 0,
    databaseUrl: urls.app,
    publicKeys: [current.publicPem, rotated.publicPem],
    legacyPublicKey: legacy.publicPem,
    legacySignatureUntil: new Date(Date.now() + 24 * 3_600_000),
    maxAgeMs: 90 * 60_000,
    workflowSecrets: { [workflowTenant]: workflowSecret },
    logger,
    ...overrides,
  };
}

let bridge: RunningServer;
beforeAll(async () => {
  bridge = await createBridge(bridgeConfig());
});
afterAll(async () => {
  await bridge.stop();
  await owner.destroy();
});

/** An HTTP answer. */
interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * POSTs `body` with node:http: the server may answer (413) before taking the whole body and
 * close the connection, which a fetch client reports as a failure instead of the answer.
 */
function post(base: string, path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(path, base);
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": String(bytes.length), ...headers } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    // Once answered, a reset while the rest of the body was still going out is expected.
    req.on("error", (error) => (answered ? undefined : reject(error)));
    req.end(bytes);
  });
}

/** Sends a signed GHL delivery (Ed25519 with the current key unless `headers` say otherwise). */
function deliver(payload: Json | Buffer, headers?: Record<string, string>, base = bridge.url): Promise<Reply> {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  return post(base, GHL_WEBHOOK_PATH, body, headers ?? { "x-ghl-signature": ed25519Signature(body) });
}

/** `payload` with a fresh timestamp and webhook id, as a live delivery would carry. */
function stamped(payload: Json, overrides: Json = {}): Json {
  return { ...payload, webhookId: randomUUID(), timestamp: new Date().toISOString(), ...overrides };
}

function fixture(file: string): Json {
  return JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as Json;
}

async function rowsOf(webhookId: string): Promise<StoredRow[]> {
  const { rows } = await sql<StoredRow>`select tenant_id, webhook_id, type, contact_key, status, event_timestamp, payload from bridge.inbox where webhook_id = ${webhookId}`.execute(owner);
  return rows;
}

/** A contact delivery for a fresh tenant. */
function contactUpdate(overrides: Json = {}): Json {
  return stamped({ type: "ContactUpdate", locationId: uniqueTenant("loc"), id: "contact-1", firstName: "Ada", tags: ["buyer"] }, overrides);
}

/** Per documented payload: the status, inbox status and contact key intake must give it. */
const EXPECTED: Record<string, { status: number; inbox: "PENDING" | "IGNORED"; contactKey: string | null }> = {
  "AppointmentCreate.json": { status: 200, inbox: "PENDING", contactKey: "9NkT25Vor1v4aQatFsv2" },
  "ContactCreate-realistic.json": { status: 200, inbox: "PENDING", contactKey: "Qw3Er5Ty7Ui9Op1As2Df" },
  "ContactCreate.json": { status: 200, inbox: "PENDING", contactKey: "nmFmQEsNgz6AVpgLVUJ0" },
  "ContactDndUpdate.json": { status: 200, inbox: "PENDING", contactKey: "nmFmQEsNgz6AVpgLVUJ0" },
  "ConversationUnreadUpdate.json": { status: 202, inbox: "IGNORED", contactKey: null },
  "INSTALL.json": { status: 200, inbox: "PENDING", contactKey: null },
  "InboundMessage-call-voicemail.json": { status: 200, inbox: "PENDING", contactKey: "gb7laj5aYQC4glDtP1r5" },
  "InboundMessage-email.json": { status: 200, inbox: "PENDING", contactKey: "3bN9f8LYJFG8F232XMUbfq" },
  "InboundMessage-sms.json": { status: 200, inbox: "PENDING", contactKey: "cI08i1Bls3iTB9bKgFJh" },
  "NoteCreate.json": { status: 200, inbox: "PENDING", contactKey: "CWBf1PR9LvvBkcYqiXlc" },
  "OpportunityCreate.json": { status: 200, inbox: "PENDING", contactKey: "cJAWDskpkJHbRbhAT7bs" },
  "OutboundMessage-call.json": { status: 200, inbox: "PENDING", contactKey: "gblakL5aYQC4glDtP1r2t3" },
  "OutboundMessage-sms.json": { status: 200, inbox: "PENDING", contactKey: "cI08i1Bls3iTB9bKgFJh" },
  "TaskComplete.json": { status: 200, inbox: "PENDING", contactKey: "WFwVrSSjZ2CNHbZThQX2" },
  "TaskCreate.json": { status: 200, inbox: "PENDING", contactKey: "CWBf1PR9LvvBkcYqiXlc" },
  "UNINSTALL.json": { status: 200, inbox: "PENDING", contactKey: null },
};

describe("GHL webhook intake: documented payloads", () => {
  it("has an expectation for every fixture", () => {
    expect(readdirSync(FIXTURES).filter((file) => file.endsWith(".json")).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))("stores %s with its tenant, type and contact", async (file, expected) => {
    const payload = stamped(fixture(file));
    const reply = await deliver(payload);
    expect(reply.status).toBe(expected.status);
    const rows = await rowsOf(String(payload["webhookId"]));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tenant_id: payload["locationId"], type: payload["type"], contact_key: expected.contactKey, status: expected.inbox });
    expect(rows[0]!.event_timestamp.toISOString()).toBe(payload["timestamp"]);
    expect(rows[0]!.payload).toEqual(payload);
  });

  it.each(["AppointmentUpdate", "AppointmentDelete"])("stores %s (GHL's example of which says AppointmentCreate) with the appointment's contact", async (type) => {
    const payload = stamped(fixture("AppointmentCreate.json"), { type });
    expect((await deliver(payload)).status).toBe(200);
    expect(await rowsOf(String(payload["webhookId"]))).toEqual([expect.objectContaining({ type, contact_key: "9NkT25Vor1v4aQatFsv2", status: "PENDING" })]);
  });

  it("stores a TaskCreate without contactId and body, with no contact", async () => {
    const { contactId: _contact, body: _body, ...payload } = stamped(fixture("TaskCreate.json"));
    expect((await deliver(payload)).status).toBe(200);
    expect(await rowsOf(String(payload["webhookId"]))).toEqual([expect.objectContaining({ contact_key: null, status: "PENDING" })]);
  });

  it("stores a delivery carrying nothing but its envelope", async () => {
    const payload = stamped({ type: "OpportunityStatusUpdate", locationId: uniqueTenant("loc") });
    expect((await deliver(payload)).status).toBe(200);
    expect(await rowsOf(String(payload["webhookId"]))).toEqual([expect.objectContaining({ contact_key: null, status: "PENDING" })]);
  });

  it("records a valid delivery of an unsupported type as IGNORED and answers 202", async () => {
    const payload = stamped({ type: "LocationUpdate", locationId: uniqueTenant("loc"), name: "x" });
    const reply = await deliver(payload);
    expect(reply.status).toBe(202);
    expect(await rowsOf(String(payload["webhookId"]))).toEqual([expect.objectContaining({ type: "LocationUpdate", status: "IGNORED" })]);
  });

  it("keeps a company-level INSTALL (no locationId) as IGNORED apart from every tenant, answers 202, and provisions nothing", async () => {
    const { locationId: _location, ...install } = fixture("INSTALL.json");
    const companyId = uniqueTenant("agency");
    const payload = stamped({ ...install, companyId, installType: "Company" });
    const reply = await deliver(payload);
    expect(reply.status).toBe(202);
    expect(JSON.parse(reply.body)).toEqual({ status: "ignored" });
    const { rows } = await sql<{ tenant_id: string; type: string; status: string; last_error: string | null }>`
      select tenant_id, type, status, last_error from bridge.inbox where webhook_id = ${String(payload["webhookId"])}`.execute(owner);
    expect(rows).toEqual([{ tenant_id: `company:${companyId}`, type: "INSTALL", status: "IGNORED", last_error: expect.stringContaining("no locationId") }]);
    // Not a tenant: no location's id can take this form, and billing was never asked for an account.
    expect(isTenantId(rows[0]!.tenant_id)).toBe(false);
    const { rows: accounts } = await sql<{ n: number }>`select count(*)::int as n from billing.accounts where tenant_id in (${companyId}, ${`company:${companyId}`})`.execute(owner);
    expect(accounts).toEqual([{ n: 0 }]);
    // A retry of it is a duplicate; an old one is refused like any replay; one naming no company stays malformed.
    expect((await deliver(payload)).status).toBe(200);
    expect((await deliver(stamped({ ...install, companyId }, { timestamp: new Date(Date.now() - 3 * 3_600_000).toISOString() }))).status).toBe(401);
    const { companyId: _company, ...anonymous } = install;
    expect((await deliver(stamped(anonymous))).status).toBe(400);
  });

  it("wakes workers on bridge_inbox once a PENDING row is committed", async () => {
    const listener = new pg.Client({ connectionString: urls.owner });
    await listener.connect();
    try {
      const notified = new Promise<string>((resolve) => listener.on("notification", (message) => resolve(message.channel)));
      await listener.query("listen bridge_inbox");
      expect((await deliver(contactUpdate())).status).toBe(200);
      expect(await notified).toBe("bridge_inbox");
    } finally {
      await listener.end();
    }
  });
});

describe("GHL webhook intake: refusals", () => {
  it("accepts a delivery signed with the rotated-in key", async () => {
    const payload = contactUpdate();
    const body = Buffer.from(JSON.stringify(payload));
    expect((await deliver(body, { "x-ghl-signature": ed25519Signature(body, rotated.privateKey) })).status).toBe(200);
    expect(await rowsOf(String(payload["webhookId"]))).toHaveLength(1);
  });

  const forgeries: Array<[string, (body: Buffer) => { body: Buffer; headers: Record<string, string> }]> = [
    ["a forged signature", (body) => ({ body, headers: { "x-ghl-signature": Buffer.alloc(64, 7).toString("base64") } })],
    ["a truncated body with the original signature", (body) => ({ body: body.subarray(0, body.length - 5), headers: { "x-ghl-signature": ed25519Signature(body) } })],
    ["a body re-signed with another key", (body) => ({ body, headers: { "x-ghl-signature": ed25519Signature(body, stranger.privateKey) } })],
    ["no signature", (body) => ({ body, headers: {} })],
    ["N/A signatures", (body) => ({ body, headers: { "x-ghl-signature": "N/A", "x-wh-signature": "N/A" } })],
    ["a signature that is not base64", (body) => ({ body, headers: { "x-ghl-signature": "not base64!" } })],
    ["a body altered after signing", (body) => ({ body: Buffer.from(body.toString("utf8").replace("Ada", "Eve")), headers: { "x-ghl-signature": ed25519Signature(body) } })],
  ];

  it.each(forgeries)("refuses %s with 401, stores nothing and logs no body contents", async (_label, forge) => {
    const marker = `marker-${randomUUID()}`;
    const payload = contactUpdate({ lastName: marker });
    const { body, headers } = forge(Buffer.from(JSON.stringify(payload)));
    const reply = await deliver(body, headers);
    expect(reply.status).toBe(401);
    expect(await rowsOf(String(payload["webhookId"]))).toEqual([]);
    const security = logLines.filter((line) => line.includes('"security":true'));
    expect(security.length).toBeGreaterThan(0);
    expect(logLines.some((line) => line.includes(marker))).toBe(false);
  });

  it.each([
    ["older than the window", -91 * 60_000],
    ["far in the future", 60 * 60_000],
  ])("refuses a timestamp %s with 401 and stores nothing", async (_label, offsetMs) => {
    const payload = contactUpdate({ timestamp: new Date(Date.now() + offsetMs).toISOString() });
    expect((await deliver(payload)).status).toBe(401);
    expect(await rowsOf(String(payload["webhookId"]))).toEqual([]);
  });

  it("answers a replayed webhookId 200 and keeps one row", async () => {
    const payload = contactUpdate();
    const first = await deliver(payload);
    const again = await deliver(payload);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(JSON.parse(again.body)).toEqual({ status: "duplicate" });
    expect(await rowsOf(String(payload["webhookId"]))).toHaveLength(1);
  });

  it("refuses malformed JSON with 400", async () => {
    const body = Buffer.from('{"type":"ContactUpdate","locationId":');
    expect((await deliver(body)).status).toBe(400);
  });

  it.each([
    ["a supported type whose fields have the wrong types", { monetaryValue: "forty" }, "OpportunityCreate"],
    ["no webhookId", { webhookId: undefined }, "ContactUpdate"],
    ["a locationId that cannot be a tenant", { locationId: "bad location/id" }, "ContactUpdate"],
  ])("refuses %s with 400 and stores nothing", async (_label, overrides, type) => {
    const payload = contactUpdate({ type, ...overrides });
    expect((await deliver(payload)).status).toBe(400);
    if (typeof payload["webhookId"] === "string") expect(await rowsOf(payload["webhookId"])).toEqual([]);
  });

  it("refuses a body over 1 MiB with 413", async () => {
    const payload = contactUpdate({ notes: "x".repeat(MAX_WEBHOOK_BYTES) });
    expect((await deliver(payload)).status).toBe(413);
    expect(await rowsOf(String(payload["webhookId"]))).toEqual([]);
  });

  it("counts outcomes in /metrics", async () => {
    const res = await fetch(new URL("/metrics", bridge.url));
    const text = await res.text();
    expect(text).toMatch(/bridge_webhooks_received_total\{outcome="accepted"\} \d+/);
    expect(text).toMatch(/bridge_webhooks_received_total\{outcome="unauthorized"\} \d+/);
    expect(text).toContain("bridge_webhook_intake_duration_seconds_bucket");
  });
});

describe("GHL webhook intake: legacy RSA signatures", () => {
  it("accepts x-wh-signature while the cut-off is in the future", async () => {
    const payload = contactUpdate();
    const body = Buffer.from(JSON.stringify(payload));
    expect((await deliver(body, { "x-ghl-signature": "N/A", "x-wh-signature": rsaSignature(body) })).status).toBe(200);
    expect(await rowsOf(String(payload["webhookId"]))).toHaveLength(1);
  });

  it("refuses x-wh-signature once the cut-off has passed", async () => {
    const closed = await createBridge(bridgeConfig({ legacySignatureUntil: new Date(Date.now() - 1000) }));
    try {
      const payload = contactUpdate();
      const body = Buffer.from(JSON.stringify(payload));
      expect((await deliver(body, { "x-wh-signature": rsaSignature(body) }, closed.url)).status).toBe(401);
      expect(await rowsOf(String(payload["webhookId"]))).toEqual([]);
    } finally {
      await closed.stop();
    }
  });

  it("refuses a forged x-wh-signature", async () => {
    const payload = contactUpdate();
    const body = Buffer.from(JSON.stringify(payload));
    const forged = rsaSignature(Buffer.from(JSON.stringify({ ...payload, id: "someone-else" })));
    expect((await deliver(body, { "x-wh-signature": forged })).status).toBe(401);
    expect(await rowsOf(String(payload["webhookId"]))).toEqual([]);
  });
});

/** A TCP port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("GHL webhook intake: storage unavailable", () => {
  it("answers 429 with Retry-After, never 500, and is not ready", async () => {
    const down = await createBridge(bridgeConfig({ databaseUrl: `postgres://nobody:nothing@127.0.0.1:${await closedPort()}/none`, logger: createLogger("test", "silent") }));
    try {
      const reply = await deliver(contactUpdate(), undefined, down.url);
      expect(reply.status).toBe(429);
      expect(reply.headers["retry-after"]).toBeDefined();
      const workflow = await post(down.url, `/webhooks/ghl/workflow/${workflowTenant}`, JSON.stringify({ contact_id: "c1" }), { [WORKFLOW_SECRET_HEADER]: workflowSecret });
      expect(workflow.status).toBe(429);
      expect((await fetch(new URL("/ready", down.url))).status).toBe(503);
    } finally {
      await down.stop();
    }
  });
});

describe("GHL workflow webhooks", () => {
  const path = `/webhooks/ghl/workflow/${workflowTenant}`;

  it("stores a delivery with the right secret as a Workflow event of the path's location, once", async () => {
    const body = JSON.stringify({ contact_id: `wf-contact-${randomUUID()}`, first_name: "Ada", "Lead Type": "Buyer", location: { id: workflowTenant }, workflow: { id: "w1", name: "New lead" } });
    const webhookId = createHash("sha256").update(body).digest("hex");
    expect((await post(bridge.url, path, body, { [WORKFLOW_SECRET_HEADER]: workflowSecret })).status).toBe(200);
    expect((await post(bridge.url, path, body, { [WORKFLOW_SECRET_HEADER]: workflowSecret })).status).toBe(200);
    const rows = await rowsOf(webhookId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tenant_id: workflowTenant, type: "Workflow", contact_key: JSON.parse(body).contact_id, status: "PENDING" });
  });

  it.each([
    ["a wrong secret", path, { [WORKFLOW_SECRET_HEADER]: "workflow-secret-0123456789abcdeX" }],
    ["no secret", path, {}],
    ["an unknown location", `/webhooks/ghl/workflow/${uniqueTenant("other")}`, { [WORKFLOW_SECRET_HEADER]: workflowSecret }],
    ["a location that cannot be a tenant", "/webhooks/ghl/workflow/a%20b", { [WORKFLOW_SECRET_HEADER]: workflowSecret }],
  ])("refuses %s with 401 and stores nothing", async (_label, target, headers) => {
    const body = JSON.stringify({ contact_id: `wf-contact-${randomUUID()}` });
    expect((await post(bridge.url, target, body, headers)).status).toBe(401);
    expect(await rowsOf(createHash("sha256").update(body).digest("hex"))).toEqual([]);
  });
});
