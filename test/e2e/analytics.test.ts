import { sql } from "kysely";
import pg from "pg";
import { Role } from "../../lib/auth/roles";
import { createDatabase } from "../../lib/db/database";
import { withTenant } from "../../lib/db/tenant";
import { appendEvent } from "../../lib/events/event-log";
import type { EventPayload, NewEvent } from "../../lib/events/event-types";
import { uuidv7 } from "../../lib/ids";
import { createLogger } from "../../lib/logger";
import type { AnalyticsDatabase } from "../../subgraphs/analytics/src/database";
import { projectEvents } from "../../subgraphs/analytics/src/facts/analytics.projection";
import { rebuildAnalytics } from "../../subgraphs/analytics/src/rebuild";
import { insertLead } from "../../subgraphs/leads/src/lead/lead.repository";
import { waitForConsumer } from "../helpers/consumers";
import { storedEventsOf } from "../helpers/events";
import { eventually } from "../helpers/eventually";
import { leadRow } from "../helpers/fixtures";
import { bearer, graphql, startStack, testDatabaseUrls, uniqueTenant, type GraphQLResponse, type TestStack } from "../helpers/stack";

// ---------------------------------------------------------------------------------------
// Tenants, stack, roles
// ---------------------------------------------------------------------------------------

/** The hand-built scenario (March 2026) and the out-of-order commits (February 2026). */
const tenant = uniqueTenant("analytics");
/** Leads created through the gateway, for the dashboard query. */
const dashboardTenant = uniqueTenant("analytics-dash");
/** Has nothing at all: must see none of `tenant`'s numbers. */
const otherTenant = uniqueTenant("analytics-other");

let stack: TestStack;
/** Analytics' tables under the app role (row-level security applies), for replays. */
const analyticsDb = createDatabase<AnalyticsDatabase>(testDatabaseUrls().app, { name: "analytics-test" });

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.stop();
  await analyticsDb.destroy();
});

async function headersFor(tenantId: string, role: Role): Promise<Record<string, string>> {
  return bearer(await stack.token(tenantId, role));
}

function ok<T>(response: GraphQLResponse<T>): T {
  expect(response.errors).toBeUndefined();
  return response.data!;
}

function errorCode(response: GraphQLResponse<unknown>): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}

/** A float the database computed (avg, percentile_cont): equal to many decimals. */
function approx(value: number): number {
  return expect.closeTo(value, 9) as number;
}

// ---------------------------------------------------------------------------------------
// Writing a tenant's history into the events log, dated by hand
// ---------------------------------------------------------------------------------------

type LeadSnapshot = EventPayload<"LeadCreated">["lead"];
type Status = EventPayload<"LeadStatusChanged">["to"];
type Tier = EventPayload<"LeadScored">["tier"];
type Outcome = EventPayload<"WebhookProcessed">["outcome"];

function leadSnapshot(firstName: string, source: string, status: Status): LeadSnapshot {
  return {
    ghlContactId: null,
    firstName,
    lastName: "Scenario",
    email: null,
    phone: null,
    source,
    status,
    tags: [],
    budgetMin: null,
    budgetMax: null,
    timeline: "UNKNOWN",
    financing: "UNKNOWN",
    propertyTypes: [],
    preferredAreas: [],
    bedroomsMin: null,
    assignedTo: null,
    doNotContact: false,
    dealValue: null,
    version: 1,
  };
}

/**
 * A tenant's events as the producers would append them, each dated by `at`. Keeps every
 * lead's snapshot current so `LeadUpdated` carries the whole lead and versions increase.
 */
class History {
  readonly events: NewEvent[] = [];
  private readonly leads = new Map<string, LeadSnapshot>();

  constructor(private readonly tenantId: string) {}

  created(name: string, source: string, at: string, status: Status = "NEW"): string {
    const id = uuidv7(Date.parse(at));
    const lead = leadSnapshot(name, source, status);
    this.leads.set(id, lead);
    this.events.push({ type: "LeadCreated", tenantId: this.tenantId, aggregateId: id, payload: { lead: { ...lead } }, occurredAt: new Date(at) });
    return id;
  }

  moved(id: string, to: Status, at: string): void {
    const lead = this.lead(id);
    const from = lead.status;
    lead.status = to;
    lead.version += 1;
    this.events.push({ type: "LeadStatusChanged", tenantId: this.tenantId, aggregateId: id, payload: { from, to, version: lead.version }, occurredAt: new Date(at) });
  }

  updated(id: string, changes: Partial<Pick<LeadSnapshot, "source" | "phone">>, at: string): void {
    const lead = this.lead(id);
    Object.assign(lead, changes);
    lead.version += 1;
    this.events.push({ type: "LeadUpdated", tenantId: this.tenantId, aggregateId: id, payload: { lead: { ...lead }, changed: Object.keys(changes) }, occurredAt: new Date(at) });
  }

  noted(id: string, author: string, at: string): void {
    this.events.push({ type: "LeadNoteAdded", tenantId: this.tenantId, aggregateId: id, payload: { noteId: uuidv7(), author }, occurredAt: new Date(at) });
  }

  messaged(id: string, direction: "INBOUND" | "OUTBOUND", channel: string, body: string, at: string): void {
    const payload = { messageId: `msg-${uuidv7()}`, direction, channel, body };
    this.events.push({ type: "LeadMessageReceived", tenantId: this.tenantId, aggregateId: id, payload, occurredAt: new Date(at) });
  }

  scored(id: string, value: number, tier: Tier, previousTier: Tier | null, at: Date): void {
    const payload = { scoreId: uuidv7(), value, tier, previousTier, modelVersion: "hand-written", revision: 1 };
    this.events.push({ type: "LeadScored", tenantId: this.tenantId, aggregateId: id, payload, occurredAt: at });
  }

  deleted(id: string, at: string): void {
    this.events.push({ type: "LeadDeleted", tenantId: this.tenantId, aggregateId: id, payload: { ghlContactId: null }, occurredAt: new Date(at) });
  }

