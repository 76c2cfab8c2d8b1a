import { sql } from "kysely";
import { Role } from "../../lib/auth/roles";
import { createDatabase } from "../../lib/db/database";
import { createLogger } from "../../lib/logger";
import type { BridgeProcessing } from "../../bridge/src/index";
import type { BridgeDatabase } from "../../bridge/src/database";
import { claimGhlWrites, recordScoreChanges } from "../../bridge/src/writeback/ghl-write.repository";
import { ghlWriteBack } from "../../bridge/src/writeback/ghl-writeback";
import { readGhlWriteBackConfig, type GhlWriteBackConfig } from "../../bridge/src/writeback/writeback-config";
import { ConfigError } from "../../lib/config";
import { eventually } from "../helpers/eventually";
import { startFakeGhl, type FakeGhl, type FakeGhlCall } from "../helpers/fake-ghl";
import { bearer, graphql, startStack, testDatabaseUrls, uniqueTenant, type TestStack } from "../helpers/stack";

const FIELDS = { score: "cf_score", tier: "cf_tier", matches: "cf_matches" };
const UPSERT = `mutation($input: UpsertLeadFromGhlInput!) { upsertLeadFromGhl(input: $input) { lead { id } userErrors { code field } } }`;
const SCORE = `query($id: ID!) { lead(id: $id) { score { value tier } } }`;

let stack: TestStack;
let db: ReturnType<typeof createDatabase<BridgeDatabase>>;
let serviceToken: string;
const running: { writeBack: BridgeProcessing; fake: FakeGhl }[] = [];

beforeAll(async () => {
  stack = await startStack();
  db = createDatabase<BridgeDatabase>(testDatabaseUrls().app, { name: "test-bridge-writeback" });
  serviceToken = await stack.token("bridge-service", Role.ADMIN, { sub: "bridge", scopes: ["tenants:any"], ttlSeconds: 3600 });
});

afterEach(async () => {
  for (const { writeBack, fake } of running.splice(0)) {
    await writeBack.stop();
    await fake.stop();
  }
});

afterAll(async () => {
  await db?.destroy();
  await stack?.stop();
});

/** Starts a fake GHL and a write-back under a consumer name of its own, so no other test process consumes its events. */
async function start(
  tokens: Record<string, string>,
  options: { debounceMs?: number; limit?: { requests: number; windowMs: number }; fakeTokens?: Record<string, string>; consumerName?: string } = {},
): Promise<FakeGhl> {
  const fake = await startFakeGhl({ tokens: options.fakeTokens ?? tokens, ...(options.limit ? { limit: options.limit } : {}) });
  const config: GhlWriteBackConfig = { apiBaseUrl: fake.url, tokens, customFieldIds: FIELDS, valueKey: "fieldValue", debounceMs: options.debounceMs ?? 200 };
  const writeBack = ghlWriteBack({
    config,
    db,
    connectionString: testDatabaseUrls().app,
    gatewayUrl: stack.gatewayUrl,
    credentials: { bearer: serviceToken },
    logger: createLogger("test", process.env["LOG_LEVEL"] ?? "silent"),
    consumerName: options.consumerName ?? uniqueTenant("bridge-writeback-test"),
    pollMs: 200,
    ...(options.limit ? { rateLimit: options.limit } : {}),
  });
  running.push({ writeBack, fake });
  await writeBack.start();
  return fake;
}

/** Stops the write-back that writes to `fake`, as a process stopping would. */
async function stopWriteBack(fake: FakeGhl): Promise<void> {
  const index = running.findIndex((entry) => entry.fake === fake);
  const [entry] = running.splice(index, 1);
  await entry?.writeBack.stop();
  await entry?.fake.stop();
}

/** The leads of `tenant` owed a write-back, as recorded in the database. */
async function owedWrites(tenant: string): Promise<string[]> {
  const { rows } = await sql<{ lead_id: string }>`select lead_id from bridge.ghl_writes where tenant_id = ${tenant} order by lead_id`.execute(stack.ownerDb);
  return rows.map((row) => row.lead_id);
}

