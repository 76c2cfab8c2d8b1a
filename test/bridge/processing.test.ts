import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { Role } from "../../lib/auth/roles";
import { createDatabase } from "../../lib/db/database";
import { createLogger } from "../../lib/logger";
import { uuidv7 } from "../../lib/ids";
import type { BridgeDatabase } from "../../bridge/src/database";
import { claimInbox } from "../../bridge/src/processing/inbox.repository";
import { startInboxWorkers, type InboxWorkerOptions } from "../../bridge/src/processing/inbox-workers";
import { eventually } from "../helpers/eventually";
import { startFakeGhl } from "../helpers/fake-ghl";
import { storedEventsOf } from "../helpers/events";
import { bearer, graphql, startStack, testDatabaseUrls, uniqueTenant, type TestStack } from "../helpers/stack";

// GHL's documented example bodies (kept as published), with the test's own ids put in.
const PAYLOADS = join(__dirname, "..", "fixtures", "ghl");
function payload(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const body = JSON.parse(readFileSync(join(PAYLOADS, `${name}.json`), "utf8")) as Record<string, unknown>;
  return { ...body, ...overrides };
}

// Workers claim across tenants: confined to this file's tenants, they leave other test files' rows alone.
const TENANT_LABEL = "bproc";
let stack: TestStack;
let db: ReturnType<typeof createDatabase<BridgeDatabase>>;
let serviceToken: string;
const logger = createLogger("test-bridge", process.env["LOG_LEVEL"] ?? "silent");

beforeAll(async () => {
  stack = await startStack();
  db = createDatabase<BridgeDatabase>(testDatabaseUrls().app, { name: "test-bridge" });
  // Its own tenant is irrelevant: it names the tenant of each event in x-hub-tenant.
  serviceToken = await stack.token("bridge-service", Role.ADMIN, { sub: "bridge", scopes: ["tenants:any", "accounts:manage"], ttlSeconds: 3600 });
});

afterAll(async () => {
  await db?.destroy();
  await stack?.stop();
});

interface InboxInsert {
  type: string;
  body: Record<string, unknown>;
  contactKey?: string | null;
  /** When GHL says it happened (default now). */
  at?: Date;
}

/** Stores a webhook as the intake would: PENDING, then a notification. Returns the row id. */
async function store(tenant: string, event: InboxInsert): Promise<string> {
  const id = uuidv7();
  const webhookId = `wh-${id}`;
  // As intake stores a delivery: the row's type is the body's own.
  const body = { ...event.body, type: event.type, locationId: tenant, webhookId };
  await sql`
    insert into bridge.inbox (id, webhook_id, tenant_id, type, contact_key, event_timestamp, payload, status)
    values (${id}, ${webhookId}, ${tenant}, ${event.type}, ${event.contactKey ?? null}, ${event.at ?? new Date()}, ${JSON.stringify(body)}::jsonb, 'PENDING')`.execute(stack.ownerDb);
  await sql`select pg_notify('bridge_inbox', '')`.execute(stack.ownerDb);
  return id;
}

function workerOptions(overrides: Partial<InboxWorkerOptions> = {}): InboxWorkerOptions {
  return {
    db,
    connectionString: testDatabaseUrls().app,
    gatewayUrl: stack.gatewayUrl,
    credentials: { bearer: serviceToken },
    concurrency: 4,
    maxAttempts: 3,
    backoff: { baseMs: 1, maxMs: 5 },
    pollMs: 20,
    tenantPrefix: `${TENANT_LABEL}-`,
    logger,
    ...overrides,
  };
}

/** Runs workers until nothing is left to do. */
async function runWorkers(overrides: Partial<InboxWorkerOptions> = {}): Promise<void> {
  const workers = await startInboxWorkers(workerOptions(overrides));
  try {
    await workers.drain();
  } finally {
    await workers.stop();
  }
}

interface InboxState {
  status: string;
  attempts: number;
  last_error: string | null;
}
async function inboxRow(id: string): Promise<InboxState> {
  const { rows } = await sql<InboxState>`select status, attempts, last_error from bridge.inbox where id = ${id}`.execute(stack.ownerDb);
  return rows[0]!;
}