  webhook(latencyMs: number, outcome: Outcome, at: string): void {
    const payload = { webhookType: "ContactUpdate", latencyMs, outcome };
    this.events.push({ type: "WebhookProcessed", tenantId: this.tenantId, aggregateId: `wh-${uuidv7()}`, payload, occurredAt: new Date(at) });
  }

  /** Appends what was written since the last call, in one transaction, in the order written. */
  async append(): Promise<void> {
    const events = this.events.splice(0);
    await withTenant(stack.appDb, this.tenantId, async (trx) => {
      for (const event of events) await appendEvent(trx, "analytics-test", event);
    });
  }

  private lead(id: string): LeadSnapshot {
    const lead = this.leads.get(id);
    if (!lead) throw new Error(`no lead ${id} in this history`);
    return lead;
  }
}

// ---------------------------------------------------------------------------------------
// Reading the reports through the gateway
// ---------------------------------------------------------------------------------------

interface DateRange {
  start: string;
  end: string;
}
interface FunnelStage {
  status: string;
  reached: number;
  conversionFromPrevious: number | null;
}
interface Funnel {
  totalLeads: number;
  stages: FunnelStage[];
}
interface SourceRow {
  source: string;
  leads: number;
  qualifiedRate: number;
  wonRate: number;
  averageScore: number | null;
  medianHoursToFirstContact: number | null;
}
interface ScoreBucket {
  min: number;
  max: number;
  total: number;
  hot: number;
  warm: number;
  cold: number;
}
interface ScoreDistribution {
  unscored: number;
  buckets: ScoreBucket[];
}
interface VolumeBucket {
  start: string;
  end: string;
  leads: number;
}
interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface VolumePage {
  totalCount: number;
  pageInfo: PageInfo;
  nodes: VolumeBucket[];
}
interface WebhookLatency {
  processed: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  errorRate: number | null;
}
interface Activity {
  kind: string;
  occurredAt: string;
  fromStatus: string | null;
  toStatus: string | null;
  score: number | null;
  tier: string | null;
  previousTier: string | null;
  channel: string | null;
  author: string | null;
  changedFields: string[] | null;
}
interface ActivityPage {
  totalCount: number;
  pageInfo: PageInfo;
  nodes: Activity[];
}

const ACTIVITY_FIELDS = "kind occurredAt fromStatus toStatus score tier previousTier channel author changedFields";
const PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";

/** Every report over one range, and one lead's whole timeline, in one request. */
const REPORTS = `query Reports($range: DateRangeInput!, $leadId: ID!) {
  pipelineFunnel(range: $range) { totalLeads stages { status reached conversionFromPrevious } }
  sourcePerformance(range: $range) { source leads qualifiedRate wonRate averageScore medianHoursToFirstContact }
  scoreDistribution(range: $range) { unscored buckets { min max total hot warm cold } }
  days: leadVolume(interval: DAY, range: $range, first: 100) { totalCount nodes { start end leads } }
  weeks: leadVolume(interval: WEEK, range: $range, first: 100) { totalCount nodes { start end leads } }
  webhookLatency(range: $range) { processed p50Ms p95Ms p99Ms errorRate }
  lead(id: $leadId) { activity(first: 100) { totalCount nodes { id ${ACTIVITY_FIELDS} } } }
}`;

interface Reports {
  pipelineFunnel: Funnel;
  sourcePerformance: SourceRow[];
  scoreDistribution: ScoreDistribution;
  days: { totalCount: number; nodes: VolumeBucket[] };
  weeks: { totalCount: number; nodes: VolumeBucket[] };
  webhookLatency: WebhookLatency;
  lead: { activity: { totalCount: number; nodes: Activity[] } } | null;
}

async function readReports(tenantId: string, range: DateRange, leadId: string): Promise<Reports> {
  return ok(await graphql<Reports>(stack.gatewayUrl, REPORTS, { range, leadId }, await headersFor(tenantId, Role.VIEWER)));
}

const VOLUME = `query Volume($interval: VolumeInterval!, $range: DateRangeInput!, $first: Int, $after: String, $last: Int, $before: String) {
  leadVolume(interval: $interval, range: $range, first: $first, after: $after, last: $last, before: $before) {
    totalCount ${PAGE_INFO} nodes { start end leads }
  }
}`;

async function readVolume(interval: "HOUR" | "DAY" | "WEEK", range: DateRange, page: { first?: number; after?: string; last?: number; before?: string }): Promise<VolumePage> {
  const data = ok(await graphql<{ leadVolume: VolumePage }>(stack.gatewayUrl, VOLUME, { interval, range, ...page }, await headersFor(tenant, Role.VIEWER)));
  return data.leadVolume;
}

const ACTIVITY = `query Activity($id: ID!, $first: Int, $after: String) {
  lead(id: $id) { activity(first: $first, after: $after) { totalCount ${PAGE_INFO} nodes { ${ACTIVITY_FIELDS} } } }
}`;

async function readActivity(leadId: string, first: number, after?: string): Promise<ActivityPage> {
  const data = ok(await graphql<{ lead: { activity: ActivityPage } | null }>(stack.gatewayUrl, ACTIVITY, { id: leadId, first, after }, await headersFor(tenant, Role.VIEWER)));
  expect(data.lead).not.toBeNull();
  return data.lead!.activity;
}

async function readFunnel(tenantId: string, range: DateRange): Promise<Funnel> {
  const query = "query($range: DateRangeInput!) { pipelineFunnel(range: $range) { totalLeads stages { status reached conversionFromPrevious } } }";
  return ok(await graphql<{ pipelineFunnel: Funnel }>(stack.gatewayUrl, query, { range }, await headersFor(tenantId, Role.VIEWER))).pipelineFunnel;
}

/** A timeline entry: the fields its kind does not set are null. */
function entry(kind: string, occurredAt: string, fields: Partial<Omit<Activity, "kind" | "occurredAt">> = {}): Activity {
  return { kind, occurredAt, fromStatus: null, toStatus: null, score: null, tier: null, previousTier: null, channel: null, author: null, changedFields: null, ...fields };
}