async function upsert(tenant: string, ghlContactId: string, input: Record<string, unknown> = {}): Promise<string> {
  const res = await graphql<{ upsertLeadFromGhl: { lead: { id: string } | null; userErrors: unknown[] } }>(
    stack.gatewayUrl,
    UPSERT,
    { input: { ghlContactId, firstName: "Gh", lastName: "L", ...input } },
    { ...bearer(serviceToken), "x-hub-tenant": tenant },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data?.upsertLeadFromGhl.userErrors).toEqual([]);
  return res.data!.upsertLeadFromGhl.lead!.id;
}

async function currentScore(tenant: string, leadId: string): Promise<{ value: number; tier: string }> {
  const res = await graphql<{ lead: { score: { value: number; tier: string } | null } | null }>(stack.gatewayUrl, SCORE, { id: leadId }, { ...bearer(serviceToken), "x-hub-tenant": tenant });
  const score = res.data?.lead?.score;
  if (!score) throw new Error(`lead ${leadId} not scored yet`);
  return score;
}

async function scoredEvents(tenant: string, leadId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from events.log where tenant_id = ${tenant} and aggregate_id = ${leadId} and type = 'LeadScored'`.execute(stack.ownerDb);
  return rows[0]?.n ?? 0;
}

function putsTo(fake: FakeGhl, contactId: string): FakeGhlCall[] {
  return fake.calls.filter((call) => call.path === `/contacts/${contactId}` && call.status === 200);
}

function fieldsOf(call: FakeGhlCall | undefined): Record<string, unknown> {
  const body = call?.body as { customFields?: { id: string; fieldValue: unknown }[] } | undefined;
  return Object.fromEntries((body?.customFields ?? []).map((field) => [field.id, field.fieldValue]));
}

describe("GHL score write-back", () => {
  it("writes a new GHL lead's score, tier and matches in one PUT", async () => {
    const tenant = uniqueTenant("wb");
    const fake = await start({ [tenant]: "token-one" });
    const leadId = await upsert(tenant, "contact-1", { financing: "CASH", timeline: "IMMEDIATE", budgetMax: 600_000, preferredAreas: ["Round Rock"], bedroomsMin: 3 });
    const score = await eventually(() => currentScore(tenant, leadId), 20_000);
    const put = await eventually(async () => {
      const calls = putsTo(fake, "contact-1");
      expect(calls).toHaveLength(1);
      return calls[0];
    }, 20_000);
    const fields = fieldsOf(put);
    expect(fields).toMatchObject({ cf_score: score.value, cf_tier: score.tier });
    expect(typeof fields["cf_matches"]).toBe("string");
    expect(fake.calls.every((call) => call.status === 200)).toBe(true);
  });

  it("coalesces a burst of rescorings of one contact, the last PUT carrying the final values", async () => {
    const tenant = uniqueTenant("wb");
    const fake = await start({ [tenant]: "token-two" }, { debounceMs: 3_000 });
    const leadId = await upsert(tenant, "contact-2", { financing: "NOT_STARTED", timeline: "JUST_BROWSING" });
    await eventually(() => currentScore(tenant, leadId), 20_000);
    const steps = [
      { financing: "CASH", timeline: "IMMEDIATE" },
      { financing: "PRE_APPROVED", timeline: "WITHIN_3_MONTHS" },
      { financing: "NOT_STARTED", timeline: "WITHIN_12_MONTHS" },
      { financing: "PRE_QUALIFIED", timeline: "WITHIN_6_MONTHS" },
      { financing: "CASH", timeline: "WITHIN_3_MONTHS" },
    ];
    for (const [index, step] of steps.entries()) {
      await upsert(tenant, "contact-2", step);
      // Each change scored before the next, so every one is a score change of its own.
      await eventually(async () => expect(await scoredEvents(tenant, leadId)).toBeGreaterThanOrEqual(index + 2), 20_000);
    }
    const final = await currentScore(tenant, leadId);
    await eventually(async () => expect(fieldsOf(putsTo(fake, "contact-2").at(-1))).toMatchObject({ cf_score: final.value, cf_tier: final.tier }), 20_000);
    expect(putsTo(fake, "contact-2").length).toBeLessThan(await scoredEvents(tenant, leadId));
  });

  it("keeps many contacts within the location's limit without losing a write", async () => {
    const tenant = uniqueTenant("wb");
    const limit = { requests: 5, windowMs: 1_000 };
    const fake = await start({ [tenant]: "token-three" }, { limit, debounceMs: 100 });
    const contacts = Array.from({ length: 12 }, (_, index) => `contact-m${index}`);
    const leadIds = await Promise.all(contacts.map((contact) => upsert(tenant, contact, { financing: "CASH" })));
    await eventually(
      async () => {
        for (const [index, contact] of contacts.entries()) {
          const score = await currentScore(tenant, leadIds[index]!);
          expect(fake.contacts.get(contact)).toMatchObject({ cf_score: score.value, cf_tier: score.tier });
        }
      },
      60_000,
      200,
    );
    const arrivals = fake.calls.map((call) => call.at).sort((a, b) => a - b);
    for (const [index, at] of arrivals.entries()) {
      expect(arrivals.slice(index).filter((other) => other < at + limit.windowMs).length).toBeLessThanOrEqual(limit.requests);
    }
    // A 429, if any, was retried: every contact holds its final values above.
    expect(fake.calls.filter((call) => call.status !== 200 && call.status !== 429)).toEqual([]);
  });

  it("keeps a write owed across a restart: the next process sends what the stopped one had not", async () => {
    const tenant = uniqueTenant("wb");
    const consumerName = uniqueTenant("bridge-writeback-test");
    const first = await start({ [tenant]: "token-six" }, { debounceMs: 4_000, consumerName });
    const leadId = await upsert(tenant, "contact-r", { financing: "CASH", timeline: "IMMEDIATE" });
    await eventually(() => currentScore(tenant, leadId), 20_000);
    // The first process has read the LeadScored event (its log position is past it) and owes the write.
    await eventually(async () => expect(await owedWrites(tenant)).toEqual([leadId]), 20_000);
    await stopWriteBack(first);
    expect(first.calls).toEqual([]);
    expect(await owedWrites(tenant)).toEqual([leadId]);

    const second = await start({ [tenant]: "token-six" }, { debounceMs: 4_000, consumerName });
    const score = await currentScore(tenant, leadId);
    await eventually(async () => expect(fieldsOf(putsTo(second, "contact-r").at(-1))).toMatchObject({ cf_score: score.value, cf_tier: score.tier }), 20_000);
    await eventually(async () => expect(await owedWrites(tenant)).toEqual([]), 10_000);
    expect(putsTo(second, "contact-r")).toHaveLength(1);
  });

  it("takes over a write whose sender died holding it, once its lease has run out", async () => {
    const tenant = uniqueTenant("wb");
    const leadId = await upsert(tenant, "contact-l", { financing: "CASH" });
    await eventually(() => currentScore(tenant, leadId), 20_000);
    // A sender that claimed the write and died before settling it.
    await db.transaction().execute((trx) => recordScoreChanges(trx, tenant, [leadId], 0));
    const leaseMs = 1_500;
    const claimedAt = performance.now();
    expect(await claimGhlWrites(db, new Map([[tenant, 5]]), leaseMs)).toEqual([expect.objectContaining({ tenantId: tenant, leadId, attempts: 0 })]);

    const fake = await start({ [tenant]: "token-seven" }, { debounceMs: 100 });
    const put = await eventually(async () => {
      const calls = putsTo(fake, "contact-l");
      expect(calls).toHaveLength(1);
      return calls[0]!;
    }, 20_000);
    expect(put.at - claimedAt).toBeGreaterThanOrEqual(leaseMs - 50);
    await eventually(async () => expect(await owedWrites(tenant)).toEqual([]), 10_000);
  });

  it("drops a write GHL refuses for good: sent once, not retried, nothing left owed", async () => {
    const tenant = uniqueTenant("wb");
    // A token GHL does not know is answered 401: a refusal a retry would only repeat.
    const fake = await start({ [tenant]: "token-wrong" }, { fakeTokens: { [tenant]: "token-right" } });
    const leadId = await upsert(tenant, "contact-z");
    await eventually(() => currentScore(tenant, leadId), 20_000);
    await eventually(async () => expect(fake.calls.filter((call) => call.path === "/contacts/contact-z").map((call) => call.status)).toEqual([401]), 20_000);
    await eventually(async () => expect(await owedWrites(tenant)).toEqual([]), 10_000);
  });

  it("writes nothing for a location without a token", async () => {
    const withToken = uniqueTenant("wb");
    const without = uniqueTenant("wb");
    const fake = await start({ [withToken]: "token-four" }, { fakeTokens: { [withToken]: "token-four", [without]: "token-unused" } });
    const skippedLead = await upsert(without, "contact-x");
    const writtenLead = await upsert(withToken, "contact-y");
    await eventually(() => currentScore(without, skippedLead), 20_000);
    await eventually(() => currentScore(withToken, writtenLead), 20_000);
    // The location with a token is written after the other's events were read: the log is read in order.
    await eventually(async () => expect(putsTo(fake, "contact-y")).toHaveLength(1), 20_000);
    expect(fake.calls.filter((call) => call.location === without || call.path === "/contacts/contact-x")).toEqual([]);
  });
});

describe("readGhlWriteBackConfig", () => {
  it("is off without tokens, parses a full configuration and names the variable at fault", () => {
    expect(readGhlWriteBackConfig({})).toBeNull();
    expect(
      readGhlWriteBackConfig({ GHL_LOCATION_TOKENS: "loc1=tok1, loc2=tok2", GHL_SCORE_FIELD_IDS: "score=a,tier=b,matches=c", GHL_CUSTOM_FIELD_VALUE_KEY: "field_value", GHL_WRITEBACK_DEBOUNCE_MS: "500" }),
    ).toEqual({ apiBaseUrl: "https://services.leadconnectorhq.com", tokens: { loc1: "tok1", loc2: "tok2" }, customFieldIds: { score: "a", tier: "b", matches: "c" }, valueKey: "field_value", debounceMs: 500 });
    expect(() => readGhlWriteBackConfig({ GHL_LOCATION_TOKENS: "loc1=secret-token" })).toThrow(/GHL_SCORE_FIELD_IDS/);
    expect(() => readGhlWriteBackConfig({ GHL_LOCATION_TOKENS: "loc1", GHL_SCORE_FIELD_IDS: "score=a,tier=b,matches=c" })).toThrow(ConfigError);
    expect(() => readGhlWriteBackConfig({ GHL_LOCATION_TOKENS: "loc1=tok", GHL_SCORE_FIELD_IDS: "score=a,tier=b" })).toThrow(/GHL_SCORE_FIELD_IDS.*matches/);
    expect(() => readGhlWriteBackConfig({ GHL_LOCATION_TOKENS: "loc1=tok", GHL_SCORE_FIELD_IDS: "score=a,tier=b,matches=c", GHL_CUSTOM_FIELD_VALUE_KEY: "value" })).toThrow(/GHL_CUSTOM_FIELD_VALUE_KEY/);
    try {
      readGhlWriteBackConfig({ GHL_LOCATION_TOKENS: "bad location!=secret-token" });
    } catch (error) {
      expect(String(error)).not.toContain("secret-token");
    }
  });
});