interface LeadState {
  id: string;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  source: string;
  status: string;
  tags: string[];
  do_not_contact: boolean;
  deal_value: number | null;
}
async function leadOf(tenant: string, contactId: string): Promise<LeadState | undefined> {
  const { rows } = await sql<LeadState>`
    select id, first_name, last_name, email, phone, source, status, tags, do_not_contact, deal_value
    from leads.leads where tenant_id = ${tenant} and ghl_contact_id = ${contactId}`.execute(stack.ownerDb);
  return rows[0];
}

/** The tenant's WebhookProcessed events as `type:outcome`, sorted (the log's order across transactions is not the test's concern). */
async function webhookOutcomes(tenant: string): Promise<string[]> {
  return (await storedEventsOf(stack.ownerDb, tenant)).flatMap((event) => (event.type === "WebhookProcessed" ? [`${event.payload.webhookType}:${event.payload.outcome}`] : [])).sort();
}

async function setStatus(tenant: string, leadId: string, ...statuses: string[]): Promise<void> {
  const token = await stack.token(tenant, Role.ADMIN);
  for (const status of statuses) {
    const res = await graphql<{ changeLeadStatus: { userErrors: unknown[] } }>(
      stack.gatewayUrl,
      `mutation($input: ChangeLeadStatusInput!) { changeLeadStatus(input: $input) { userErrors { code } } }`,
      { input: { id: leadId, status } },
      bearer(token),
    );
    expect(res.data?.changeLeadStatus.userErrors).toEqual([]);
  }
}