function bySource(rows: readonly SourceRow[]): SourceRow[] {
  return [...rows].sort((a, b) => a.source.localeCompare(b.source));
}

// ---------------------------------------------------------------------------------------
// (a)-(c) and isolation: a hand-built scenario
// ---------------------------------------------------------------------------------------

/** Thursday 2026-03-05 to Tuesday 2026-03-10 (exclusive): five UTC days, across two ISO weeks. */
const MARCH: DateRange = { start: "2026-03-05T00:00:00.000Z", end: "2026-03-10T00:00:00.000Z" };

/**
 * The scenario's leads (times UTC, March 2026; "Nh" = hours from creation to the first move out of NEW):
 *
 * | lead | created       | source                    | history                                                            |
 * |------|---------------|---------------------------|--------------------------------------------------------------------|
 * | L0   | 04 23:00      | WEBSITE                   | before the range: in no report                                     |
 * | L1   | 05 00:00      | WEBSITE                   | exactly at range.start; CONTACTED (2h) .. CLOSED_WON, every stage  |
 * | L2   | 05 10:00      | WEBSITE                   | CONTACTED (4h), QUALIFIED, then CLOSED_LOST                        |
 * | L3   | 05 12:00      | ZILLOW                    | NEW -> QUALIFIED (1h, skips CONTACTED), APPOINTMENT_SET            |
 * | L4   | 06 09:00      | ZILLOW                    | CONTACTED (6h); a LeadUpdated of its phone (source unchanged)      |
 * | L5   | 06 11:00      | ZILLOW, then REFERRAL     | source changed, a note, a message out and in, CONTACTED (22h)      |
 * | L6   | 08 02:00      | REFERRAL                  | NEW -> CLOSED_LOST (12h: a move out of NEW all the same)           |
 * | L7   | 08 08:00      | WEBSITE                   | CONTACTED (1h), scored 95, then deleted: in no report              |
 * | L8   | 08 20:00      | REFERRAL                  | created CONTACTED (never left NEW: no first contact), QUALIFIED    |
 * | L9   | 08 07:30      | ZILLOW                    | CONTACTED (1.5h), back to NEW, CONTACTED again (first one counts)  |
 * | L10  | 09 16:00      | WEBSITE                   | stays NEW                                                          |
 * | L11  | 10 00:00      | ZILLOW                    | exactly at range.end: in no report                                 |
 * | L12  | 08 05:00      | ZILLOW                    | stays NEW                                                          |
 *
 * Saturday the 7th has no lead created. Scores (hand-written, after intelligence's): L1 55
 * WARM then 92 HOT (the later wins), L2 100 HOT, L3 75 HOT, L4 40 WARM, L5 49 WARM, L6 9
 * COLD, L7 95 HOT, L8 70 HOT, L9 10 COLD, L10 0 COLD, L12 39 COLD. Webhooks in range:
 * 300 APPLIED, 100 FAILED, 500 APPLIED, 200 IGNORED, 400 DEAD; two more just outside.
 */
interface Scenario {
  leads: Record<"L0" | "L1" | "L2" | "L3" | "L4" | "L5" | "L6" | "L7" | "L8" | "L9" | "L10" | "L11" | "L12", string>;
  /** When the scenario started being written (wall clock). */
  writtenAt: Date;
}

/**
 * Waits until intelligence has read every event of the tenant but its own: its scores of
 * them commit with its position. It never acts on what it appends, so its position may
 * trail those for good.
 */
async function waitForScoring(tenantId: string): Promise<void> {
  await eventually(
    async () => {
      const { rows } = await sql<{ passed: boolean }>`
        select coalesce((
          select (o.last_tx, o.last_id) >= (e.tx, e.id)
          from events.consumer_offsets o,
            (select tx, id from events.log where tenant_id = ${tenantId} and producer <> 'intelligence' order by tx desc, id desc limit 1) e
          where o.consumer = 'intelligence'), false) as passed`.execute(stack.ownerDb);
      if (!rows[0]?.passed) throw new Error(`intelligence has not yet read past the last event of tenant ${tenantId}`);
    },
    30_000,
    50,
  );
}

async function writeScenario(): Promise<Scenario> {
  const writtenAt = new Date();
  const history = new History(tenant);

  // Phase 1: the leads' own events (what intelligence reacts to).
  const L0 = history.created("L0", "WEBSITE", "2026-03-04T23:00:00Z");

  const L1 = history.created("L1", "WEBSITE", "2026-03-05T00:00:00Z");
  history.moved(L1, "CONTACTED", "2026-03-05T02:00:00Z");
  history.moved(L1, "QUALIFIED", "2026-03-05T03:00:00Z");
  history.moved(L1, "APPOINTMENT_SET", "2026-03-05T04:00:00Z");
  history.moved(L1, "UNDER_CONTRACT", "2026-03-06T00:00:00Z");
  history.moved(L1, "CLOSED_WON", "2026-03-09T00:00:00Z");

  const L2 = history.created("L2", "WEBSITE", "2026-03-05T10:00:00Z");
  history.moved(L2, "CONTACTED", "2026-03-05T14:00:00Z");
  history.moved(L2, "QUALIFIED", "2026-03-05T16:00:00Z");
  history.moved(L2, "CLOSED_LOST", "2026-03-06T10:00:00Z");

  const L3 = history.created("L3", "ZILLOW", "2026-03-05T12:00:00Z");
  history.moved(L3, "QUALIFIED", "2026-03-05T13:00:00Z");
  history.moved(L3, "APPOINTMENT_SET", "2026-03-06T13:00:00Z");

  const L4 = history.created("L4", "ZILLOW", "2026-03-06T09:00:00Z");
  history.moved(L4, "CONTACTED", "2026-03-06T15:00:00Z");
  history.updated(L4, { phone: "+15125550104" }, "2026-03-06T16:00:00Z");

  const L5 = history.created("L5", "ZILLOW", "2026-03-06T11:00:00Z");
  history.updated(L5, { source: "REFERRAL" }, "2026-03-06T12:00:00Z");
  history.noted(L5, "agent-kim", "2026-03-06T13:00:00Z");
  history.messaged(L5, "OUTBOUND", "EMAIL", "Following up on the listing you saved.", "2026-03-06T14:00:00Z");
  history.messaged(L5, "INBOUND", "SMS", "Thanks! Could we see it this weekend?", "2026-03-06T15:00:00Z");
  history.moved(L5, "CONTACTED", "2026-03-07T09:00:00Z");

  const L6 = history.created("L6", "REFERRAL", "2026-03-08T02:00:00Z");
  history.moved(L6, "CLOSED_LOST", "2026-03-08T14:00:00Z");

  const L7 = history.created("L7", "WEBSITE", "2026-03-08T08:00:00Z");
  history.moved(L7, "CONTACTED", "2026-03-08T09:00:00Z");

  const L8 = history.created("L8", "REFERRAL", "2026-03-08T20:00:00Z", "CONTACTED");
  history.moved(L8, "QUALIFIED", "2026-03-09T08:00:00Z");

  const L9 = history.created("L9", "ZILLOW", "2026-03-08T07:30:00Z");
  history.moved(L9, "CONTACTED", "2026-03-08T09:00:00Z");
  history.moved(L9, "NEW", "2026-03-08T10:00:00Z");
  history.moved(L9, "CONTACTED", "2026-03-08T12:00:00Z");

  const L10 = history.created("L10", "WEBSITE", "2026-03-09T16:00:00Z");
  const L11 = history.created("L11", "ZILLOW", "2026-03-10T00:00:00Z");
  const L12 = history.created("L12", "ZILLOW", "2026-03-08T05:00:00Z");
  await history.append();

  // Intelligence scores every lead it hears of; ours must come after its scores to be the latest.
  await waitForScoring(tenant);

  // Phase 2: the scenario's scores, dated now (one ms apart) so they are the latest by any measure.
  const base = Date.now();
  const scores: [string, number, Tier, Tier | null][] = [
    [L1, 55, "WARM", "COLD"],
    [L1, 92, "HOT", "WARM"],
    [L2, 100, "HOT", "WARM"],
    [L3, 75, "HOT", "WARM"],
    [L4, 40, "WARM", "COLD"],
    [L5, 49, "WARM", "COLD"],
    [L6, 9, "COLD", "COLD"],
    [L7, 95, "HOT", "COLD"],
    [L8, 70, "HOT", "WARM"],
    [L9, 10, "COLD", "COLD"],
    [L10, 0, "COLD", "COLD"],
    [L12, 39, "COLD", "COLD"],
  ];
  scores.forEach(([id, value, tier, previousTier], i) => history.scored(id, value, tier, previousTier, new Date(base + i)));

  // Phase 3: a deletion (intelligence scores nothing for it) and the webhooks.
  history.deleted(L7, "2026-03-09T12:00:00Z");
  history.webhook(300, "APPLIED", "2026-03-05T08:00:00Z");
  history.webhook(100, "FAILED", "2026-03-06T08:00:00Z");
  history.webhook(500, "APPLIED", "2026-03-07T08:00:00Z");
  history.webhook(200, "IGNORED", "2026-03-08T08:00:00Z");
  history.webhook(400, "DEAD", "2026-03-09T08:00:00Z");
  history.webhook(1, "APPLIED", "2026-03-04T23:59:59Z"); // before the range
  history.webhook(90_000, "FAILED", "2026-03-10T00:00:00Z"); // at range.end: outside
  await history.append();

  // L5 exists in the leads subgraph too, so `lead(id) { activity }` resolves through the gateway.
  const createdAt = new Date("2026-03-06T11:00:00Z");
  await withTenant(stack.appDb, tenant, (trx) => insertLead(trx, leadRow(tenant, { id: L5, first_name: "L5", last_name: "Scenario", source: "REFERRAL", created_at: createdAt, updated_at: createdAt })));

  await waitForConsumer(stack.ownerDb, "analytics", tenant);
  return { leads: { L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12 }, writtenAt };
}

// --- What the reports must say, worked out by hand from the table above -----------------

const EXPECTED_FUNNEL: Funnel = {
  // L1-L6, L8, L9, L10, L12: L0 and L11 lie outside the range, L7 was deleted.
  totalLeads: 10,
  stages: [
    // Every lead is at NEW or beyond.
    { status: "NEW", reached: 10, conversionFromPrevious: null },
    // L1 L2 L3 L4 L5 L8 L9 (L3 skipped CONTACTED but passed it; L8 was created there; L9 fell back to NEW): 7 of 10.
    { status: "CONTACTED", reached: 7, conversionFromPrevious: 7 / 10 },
    // L1 L2 L3 L8 (L2 was lost afterwards): 4 of 7.
    { status: "QUALIFIED", reached: 4, conversionFromPrevious: 4 / 7 },
    // L1 L3: 2 of 4.
    { status: "APPOINTMENT_SET", reached: 2, conversionFromPrevious: 2 / 4 },
    // L1: 1 of 2.
    { status: "UNDER_CONTRACT", reached: 1, conversionFromPrevious: 1 / 2 },
    // L1: 1 of 1.
    { status: "CLOSED_WON", reached: 1, conversionFromPrevious: 1 / 1 },
    // L2 (after QUALIFIED) and L6 (straight from NEW); never a conversion.
    { status: "CLOSED_LOST", reached: 2, conversionFromPrevious: null },
  ],
};