describe("inbox workers apply GHL events through the gateway", () => {
  it("ContactCreate creates the lead with the contact's fields and records WebhookProcessed APPLIED", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const id = await store(tenant, { type: "ContactCreate", body: payload("ContactCreate-realistic", { id: "contactA" }), contactKey: "contactA" });
    await runWorkers();
    // These workers have no GHL API access, so the contact's custom fields cannot be named.
    expect(await inboxRow(id)).toMatchObject({ status: "APPLIED", attempts: 1, last_error: "custom fields skipped: no GHL API access configured" });
    expect(await leadOf(tenant, "contactA")).toMatchObject({
      first_name: "Maria",
      last_name: "Delgado",
      email: "maria.delgado@example.com",
      phone: "+15125550143",
      source: "ZILLOW",
      status: "NEW",
      tags: ["buyer", "zillow", "pre-approved"],
      do_not_contact: false,
    });
    const events = await storedEventsOf(stack.ownerDb, tenant);
    const processed = events.find((event) => event.type === "WebhookProcessed");
    expect(processed).toMatchObject({ aggregateId: `wh-${id}`, producer: "bridge", payload: { webhookType: "ContactCreate", outcome: "APPLIED" } });
  });

  it("a tag update replaces the tags, a partial update leaves absent fields alone, DND sets doNotContact", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const contact = payload("ContactCreate-realistic", { id: "contactB" });
    const t0 = Date.now() - 60_000;
    await store(tenant, { type: "ContactCreate", body: contact, contactKey: "contactB", at: new Date(t0) });
    await store(tenant, { type: "ContactTagUpdate", body: { id: "contactB", tags: ["seller"] }, contactKey: "contactB", at: new Date(t0 + 1000) });
    await store(tenant, { type: "ContactUpdate", body: { id: "contactB", firstName: "Marie" }, contactKey: "contactB", at: new Date(t0 + 2000) });
    await store(tenant, { type: "ContactDndUpdate", body: payload("ContactDndUpdate", { id: "contactB", email: "maria.delgado@example.com", phone: "+15125550143", firstName: "Marie", lastName: "Delgado", tags: ["seller"] }), contactKey: "contactB", at: new Date(t0 + 3000) });
    await runWorkers();
    expect(await leadOf(tenant, "contactB")).toMatchObject({
      first_name: "Marie",
      last_name: "Delgado",
      email: "maria.delgado@example.com",
      tags: ["seller"],
      do_not_contact: true,
    });
    expect(await webhookOutcomes(tenant)).toEqual(["ContactCreate:APPLIED", "ContactDndUpdate:APPLIED", "ContactTagUpdate:APPLIED", "ContactUpdate:APPLIED"]);
  });

  it("applies one contact's events in GHL's timestamp order even when stored out of order", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const t0 = Date.now() - 60_000;
    // The later update is stored first; applied first it would be overwritten by the older one.
    await store(tenant, { type: "ContactUpdate", body: { id: "contactC", lastName: "Newer" }, contactKey: "contactC", at: new Date(t0 + 5000) });
    await store(tenant, { type: "ContactCreate", body: { id: "contactC", firstName: "Ann", lastName: "Older" }, contactKey: "contactC", at: new Date(t0) });
    await runWorkers();
    expect(await leadOf(tenant, "contactC")).toMatchObject({ first_name: "Ann", last_name: "Newer" });
    expect(await webhookOutcomes(tenant)).toEqual(["ContactCreate:APPLIED", "ContactUpdate:APPLIED"]);
  });

  it("ContactDelete deletes the mirrored lead", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const t0 = Date.now() - 60_000;
    await store(tenant, { type: "ContactCreate", body: { id: "contactD", firstName: "Del", lastName: "Eted" }, contactKey: "contactD", at: new Date(t0) });
    await store(tenant, { type: "ContactDelete", body: { id: "contactD" }, contactKey: "contactD", at: new Date(t0 + 1000) });
    await runWorkers();
    expect(await leadOf(tenant, "contactD")).toBeUndefined();
    expect(await webhookOutcomes(tenant)).toEqual(["ContactCreate:APPLIED", "ContactDelete:APPLIED"]);
  });

  it("an inbound message is recorded on the lead and intelligence analyzes it; outbound ones are only recorded", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const t0 = Date.now() - 60_000;
    await store(tenant, { type: "ContactCreate", body: { id: "contactM", firstName: "Mo", lastName: "Sage" }, contactKey: "contactM", at: new Date(t0) });
    const inbound = payload("InboundMessage-sms", { contactId: "contactM", body: "We are pre-approved and want to see 3 bedroom homes in Round Rock this weekend" });
    await store(tenant, { type: "InboundMessage", body: inbound, contactKey: "contactM", at: new Date(t0 + 1000) });
    await store(tenant, { type: "OutboundMessage", body: payload("OutboundMessage-call", { contactId: "contactM" }), contactKey: "contactM", at: new Date(t0 + 2000) });
    await runWorkers();
    const lead = (await leadOf(tenant, "contactM"))!;
    const messages = (await storedEventsOf(stack.ownerDb, tenant)).filter((event) => event.type === "LeadMessageReceived");
    expect(messages.map((event) => [event.aggregateId, event.payload])).toEqual([
      [lead.id, { messageId: expect.stringMatching(/^webhook:/), direction: "INBOUND", channel: "SMS", body: inbound["body"] }],
      [lead.id, { messageId: "tyW42xCD0HQpb3hhfLcx", direction: "OUTBOUND", channel: "CALL", body: "" }],
    ]);
    const insights = await eventually(async () => {
      const { rows } = await sql<{ channel: string }>`select channel from intelligence.insights where tenant_id = ${tenant} and lead_id = ${lead.id}`.execute(stack.ownerDb);
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(insights[0]!.channel).toBe("SMS");
  });

  it("a note is added once per GHL note; tasks are IGNORED", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const t0 = Date.now() - 60_000;
    await store(tenant, { type: "ContactCreate", body: { id: "contactN", firstName: "No", lastName: "Te" }, contactKey: "contactN", at: new Date(t0) });
    const note = payload("NoteCreate", { contactId: "contactN" });
    await store(tenant, { type: "NoteCreate", body: note, contactKey: "contactN", at: new Date(t0 + 1000) });
    // GHL delivering the same note again under another webhook id.
    await store(tenant, { type: "NoteCreate", body: note, contactKey: "contactN", at: new Date(t0 + 1000) });
    await store(tenant, { type: "TaskCreate", body: payload("TaskCreate", { contactId: "contactN" }), contactKey: "contactN", at: new Date(t0 + 2000) });
    await runWorkers();
    const { rows } = await sql<{ body: string }>`select body from leads.notes where tenant_id = ${tenant}`.execute(stack.ownerDb);
    expect(rows).toEqual([{ body: "Loram ipsum" }]);
    expect(await webhookOutcomes(tenant)).toEqual(["ContactCreate:APPLIED", "NoteCreate:APPLIED", "NoteCreate:APPLIED", "TaskCreate:IGNORED"]);
  });

  it("opportunity won closes a lead under contract; an illegal move is IGNORED with its reason, not retried", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const t0 = Date.now() - 60_000;
    await store(tenant, { type: "ContactCreate", body: { id: "contactW", firstName: "Win", lastName: "Ner" }, contactKey: "contactW", at: new Date(t0) });
    await store(tenant, { type: "ContactCreate", body: { id: "contactL", firstName: "Jump", lastName: "Er" }, contactKey: "contactL", at: new Date(t0) });
    await runWorkers();
    await setStatus(tenant, (await leadOf(tenant, "contactW"))!.id, "QUALIFIED", "UNDER_CONTRACT");
    await store(tenant, { type: "OpportunityStatusUpdate", body: payload("OpportunityCreate", { contactId: "contactW", status: "won", monetaryValue: 450000 }), contactKey: "contactW" });
    const illegal = await store(tenant, { type: "OpportunityStatusUpdate", body: { id: "opp2", contactId: "contactL", status: "won" }, contactKey: "contactL" });
    await runWorkers();
    expect(await leadOf(tenant, "contactW")).toMatchObject({ status: "CLOSED_WON", deal_value: 450000 });
    expect(await leadOf(tenant, "contactL")).toMatchObject({ status: "NEW" });
    expect(await inboxRow(illegal)).toMatchObject({ status: "IGNORED", attempts: 1, last_error: expect.stringContaining("ILLEGAL_TRANSITION") });
  });

  it("appointments are recorded on the lead, newest version winning, deletions removing them; a booked one sets APPOINTMENT_SET", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const t0 = Date.now() - 60_000;
    await store(tenant, { type: "ContactCreate", body: { id: "contactP", firstName: "Ap", lastName: "Pointment" }, contactKey: "contactP", at: new Date(t0) });
    await runWorkers();
    await setStatus(tenant, (await leadOf(tenant, "contactP"))!.id, "CONTACTED");
    const base = payload("AppointmentCreate");
    const appointment = (id: string, changes: Record<string, unknown>) => ({ ...(base["appointment"] as Record<string, unknown>), id, contactId: "contactP", ...changes });
    const delivery = (type: string, at: number, changes: Record<string, unknown>, id = "apptP1") => ({
      type,
      body: { ...base, timestamp: new Date(at).toISOString(), appointment: appointment(id, changes) },
      contactKey: "contactP",
      at: new Date(at),
    });
    await store(tenant, delivery("AppointmentCreate", t0 + 1000, { appointmentStatus: "confirmed" }));
    // GHL's examples label updates "AppointmentCreate": a known appointment is updated whatever the type says.
    await store(tenant, delivery("AppointmentCreate", t0 + 3000, { appointmentStatus: "cancelled", title: "Moved online" }));
    await store(tenant, delivery("AppointmentCreate", t0 + 1500, { appointmentStatus: "new" }, "apptP2"));
    await store(tenant, delivery("AppointmentDelete", t0 + 4000, {}, "apptP2"));
    await runWorkers();
    // An older update delivered late (GHL retried it): it must not overwrite the newer state.
    await store(tenant, delivery("AppointmentUpdate", t0 + 2000, { appointmentStatus: "showed" }));
    await runWorkers();

    const lead = (await leadOf(tenant, "contactP"))!;
    expect(lead.status).toBe("APPOINTMENT_SET");
    const { rows } = await sql<{ ghl_appointment_id: string; status: string; title: string; calendar_id: string; start_time: Date; lead_id: string }>`
      select ghl_appointment_id, status, title, calendar_id, start_time, lead_id from leads.appointments where tenant_id = ${tenant}`.execute(stack.ownerDb);
    expect(rows).toEqual([
      { ghl_appointment_id: "apptP1", status: "CANCELLED", title: "Moved online", calendar_id: "BqTwX8QFwXzpegMve9EQ", start_time: new Date("2023-09-25T16:00:00+05:30"), lead_id: lead.id },
    ]);
    expect(await webhookOutcomes(tenant)).toEqual([
      "AppointmentCreate:APPLIED",
      "AppointmentCreate:APPLIED",
      "AppointmentCreate:APPLIED",
      "AppointmentDelete:APPLIED",
      "AppointmentUpdate:APPLIED",
      "ContactCreate:APPLIED",
    ]);
  });

  it("INSTALL provisions the tenant's account with the GHL trial; UNINSTALL deactivates it", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    await store(tenant, { type: "INSTALL", body: payload("INSTALL"), at: new Date(Date.now() - 1000) });
    await runWorkers();
    const account = async () => (await sql<{ name: string; status: string; trial_ends_at: Date | null }>`select name, status, trial_ends_at from billing.accounts where tenant_id = ${tenant}`.execute(stack.ownerDb)).rows[0];
    const installed = await account();
    expect(installed).toMatchObject({ name: "Example Company", status: "TRIALING" });
    const trialDays = (installed!.trial_ends_at!.getTime() - Date.now()) / 86_400_000;
    expect(Math.round(trialDays)).toBe(10);
    await store(tenant, { type: "UNINSTALL", body: payload("UNINSTALL") });
    await runWorkers();
    expect(await account()).toMatchObject({ status: "CANCELED" });
    expect(await webhookOutcomes(tenant)).toEqual(["INSTALL:APPLIED", "UNINSTALL:APPLIED"]);
  });

  it("a status or direction GHL adds later is kept: IGNORED or DEAD with the value in the reason, nothing changed", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    await store(tenant, { type: "ContactCreate", body: { id: "contactN", firstName: "New", lastName: "Values" }, contactKey: "contactN", at: new Date(Date.now() - 60_000) });
    await runWorkers();
    const opportunity = await store(tenant, { type: "OpportunityStatusUpdate", body: { id: "oppN", contactId: "contactN", status: "archived" }, contactKey: "contactN", at: new Date(Date.now() - 3000) });
    const base = payload("AppointmentCreate");
    const appointment = await store(tenant, {
      type: "AppointmentCreate",
      body: { ...base, appointment: { ...(base["appointment"] as Record<string, unknown>), contactId: "contactN", appointmentStatus: "rescheduled" } },
      contactKey: "contactN",
      at: new Date(Date.now() - 2000),
    });
    const message = await store(tenant, { type: "InboundMessage", body: { contactId: "contactN", messageType: "SMS", direction: "internal", body: "hi" }, contactKey: "contactN" });
    await runWorkers();
    expect(await inboxRow(opportunity)).toMatchObject({ status: "IGNORED", last_error: expect.stringContaining('"archived"') });
    expect(await inboxRow(appointment)).toMatchObject({ status: "IGNORED", last_error: expect.stringContaining('"rescheduled"') });
    expect(await inboxRow(message)).toMatchObject({ status: "DEAD", attempts: 1, last_error: expect.stringContaining('"internal"') });
    expect(await leadOf(tenant, "contactN")).toMatchObject({ status: "NEW" });
  });

  it("a payload without a usable id goes DEAD at once", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const id = await store(tenant, { type: "ContactCreate", body: { firstName: "No id" } });
    const badId = await store(tenant, { type: "ContactUpdate", body: { id: "not a ghl id!", email: "ok@example.com" } });
    await runWorkers();
    expect(await inboxRow(id)).toMatchObject({ status: "DEAD", attempts: 1, last_error: expect.stringContaining("id") });
    expect(await inboxRow(badId)).toMatchObject({ status: "DEAD", attempts: 1, last_error: expect.stringContaining("id: must be a GHL id") });
    expect(await webhookOutcomes(tenant)).toEqual(["ContactCreate:DEAD", "ContactUpdate:DEAD"]);
  });

  it("a contact field the lead cannot take is left out: the rest applies, the row names the field but not its value", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const t0 = Date.now() - 60_000;
    await store(tenant, { type: "ContactCreate", body: { id: "contactE", firstName: "Eve", lastName: "Valid", email: "eve@example.com", phone: "+15125550100" }, contactKey: "contactE", at: new Date(t0) });
    const update = await store(tenant, {
      type: "ContactUpdate",
      body: { id: "contactE", firstName: "Evelyn", email: "not an email", phone: "555-0100", tags: ["buyer", "x".repeat(80)], assignedTo: "agent-7" },
      contactKey: "contactE",
      at: new Date(t0 + 1000),
    });
    await runWorkers();
    const row = await inboxRow(update);
    expect(row).toMatchObject({ status: "APPLIED", attempts: 1, last_error: "dropped fields that do not fit: email, phone, tags" });
    for (const value of ["not an email", "555-0100", "xxxx"]) expect(row.last_error).not.toContain(value);
    // The valid fields applied; the dropped ones kept what the lead had.
    expect(await leadOf(tenant, "contactE")).toMatchObject({ first_name: "Evelyn", email: "eve@example.com", phone: "+15125550100", tags: [] });
    expect(await webhookOutcomes(tenant)).toEqual(["ContactCreate:APPLIED", "ContactUpdate:APPLIED"]);
  });

  it("retries a failing gateway with backoff, then goes DEAD after maxAttempts", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const id = await store(tenant, { type: "ContactCreate", body: { id: "contactF", firstName: "Fail" }, contactKey: "contactF" });
    // Nothing listens on port 9 of localhost: every call fails in transport.
    const workers = await startInboxWorkers(workerOptions({ gatewayUrl: "http://127.0.0.1:9/graphql", maxAttempts: 3 }));
    try {
      await eventually(async () => expect((await inboxRow(id)).status).toBe("DEAD"));
    } finally {
      await workers.stop();
    }
    const row = await inboxRow(id);
    expect(row).toMatchObject({ attempts: 3, last_error: expect.stringMatching(/^gave up after 3 attempts: transport/) });
    expect(row.last_error).not.toContain("127.0.0.1");
    expect(await webhookOutcomes(tenant)).toEqual(["ContactCreate:DEAD"]);
  });

  it("a worker that dies mid-event leaves it to be applied again, exactly once", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const t0 = Date.now() - 60_000;
    await store(tenant, { type: "ContactCreate", body: { id: "contactX", firstName: "Cr", lastName: "Ash" }, contactKey: "contactX", at: new Date(t0) });
    await runWorkers();
    const id = await store(tenant, { type: "InboundMessage", body: payload("InboundMessage-sms", { contactId: "contactX", messageId: "msg-crash" }), contactKey: "contactX" });
    // The "crashed" worker: claims the row with a lease that runs out at once, applies the
    // mutation, and dies before recording the outcome.
    const claimed = await claimInbox(db, 10, 1, `${TENANT_LABEL}-`);
    expect(claimed.map((row) => row.id)).toEqual([id]);
    const res = await graphql<{ recordLeadMessage: { recorded: boolean } }>(
      stack.gatewayUrl,
      `mutation($input: RecordLeadMessageInput!) { recordLeadMessage(input: $input) { recorded userErrors { code } } }`,
      { input: { ghlContactId: "contactX", messageId: "msg-crash", direction: "INBOUND", channel: "SMS", body: "hello" } },
      { ...bearer(serviceToken), "x-hub-tenant": tenant },
    );
    expect(res.data?.recordLeadMessage.recorded).toBe(true);
    expect((await inboxRow(id)).status).toBe("PROCESSING");
    await runWorkers();
    expect(await inboxRow(id)).toMatchObject({ status: "APPLIED", attempts: 2 });
    const messages = (await storedEventsOf(stack.ownerDb, tenant)).filter((event) => event.type === "LeadMessageReceived");
    expect(messages).toHaveLength(1);
    expect(await webhookOutcomes(tenant)).toEqual(["ContactCreate:APPLIED", "InboundMessage:APPLIED"]);
  });

});