const EXPECTED_SOURCES: SourceRow[] = [
  // L5 (moved here from ZILLOW), L6, L8. Qualified: L8. Scores 49, 9, 70 -> 128/3.
  // First contact: L5 22h, L6 12h (L8 never left NEW) -> median of two = (12 + 22) / 2 = 17.
  { source: "REFERRAL", leads: 3, qualifiedRate: 1 / 3, wonRate: 0, averageScore: approx(128 / 3), medianHoursToFirstContact: approx(17) },
  // L1, L2, L10 (L0 out of range, L7 deleted). Qualified: L1 L2; won: L1. Scores 92 (not 55), 100, 0 -> 64.
  // First contact: L1 2h, L2 4h -> 3 (L7's 1h would make it 2).
  { source: "WEBSITE", leads: 3, qualifiedRate: 2 / 3, wonRate: 1 / 3, averageScore: approx(64), medianHoursToFirstContact: approx(3) },
  // L3, L4, L9, L12 (L5 left, L11 out of range). Qualified: L3. Scores 75, 40, 10, 39 -> 41.
  // First contact: L3 1h, L9 1.5h (not 4.5h), L4 6h -> median of three = 1.5.
  { source: "ZILLOW", leads: 4, qualifiedRate: 1 / 4, wonRate: 0, averageScore: approx(41), medianHoursToFirstContact: approx(1.5) },
];

const EXPECTED_SCORES: ScoreDistribution = {
  // Intelligence scores every lead it is told of, and the scenario overrides each one: none is unscored.
  unscored: 0,
  buckets: [
    { min: 0, max: 9, total: 2, hot: 0, warm: 0, cold: 2 }, // L6 9, L10 0
    { min: 10, max: 19, total: 1, hot: 0, warm: 0, cold: 1 }, // L9 10
    { min: 20, max: 29, total: 0, hot: 0, warm: 0, cold: 0 },
    { min: 30, max: 39, total: 1, hot: 0, warm: 0, cold: 1 }, // L12 39
    { min: 40, max: 49, total: 2, hot: 0, warm: 2, cold: 0 }, // L4 40, L5 49
    { min: 50, max: 59, total: 0, hot: 0, warm: 0, cold: 0 }, // L1's overwritten 55 is not here
    { min: 60, max: 69, total: 0, hot: 0, warm: 0, cold: 0 },
    { min: 70, max: 79, total: 2, hot: 2, warm: 0, cold: 0 }, // L3 75, L8 70
    { min: 80, max: 89, total: 0, hot: 0, warm: 0, cold: 0 },
    { min: 90, max: 100, total: 2, hot: 2, warm: 0, cold: 0 }, // L1 92, L2 100 (L7's 95 was deleted)
  ],
};

const EXPECTED_DAYS: VolumeBucket[] = [
  { start: "2026-03-05T00:00:00.000Z", end: "2026-03-06T00:00:00.000Z", leads: 3 }, // L1 (at range.start), L2, L3
  { start: "2026-03-06T00:00:00.000Z", end: "2026-03-07T00:00:00.000Z", leads: 2 }, // L4, L5
  { start: "2026-03-07T00:00:00.000Z", end: "2026-03-08T00:00:00.000Z", leads: 0 }, // nobody: the empty day
  { start: "2026-03-08T00:00:00.000Z", end: "2026-03-09T00:00:00.000Z", leads: 4 }, // L6, L8, L9, L12 (L7 deleted)
  { start: "2026-03-09T00:00:00.000Z", end: "2026-03-10T00:00:00.000Z", leads: 1 }, // L10 (L11 sits on range.end)
];

const EXPECTED_WEEKS: VolumeBucket[] = [
  // The week holding range.start begins on Monday the 2nd; it counts only what lies in the range: 3 + 2 + 0 + 4.
  { start: "2026-03-02T00:00:00.000Z", end: "2026-03-09T00:00:00.000Z", leads: 9 },
  // Monday the 9th: L10.
  { start: "2026-03-09T00:00:00.000Z", end: "2026-03-16T00:00:00.000Z", leads: 1 },
];

const EXPECTED_WEBHOOKS: WebhookLatency = {
  // Five in range (the 1 ms one is before it, the 90 s one on its end). Sorted: 100 200 300 400 500.
  processed: 5,
  p50Ms: approx(300), // position 0.5 * 4 = 2: the middle value
  p95Ms: approx(480), // position 0.95 * 4 = 3.8: 400 + 0.8 * (500 - 400)
  p99Ms: approx(496), // position 0.99 * 4 = 3.96: 400 + 0.96 * (500 - 400)
  errorRate: 2 / 5, // one FAILED, one DEAD; IGNORED is no error
};

/** L5's own timeline, newest first (the scores given "now" come before all of it). */
const EXPECTED_L5_HISTORY: Activity[] = [
  entry("STATUS_CHANGED", "2026-03-07T09:00:00.000Z", { fromStatus: "NEW", toStatus: "CONTACTED" }),
  entry("MESSAGE_RECEIVED", "2026-03-06T15:00:00.000Z", { channel: "SMS" }),
  entry("MESSAGE_SENT", "2026-03-06T14:00:00.000Z", { channel: "EMAIL" }),
  entry("NOTE_ADDED", "2026-03-06T13:00:00.000Z", { author: "agent-kim" }),
  entry("UPDATED", "2026-03-06T12:00:00.000Z", { changedFields: ["source"] }),
  entry("CREATED", "2026-03-06T11:00:00.000Z", { toStatus: "NEW" }),
];

// --- Replay helpers ----------------------------------------------------------------------

describe("analytics over a hand-built March scenario", () => {
  let scenario: Scenario;

  beforeAll(async () => {
    scenario = await writeScenario();
  });

  describe("reports", () => {
    it("pipelineFunnel: furthest stage ever reached, lost leads apart, conversions stage to stage", async () => {
      expect(await readFunnel(tenant, MARCH)).toEqual(EXPECTED_FUNNEL);
    });

    it("sourcePerformance: per current source, rates, latest scores and median hours to first contact", async () => {
      const data = ok(await graphql<{ sourcePerformance: SourceRow[] }>(
        stack.gatewayUrl,
        "query($range: DateRangeInput!) { sourcePerformance(range: $range) { source leads qualifiedRate wonRate averageScore medianHoursToFirstContact } }",
        { range: MARCH },
        await headersFor(tenant, Role.VIEWER),
      ));
      expect(bySource(data.sourcePerformance)).toEqual(EXPECTED_SOURCES);
    });

    it("scoreDistribution: each lead's latest score, bucketed by tens (100 in the last), by tier", async () => {
      const data = ok(await graphql<{ scoreDistribution: ScoreDistribution }>(
        stack.gatewayUrl,
        "query($range: DateRangeInput!) { scoreDistribution(range: $range) { unscored buckets { min max total hot warm cold } } }",
        { range: MARCH },
        await headersFor(tenant, Role.VIEWER),
      ));
      expect(data.scoreDistribution).toEqual(EXPECTED_SCORES);
    });

    it("leadVolume by DAY: every day including the empty one, paged forward two at a time", async () => {
      const pages: VolumePage[] = [];
      let after: string | undefined;
      do {
        const page = await readVolume("DAY", MARCH, { first: 2, ...(after ? { after } : {}) });
        pages.push(page);
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : undefined;
      } while (after && pages.length < 10);

      expect(pages.map((page) => page.nodes)).toEqual([EXPECTED_DAYS.slice(0, 2), EXPECTED_DAYS.slice(2, 4), EXPECTED_DAYS.slice(4)]);
      expect(pages.map((page) => [page.pageInfo.hasPreviousPage, page.pageInfo.hasNextPage])).toEqual([
        [false, true],
        [true, true],
        [true, false],
      ]);
      expect(pages.map((page) => page.totalCount)).toEqual([5, 5, 5]);
    });

    it("leadVolume by DAY, backward: last 2 before the last day's cursor, and the last 2 overall", async () => {
      const lastDay = await readVolume("DAY", MARCH, { last: 1 });
      expect(lastDay.nodes).toEqual([EXPECTED_DAYS[4]]);

      const before = await readVolume("DAY", MARCH, { last: 2, before: lastDay.pageInfo.startCursor! });
      // Saturday (empty) and Sunday, oldest first; Thursday and Friday lie before them, Monday after.
      expect(before.nodes).toEqual([EXPECTED_DAYS[2], EXPECTED_DAYS[3]]);
      expect(before.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });

      const tail = await readVolume("DAY", MARCH, { last: 2 });
      expect(tail.nodes).toEqual([EXPECTED_DAYS[3], EXPECTED_DAYS[4]]);
      expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    });

    it("leadVolume by WEEK (Monday weeks, from the one holding range.start) and by HOUR", async () => {
      const weeks = await readVolume("WEEK", MARCH, { first: 10 });
      expect(weeks.nodes).toEqual(EXPECTED_WEEKS);
      expect(weeks.totalCount).toBe(2);

      // Sunday 00:00-06:00: L6 at 02:00, L12 at 05:00 (L9 at 07:30 is past the range).
      const hours = await readVolume("HOUR", { start: "2026-03-08T00:00:00.000Z", end: "2026-03-08T06:00:00.000Z" }, { first: 10 });
      expect(hours.nodes.map((bucket) => [bucket.start.slice(11, 16), bucket.leads])).toEqual([
        ["00:00", 0],
        ["01:00", 0],
        ["02:00", 1],
        ["03:00", 0],
        ["04:00", 0],
        ["05:00", 1],
      ]);
    });

    it("webhookLatency: percentile_cont over the latencies in range, failed and dead as errors", async () => {
      const data = ok(await graphql<{ webhookLatency: WebhookLatency }>(
        stack.gatewayUrl,
        "query($range: DateRangeInput!) { webhookLatency(range: $range) { processed p50Ms p95Ms p99Ms errorRate } }",
        { range: MARCH },
        await headersFor(tenant, Role.VIEWER),
      ));
      expect(data.webhookLatency).toEqual(EXPECTED_WEBHOOKS);
    });

    it("Lead.activity: the timeline newest first, paged two at a time", async () => {
      const L5 = scenario.leads.L5;
      const whole = await readActivity(L5, 100);
      const paged: Activity[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await readActivity(L5, 2, after);
        expect(page.nodes.length).toBeLessThanOrEqual(2);
        expect(page.totalCount).toBe(whole.totalCount);
        paged.push(...page.nodes);
        pages += 1;
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : undefined;
      } while (after && pages < 20);
      expect(paged).toEqual(whole.nodes);
      expect(pages).toBe(Math.ceil(whole.totalCount / 2));

      // Newest: the scenario's score of L5; then intelligence's scores of it (as many as it
      // rescored L5, dated when it did); then L5's March history.
      const nodes = whole.nodes;
      const history = nodes.slice(-EXPECTED_L5_HISTORY.length);
      const scores = nodes.slice(0, nodes.length - EXPECTED_L5_HISTORY.length);
      expect(history).toEqual(EXPECTED_L5_HISTORY);
      expect(scores[0]).toEqual(entry("SCORED", expect.any(String) as string, { score: 49, tier: "WARM", previousTier: "COLD" }));
      expect(scores.length).toBeGreaterThanOrEqual(2);
      for (const score of scores) {
        expect(score.kind).toBe("SCORED");
        expect(Date.parse(score.occurredAt)).toBeGreaterThanOrEqual(scenario.writtenAt.getTime() - 1000);
      }
      expect(whole.totalCount).toBe(nodes.length);
    });
  });

  describe("replay and rebuild", () => {
    it("re-applying every stored event of the tenant changes no report (the projection is idempotent)", async () => {
      const before = await readReports(tenant, MARCH, scenario.leads.L5);
      const events = await storedEventsOf(stack.ownerDb, tenant);
      // The scenario's own 56 events (36 lead events, 12 scores, a deletion, 7 webhooks), plus intelligence's scores and message analyses.
      expect(events.filter((event) => event.producer === "analytics-test")).toHaveLength(56);

      await withTenant(analyticsDb, tenant, (trx) => projectEvents(trx, tenant, events));

      const after = await readReports(tenant, MARCH, scenario.leads.L5);
      expect(after).toEqual(before);
      expect(after.pipelineFunnel).toEqual(EXPECTED_FUNNEL);
      expect(bySource(after.sourcePerformance)).toEqual(EXPECTED_SOURCES);
      expect(after.scoreDistribution).toEqual(EXPECTED_SCORES);
    });

    it("rebuildAnalytics from the start of the log gives the same numbers", async () => {
      const before = await readReports(tenant, MARCH, scenario.leads.L5);
      const result = await rebuildAnalytics(testDatabaseUrls().owner, createLogger("test", "silent"));
      expect(result.eventsProjected).toBeGreaterThan(0);

      const after = await readReports(tenant, MARCH, scenario.leads.L5);
      expect(after).toEqual(before);
      expect(after.pipelineFunnel).toEqual(EXPECTED_FUNNEL);
      expect(after.days.nodes).toEqual(EXPECTED_DAYS);
      expect(after.webhookLatency).toEqual(EXPECTED_WEBHOOKS);
    });
  });

  describe("tenant isolation", () => {
    it("another tenant's token sees none of this tenant's leads, scores, webhooks or timelines", async () => {
      const reports = await readReports(otherTenant, MARCH, scenario.leads.L5);
      expect(reports.pipelineFunnel).toEqual({
        totalLeads: 0,
        stages: ["NEW", "CONTACTED", "QUALIFIED", "APPOINTMENT_SET", "UNDER_CONTRACT", "CLOSED_WON", "CLOSED_LOST"].map((status) => ({ status, reached: 0, conversionFromPrevious: null })),
      });
      expect(reports.sourcePerformance).toEqual([]);
      expect(reports.scoreDistribution).toEqual({ unscored: 0, buckets: EXPECTED_SCORES.buckets.map(({ min, max }) => ({ min, max, total: 0, hot: 0, warm: 0, cold: 0 })) });
      expect(reports.days.nodes).toEqual(EXPECTED_DAYS.map((bucket) => ({ ...bucket, leads: 0 })));
      expect(reports.weeks.nodes).toEqual(EXPECTED_WEEKS.map((bucket) => ({ ...bucket, leads: 0 })));
      expect(reports.webhookLatency).toEqual({ processed: 0, p50Ms: null, p95Ms: null, p99Ms: null, errorRate: null });
      expect(reports.lead).toBeNull();
    });
  });
});