describe("contacts' custom fields, named through the location's catalog", () => {
  // GHL's REST answers live apart from the webhook payloads (intake checks every one of those).
  const catalog = (JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "ghl-api", "customFields-catalog.json"), "utf8")) as { customFields: unknown[] }).customFields;

  interface LeadProfile {
    budget_min: number | null;
    budget_max: number | null;
    financing: string;
    timeline: string;
    property_types: string[];
    preferred_areas: string[];
    bedrooms_min: number | null;
  }
  async function profileOf(tenant: string, contactId: string): Promise<LeadProfile | undefined> {
    const { rows } = await sql<LeadProfile>`
      select budget_min, budget_max, financing, timeline, property_types, preferred_areas, bedrooms_min
      from leads.leads where tenant_id = ${tenant} and ghl_contact_id = ${contactId}`.execute(stack.ownerDb);
    return rows[0];
  }

  it("fill the lead's budget, financing, timeline, property types, areas and bedrooms; a catalog read that fails is retried, one that succeeded is shared", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const ghl = await startFakeGhl({ tokens: { [tenant]: `token-${tenant}` }, catalogs: { [tenant]: catalog } });
    try {
      const ghlApi = { apiBaseUrl: ghl.url, tokens: { [tenant]: `token-${tenant}` } };
      ghl.failCatalogReads(1);
      const first = await store(tenant, { type: "ContactCreate", body: payload("ContactCreate-realistic", { id: "contactCF" }), contactKey: "contactCF" });
      const second = await store(tenant, { type: "ContactCreate", body: payload("ContactCreate-realistic", { id: "contactCH" }), contactKey: "contactCH" });
      await runWorkers({ ghlApi });
      const rows = [await inboxRow(first), await inboxRow(second)];
      expect(rows).toEqual([expect.objectContaining({ status: "APPLIED", last_error: null }), expect.objectContaining({ status: "APPLIED", last_error: null })]);
      // The failed read sent an event round again; both then used the one catalog read that succeeded.
      expect(rows[0]!.attempts + rows[1]!.attempts).toBeGreaterThanOrEqual(3);
      expect(ghl.calls.filter((call) => call.method === "GET").map((call) => [call.path, call.status])).toEqual([
        [`/locations/${tenant}/customFields`, 503],
        [`/locations/${tenant}/customFields`, 200],
      ]);
      expect(await profileOf(tenant, "contactCF")).toEqual({
        budget_min: null,
        budget_max: 475000,
        financing: "PRE_APPROVED",
        timeline: "WITHIN_3_MONTHS",
        property_types: ["SINGLE_FAMILY", "TOWNHOUSE"],
        preferred_areas: ["Round Rock", "Pflugerville", "78664"],
        bedrooms_min: 3,
      });

      // A budget below the lead's stored minimum is refused by the leads subgraph: the rest still applies.
      await store(tenant, { type: "ContactCreate", body: { id: "contactCG", firstName: "Cy", lastName: "Gee" }, contactKey: "contactCG", at: new Date(Date.now() - 5000) });
      await runWorkers({ ghlApi });
      const token = await stack.token(tenant, Role.ADMIN);
      const set = await graphql<{ updateLead: { userErrors: unknown[] } }>(
        stack.gatewayUrl,
        `mutation($input: UpdateLeadInput!) { updateLead(input: $input) { userErrors { code } } }`,
        { input: { id: (await leadOf(tenant, "contactCG"))!.id, budgetMin: 500000 } },
        bearer(token),
      );
      expect(set.data?.updateLead.userErrors).toEqual([]);
      const update = await store(tenant, {
        type: "ContactUpdate",
        body: { id: "contactCG", customFields: [{ id: "Fd2BudgetMaxXXXXXXXX", value: 475000 }, { id: "Fd7BedsXXXXXXXXXXXXX", value: "2" }, { id: "Fd3FinancingXXXXXXXX", value: "Talking to lender" }] },
        contactKey: "contactCG",
      });
      await runWorkers({ ghlApi });
      expect(await inboxRow(update)).toMatchObject({
        status: "APPLIED",
        last_error: "dropped fields that do not fit: customFields.contact.financing_status; dropped fields the leads subgraph refused: budgetMax",
      });
      expect(await profileOf(tenant, "contactCG")).toMatchObject({ budget_min: 500000, budget_max: null, bedrooms_min: 2, financing: "UNKNOWN" });
    } finally {
      await ghl.stop();
    }
  });

  it("without a token for the location, custom fields are skipped and the row says so", async () => {
    const tenant = uniqueTenant(TENANT_LABEL);
    const ghl = await startFakeGhl({ tokens: { elsewhere: "token-elsewhere" }, catalogs: { elsewhere: catalog } });
    try {
      const id = await store(tenant, { type: "ContactCreate", body: payload("ContactCreate-realistic", { id: "contactNT" }), contactKey: "contactNT" });
      await runWorkers({ ghlApi: { apiBaseUrl: ghl.url, tokens: { elsewhere: "token-elsewhere" } } });
      expect(await inboxRow(id)).toMatchObject({ status: "APPLIED", attempts: 1, last_error: "custom fields skipped: no GHL API token for the location" });
      expect(await leadOf(tenant, "contactNT")).toMatchObject({ first_name: "Maria", email: "maria.delgado@example.com" });
      expect(await profileOf(tenant, "contactNT")).toMatchObject({ budget_max: null, financing: "UNKNOWN" });
      expect(ghl.calls).toEqual([]);
    } finally {
      await ghl.stop();
    }
  });
});