// ---------------------------------------------------------------------------------------
// (d) Out-of-order commits
// ---------------------------------------------------------------------------------------

describe("out-of-order commits", () => {
  /** A connection in an open transaction bound to `tenant`, declared as one that appends to the log. */
  async function openTransaction(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: testDatabaseUrls().app });
    await client.connect();
    await client.query("begin");
    await client.query("select set_config('app.tenant_id', $1, true), events.begin_append()", [tenant]);
    return client;
  }

  /** Appends a LeadCreated in the client's open transaction; returns its log position. */
  async function appendLeadCreated(client: pg.Client, at: string): Promise<{ id: number; tx: bigint }> {
    const leadId = uuidv7(Date.parse(at));
    const payload = { lead: leadSnapshot("Racer", "WEBSITE", "NEW") };
    const { rows } = await client.query<{ id: string | number; tx: string }>(
      "insert into events.log (tenant_id, type, aggregate_id, payload, producer, occurred_at) values ($1, 'LeadCreated', $2, $3, 'analytics-test', $4) returning id, tx::text as tx",
      [tenant, leadId, JSON.stringify(payload), at],
    );
    return { id: Number(rows[0]!.id), tx: BigInt(rows[0]!.tx) };
  }

  async function totalLeads(range: DateRange): Promise<number> {
    return (await readFunnel(tenant, range)).totalLeads;
  }

  it("counts a lead whose lower id commits after a higher one was already counted", async () => {
    const range: DateRange = { start: "2026-02-10T00:00:00.000Z", end: "2026-02-11T00:00:00.000Z" };
    const t1 = await openTransaction();
    const t2 = await openTransaction();
    try {
      // T2 takes its transaction id first, so once it commits its event lies below the horizon
      // of the still-open T1 and can be read at once; T1 then takes the lower event id.
      await t2.query("select pg_current_xact_id()");
      const x = await appendLeadCreated(t1, "2026-02-10T10:00:00Z");
      const y = await appendLeadCreated(t2, "2026-02-10T11:00:00Z");
      expect(x.id).toBeLessThan(y.id);
      expect(x.tx).toBeGreaterThan(y.tx);
      await t2.query("commit");

      // Y is counted while X, the lower id, is still in flight...
      await eventually(async () => expect(await totalLeads(range)).toBe(1), 30_000, 100);
      await t1.query("commit");
      // ...and X is not skipped once it commits.
      await eventually(async () => expect(await totalLeads(range)).toBe(2), 30_000, 100);
    } finally {
      await Promise.all([t1.end(), t2.end()]);
    }
    const funnel = await readFunnel(tenant, range);
    expect(funnel.stages.map((stage) => [stage.status, stage.reached, stage.conversionFromPrevious])).toEqual([
      ["NEW", 2, null],
      ["CONTACTED", 0, 0], // 0 of 2
      ["QUALIFIED", 0, null], // the previous stage is empty
      ["APPOINTMENT_SET", 0, null],
      ["UNDER_CONTRACT", 0, null],
      ["CLOSED_WON", 0, null],
      ["CLOSED_LOST", 0, null],
    ]);
  });

  it("holds a later commit back while an older transaction is open, then counts both", async () => {
    const range: DateRange = { start: "2026-02-12T00:00:00.000Z", end: "2026-02-13T00:00:00.000Z" };
    const t1 = await openTransaction();
    const t2 = await openTransaction();
    try {
      // T1 takes both the lower transaction id and the lower event id, and stays open.
      const x = await appendLeadCreated(t1, "2026-02-12T10:00:00Z");
      const y = await appendLeadCreated(t2, "2026-02-12T11:00:00Z");
      expect(x.id).toBeLessThan(y.id);
      expect(x.tx).toBeLessThan(y.tx);
      await t2.query("commit");
      // Y lies beyond the open T1: the log hands out neither until T1 ends (analytics polls every 200 ms).
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await totalLeads(range)).toBe(0);
      await t1.query("commit");
      await eventually(async () => expect(await totalLeads(range)).toBe(2), 30_000, 100);
    } finally {
      await Promise.all([t1.end(), t2.end()]);
    }
  });
});

// ---------------------------------------------------------------------------------------
// (e) The dashboard: analytics and leads (with intelligence's scores) in one request
// ---------------------------------------------------------------------------------------

describe("the dashboard query through the gateway", () => {
  const DASHBOARD = `query Dashboard($range: DateRangeInput!) {
    pipelineFunnel(range: $range) { totalLeads stages { status reached } }
    leads(first: 5) { totalCount nodes { id fullName score { value tier } } }
  }`;
  interface Dashboard {
    pipelineFunnel: { totalLeads: number; stages: { status: string; reached: number }[] };
    leads: { totalCount: number; nodes: { id: string; fullName: string; score: { value: number; tier: string } | null }[] };
  }

  function tierOf(value: number): string {
    return value >= 70 ? "HOT" : value >= 40 ? "WARM" : "COLD";
  }

  it("returns the funnel of the leads created through createLead and their scores, consistently", async () => {
    const range: DateRange = { start: new Date(Date.now() - 60_000).toISOString(), end: new Date(Date.now() + 3_600_000).toISOString() };
    const agent = await headersFor(dashboardTenant, Role.AGENT);
    const created = new Map<string, string>();
    for (let i = 1; i <= 6; i++) {
      const input = { firstName: `Dash${i}`, lastName: "Buyer", source: i % 2 ? "WEBSITE" : "ZILLOW", financing: i <= 3 ? "CASH" : "NOT_STARTED" };
      const data = ok(await graphql<{ createLead: { lead: { id: string }; userErrors: unknown[] } }>(
        stack.gatewayUrl,
        "mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id } userErrors { message } } }",
        { input },
        agent,
      ));
      expect(data.createLead.userErrors).toEqual([]);
      created.set(data.createLead.lead.id, `Dash${i} Buyer`);
    }

    const viewer = await headersFor(dashboardTenant, Role.VIEWER);
    const dashboard = await eventually(async () => {
      const data = ok(await graphql<Dashboard>(stack.gatewayUrl, DASHBOARD, { range }, viewer));
      expect(data.pipelineFunnel.totalLeads).toBe(6);
      expect(data.leads.nodes.every((lead) => lead.score !== null)).toBe(true);
      return data;
    }, 30_000, 100);

    // Both halves describe the same six leads.
    expect(dashboard.leads.totalCount).toBe(dashboard.pipelineFunnel.totalLeads);
    expect(dashboard.pipelineFunnel.stages.find((stage) => stage.status === "NEW")?.reached).toBe(6);
    expect(dashboard.pipelineFunnel.stages.find((stage) => stage.status === "CONTACTED")?.reached).toBe(0);
    expect(dashboard.leads.nodes).toHaveLength(5);
    for (const lead of dashboard.leads.nodes) {
      expect(created.get(lead.id)).toBe(lead.fullName);
      expect(lead.score!.value).toBeGreaterThanOrEqual(0);
      expect(lead.score!.value).toBeLessThanOrEqual(100);
      expect(lead.score!.tier).toBe(tierOf(lead.score!.value));
    }
  });
});

// ---------------------------------------------------------------------------------------
// (f) Validation and roles
// ---------------------------------------------------------------------------------------

describe("validation and roles", () => {
  const RANGE_REPORTS: Record<string, string> = {
    pipelineFunnel: "query($range: DateRangeInput!) { pipelineFunnel(range: $range) { totalLeads } }",
    sourcePerformance: "query($range: DateRangeInput!) { sourcePerformance(range: $range) { source } }",
    scoreDistribution: "query($range: DateRangeInput!) { scoreDistribution(range: $range) { unscored } }",
    leadVolume: "query($range: DateRangeInput!) { leadVolume(interval: DAY, range: $range) { totalCount } }",
    webhookLatency: "query($range: DateRangeInput!) { webhookLatency(range: $range) { processed } }",
  };

  it.each([
    ["end equal to start", { start: "2026-03-05T00:00:00.000Z", end: "2026-03-05T00:00:00.000Z" }],
    ["end before start", { start: "2026-03-05T00:00:00.000Z", end: "2026-03-04T00:00:00.000Z" }],
    ["731 days and a second", { start: "2024-01-01T00:00:00.000Z", end: "2026-01-01T00:00:01.000Z" }],
  ])("refuses a range with %s as BAD_USER_INPUT, in every report", async (_label, range) => {
    const viewer = await headersFor(tenant, Role.VIEWER);
    for (const [field, query] of Object.entries(RANGE_REPORTS)) {
      const response = await graphql<Record<string, unknown>>(stack.gatewayUrl, query, { range }, viewer);
      expect([field, errorCode(response)]).toEqual([field, "BAD_USER_INPUT"]);
    }
  });

  it("accepts a range of exactly two years (731 days, 2024 being a leap year)", async () => {
    const funnel = await readFunnel(tenant, { start: "2024-01-01T00:00:00.000Z", end: "2026-01-01T00:00:00.000Z" });
    expect(funnel.totalLeads).toBe(0);
  });

  it("analyticsLag: FORBIDDEN to a VIEWER, numbers for an ADMIN", async () => {
    const query = "{ analyticsLag { eventsBehind secondsBehind } }";
    const refused = await graphql(stack.gatewayUrl, query, {}, await headersFor(tenant, Role.VIEWER));
    expect(errorCode(refused)).toBe("FORBIDDEN");

    const data = ok(await graphql<{ analyticsLag: { eventsBehind: number; secondsBehind: number } }>(stack.gatewayUrl, query, {}, await headersFor(tenant, Role.ADMIN)));
    expect(Number.isInteger(data.analyticsLag.eventsBehind)).toBe(true);
    expect(data.analyticsLag.eventsBehind).toBeGreaterThanOrEqual(0);
    expect(data.analyticsLag.secondsBehind).toBeGreaterThanOrEqual(0);
  });
});
