import { sql } from "kysely";
import { Role, SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS } from "../../lib/auth/roles";
import { createDatabase } from "../../lib/db/database";
import { withTenant } from "../../lib/db/tenant";
import { appendEvent } from "../../lib/events/event-log";
import type { NewEvent } from "../../lib/events/event-types";
import { uuidv7 } from "../../lib/ids";
import { createLogger } from "../../lib/logger";
import { TENANT_HEADER } from "../../gateway/src/auth/authenticate";
import { meterEvents } from "../../subgraphs/billing/src/billing.consumer";
import type { BillingDatabase } from "../../subgraphs/billing/src/database";
import { closeDuePeriods } from "../../subgraphs/billing/src/invoice/invoice.service";
import { periodContaining } from "../../subgraphs/billing/src/period/billing-period";
import { waitForConsumer } from "../helpers/consumers";
import { storedEventsOf } from "../helpers/events";
import { eventually } from "../helpers/eventually";
import { bearer, graphql, startStack, testDatabaseUrls, uniqueTenant, type GraphQLResponse, type TestStack } from "../helpers/stack";

let stack: TestStack;
const billingDb = createDatabase<BillingDatabase>(testDatabaseUrls().app, { name: "billing-test" });

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack.stop();
  await billingDb.destroy();
});

async function as(tenant: string, role: Role): Promise<Record<string, string>> {
  return bearer(await stack.token(tenant, role));
}

/** The webhook bridge: a service credential for its own tenant that names the tenant it acts for. */
async function bridgeFor(tenant: string): Promise<Record<string, string>> {
  const token = await stack.token("bridge-service", Role.ADMIN, { sub: "bridge", scopes: [SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS] });
  return { ...bearer(token), [TENANT_HEADER]: tenant };
}

function ok<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length || !response.data) throw new Error(`unexpected errors: ${JSON.stringify(response.errors)}`);
  return response.data;
}

function codes(response: GraphQLResponse<unknown>): (string | undefined)[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}

const PROVISION = `mutation($input: ProvisionAccountInput!) {
  provisionAccount(input: $input) { created account { tenantId name status trialEndsAt plan { code } } userErrors { code field message } }
}`;
const DEACTIVATE = `mutation($input: DeactivateAccountInput!) { deactivateAccount(input: $input) { account { status canceledAt } userErrors { code message } } }`;
const CHANGE_PLAN = `mutation($plan: PlanCode!) {
  changePlan(input: { plan: $plan }) { account { plan { code } } change { kind plan previousPlan effectiveAt changedBy } userErrors { code field message } }
}`;
const CLOSE = `mutation($period: String!) {
  closeBillingPeriod(input: { period: $period }) {
    created
    invoice { id number status currency period { label days } plan { code } subtotal { amountCents currency } total { amountCents }
      lines { kind quantity description meter unitPrice { amountCents } amount { amountCents } } }
    userErrors { code field message }
  }
}`;

interface ProvisionData {
  provisionAccount: { created: boolean; account: { tenantId: string; name: string; status: string; trialEndsAt: string | null; plan: { code: string } } | null; userErrors: { code: string }[] };
}
interface CloseData {
  closeBillingPeriod: {
    created: boolean;
    invoice: {
      id: string;
      number: string;
      status: string;
      currency: string;
      period: { label: string; days: number };
      plan: { code: string };
      subtotal: { amountCents: number; currency: string };
      total: { amountCents: number };
      lines: { kind: string; quantity: number; description: string; meter: string | null; unitPrice: { amountCents: number } | null; amount: { amountCents: number } }[];
    } | null;
    userErrors: { code: string; field: string[]; message: string }[];
  };
}

async function provision(tenant: string, input: { name: string; plan?: string; trialDays?: number }): Promise<ProvisionData["provisionAccount"]> {
  return ok(await graphql<ProvisionData>(stack.gatewayUrl, PROVISION, { input }, await bridgeFor(tenant))).provisionAccount;
}

/** An account with a history in the past, written as the owner: what months of real use would have left. */
async function backdatedAccount(tenant: string, createdAt: string, changes: readonly (readonly [plan: string, effectiveDay: string])[]): Promise<void> {
  const last = changes[changes.length - 1]![0];
  await sql`insert into billing.accounts (tenant_id, name, plan, status, trial_ends_at, created_at, updated_at)
    values (${tenant}, ${`Team ${tenant}`}, ${last}, 'ACTIVE', null, ${new Date(createdAt)}, ${new Date(createdAt)})`.execute(stack.ownerDb);
  let previous: string | null = null;
  for (const [plan, day] of changes) {
    const at = new Date(`${day}T00:00:00Z`);
    await sql`insert into billing.plan_changes (id, tenant_id, kind, plan, previous_plan, effective_at, changed_at, changed_by)
      values (${uuidv7(at.getTime())}, ${tenant}, ${previous === null ? "PROVISIONED" : "CHANGED"}, ${plan}, ${previous}, ${at}, ${at}, 'fixture')`.execute(stack.ownerDb);
    previous = plan;
  }
}

function messageAnalyzed(tenant: string, occurredAt?: Date): NewEvent {
  return {
    type: "MessageAnalyzed",
    tenantId: tenant,
    aggregateId: uuidv7(),
    payload: { insightId: uuidv7(), provider: "local", intent: "BUYING", fallbackReason: null },
    ...(occurredAt ? { occurredAt } : {}),
  };
}

async function append(tenant: string, events: readonly NewEvent[]): Promise<void> {
  await withTenant(stack.appDb, tenant, async (trx) => {
    for (const event of events) await appendEvent(trx, "test", event);
  });
}

/** Closes a period, retrying while the log's older events are still being metered (other test files append dated events). */
async function closePeriod(tenant: string, period: string): Promise<CloseData["closeBillingPeriod"]> {
  const headers = await as(tenant, Role.ADMIN);
  return eventually(async () => {
    const result = ok(await graphql<CloseData>(stack.gatewayUrl, CLOSE, { period }, headers)).closeBillingPeriod;
    if (result.userErrors.some((error) => error.code === "USAGE_PENDING")) throw new Error("usage still pending");
    return result;
  }, 30_000, 100);
}

async function counters(tenant: string): Promise<Record<string, number>> {
  const { rows } = await sql<{ period: string; meter: string; quantity: number }>`
    select to_char(period_start at time zone 'UTC', 'YYYY-MM') as period, meter, quantity
    from billing.usage_counters where tenant_id = ${tenant}`.execute(stack.ownerDb);
  return Object.fromEntries(rows.map((row) => [`${row.period} ${row.meter}`, row.quantity]));
}

describe("plans", () => {
  it("are readable by every role, with prices in integer cents", async () => {
    const data = ok(
      await graphql<{ plans: { code: string; monthlyPrice: { amountCents: number; currency: string }; includedLeads: number; includedAiScorings: number; apiRequestsPerMinute: number; seats: number }[] }>(
        stack.gatewayUrl,
        "{ plans { code monthlyPrice { amountCents currency } includedLeads includedAiScorings apiRequestsPerMinute seats } }",
        {},
        await as(uniqueTenant("plans"), Role.VIEWER),
      ),
    );
    expect(data.plans).toEqual([
      { code: "STARTER", monthlyPrice: { amountCents: 9_900, currency: "USD" }, includedLeads: 500, includedAiScorings: 2_000, apiRequestsPerMinute: 120, seats: 3 },
      { code: "PROFESSIONAL", monthlyPrice: { amountCents: 29_900, currency: "USD" }, includedLeads: 2_500, includedAiScorings: 10_000, apiRequestsPerMinute: 600, seats: 10 },
      { code: "ENTERPRISE", monthlyPrice: { amountCents: 99_900, currency: "USD" }, includedLeads: 15_000, includedAiScorings: 60_000, apiRequestsPerMinute: 3_000, seats: 50 },
    ]);
  });
});

describe("access", () => {
  const tenant = uniqueTenant("billing-roles");

  beforeAll(async () => {
    await provision(tenant, { name: "Roles Realty", plan: "PROFESSIONAL", trialDays: 0 });
  });

  it.each([Role.VIEWER, Role.AGENT])("refuses %s every account field and mutation with FORBIDDEN, changing nothing", async (role) => {
    const headers = await as(tenant, role);
    // Refused field by field: the rest of the response survives, with the reason.
    const mixed = await graphql<{ plans: { code: string }[]; account: unknown }>(stack.gatewayUrl, "{ plans { code } account { name } }", {}, headers);
    expect(mixed.status).toBe(200);
    expect(mixed.data).toEqual({ plans: [{ code: "STARTER" }, { code: "PROFESSIONAL" }, { code: "ENTERPRISE" }], account: null });
    expect(mixed.errors?.map((error) => [error.extensions?.code, error.message, error.path])).toEqual([["FORBIDDEN", "this operation requires role ADMIN", ["account"]]]);
    expect(codes(await graphql(stack.gatewayUrl, CHANGE_PLAN, { plan: "STARTER" }, headers))).toEqual(["FORBIDDEN"]);
    expect(codes(await graphql(stack.gatewayUrl, CLOSE, { period: "2024-01" }, headers))).toEqual(["FORBIDDEN"]);
    expect(codes(await graphql(stack.gatewayUrl, DEACTIVATE, { input: {} }, headers))).toEqual(["FORBIDDEN"]);
    const admin = ok(await graphql<{ account: { plan: { code: string }; status: string } }>(stack.gatewayUrl, "{ account { status plan { code } } }", {}, await as(tenant, Role.ADMIN)));
    expect(admin.account).toEqual({ status: "ACTIVE", plan: { code: "PROFESSIONAL" } });
  });

  it("keeps provisioning and deactivation to service callers: an ADMIN user is refused", async () => {
    const admin = await as(tenant, Role.ADMIN);
    const provisioned = await graphql(stack.gatewayUrl, PROVISION, { input: { name: "Nope" } }, admin);
    expect(codes(provisioned)).toEqual(["FORBIDDEN"]);
    expect(provisioned.errors?.[0]?.message).toBe("this operation requires scope accounts:manage");
    expect(codes(await graphql(stack.gatewayUrl, DEACTIVATE, { input: {} }, admin))).toEqual(["FORBIDDEN"]);
    const account = ok(await graphql<{ account: { status: string; name: string } }>(stack.gatewayUrl, "{ account { status name } }", {}, admin)).account;
    expect(account).toEqual({ status: "ACTIVE", name: "Roles Realty" });
  });

  it("shows an ADMIN only their own tenant's account", async () => {
    const other = uniqueTenant("billing-other");
    expect(ok(await graphql<{ account: unknown }>(stack.gatewayUrl, "{ account { name } }", {}, await as(other, Role.ADMIN))).account).toBeNull();
  });
});

describe("account lifecycle from GHL (INSTALL / UNINSTALL through the bridge's credential)", () => {
  it("provisions once, deactivates once, reactivates on a new install, and records each change", async () => {
    const tenant = uniqueTenant("billing-life");
    const first = await provision(tenant, { name: "  Lifecycle Homes ", plan: "STARTER" });
    expect(first.created).toBe(true);
    expect(first.account).toMatchObject({ tenantId: tenant, name: "Lifecycle Homes", status: "TRIALING", plan: { code: "STARTER" } });
    const trialDays = (Date.parse(first.account!.trialEndsAt!) - Date.now()) / 86_400_000;
    expect(trialDays).toBeGreaterThan(13.9);
    expect(trialDays).toBeLessThanOrEqual(14);

    const again = await provision(tenant, { name: "Another Name", plan: "ENTERPRISE" });
    expect(again).toEqual({ created: false, account: first.account, userErrors: [] });

    const bridge = await bridgeFor(tenant);
    const deactivated = ok(await graphql<{ deactivateAccount: { account: { status: string; canceledAt: string } } }>(stack.gatewayUrl, DEACTIVATE, { input: { reason: "GHL UNINSTALL" } }, bridge));
    expect(deactivated.deactivateAccount.account.status).toBe("CANCELED");
    const twice = ok(await graphql<{ deactivateAccount: { account: { status: string; canceledAt: string } } }>(stack.gatewayUrl, DEACTIVATE, { input: {} }, bridge));
    expect(twice.deactivateAccount.account).toEqual(deactivated.deactivateAccount.account);

    const reinstalled = await provision(tenant, { name: "Lifecycle Homes", plan: "PROFESSIONAL" });
    expect(reinstalled).toMatchObject({ created: true, account: { status: "ACTIVE", plan: { code: "PROFESSIONAL" } } });

    const history = ok(
      await graphql<{ account: { planChanges: { totalCount: number; nodes: { kind: string; plan: string | null; previousPlan: string | null; changedBy: string; note: string | null }[] } } }>(
        stack.gatewayUrl,
        "{ account { planChanges(first: 10) { totalCount nodes { kind plan previousPlan changedBy note } } } }",
        {},
        await as(tenant, Role.ADMIN),
      ),
    ).account.planChanges;
    expect(history.totalCount).toBe(3);
    expect(history.nodes).toEqual([
      { kind: "REACTIVATED", plan: "PROFESSIONAL", previousPlan: null, changedBy: "bridge", note: null },
      { kind: "CANCELED", plan: null, previousPlan: "STARTER", changedBy: "bridge", note: "GHL UNINSTALL" },
      { kind: "PROVISIONED", plan: "STARTER", previousPlan: null, changedBy: "bridge", note: null },
    ]);
  });

  it("refuses bad input with user errors and creates nothing", async () => {
    const tenant = uniqueTenant("billing-bad");
    const result = await provision(tenant, { name: " ", trialDays: 91 });
    expect(result.created).toBe(false);
    expect(result.userErrors.map((error) => error.code)).toEqual(["INVALID_INPUT", "INVALID_INPUT"]);
    const { rows } = await sql`select 1 from billing.accounts where tenant_id = ${tenant}`.execute(stack.ownerDb);
    expect(rows).toHaveLength(0);
    const missing = ok(await graphql<{ deactivateAccount: { userErrors: { code: string }[] } }>(stack.gatewayUrl, DEACTIVATE, { input: {} }, await bridgeFor(tenant)));
    expect(missing.deactivateAccount.userErrors.map((error) => error.code)).toEqual(["NOT_FOUND"]);
  });
});

describe("invoices", () => {
  it("prorates across the leap day, closes a period once, and refuses periods it cannot close", async () => {
    const tenant = uniqueTenant("billing-leap");
    await backdatedAccount(tenant, "2023-11-01T09:00:00Z", [
      ["STARTER", "2023-11-01"],
      ["ENTERPRISE", "2024-02-29"],
    ]);
    await append(tenant, [0, 1, 2].map((day) => messageAnalyzed(tenant, new Date(Date.UTC(2024, 1, 10 + day)))));
    await waitForConsumer(stack.ownerDb, "billing", tenant);

    const first = await closePeriod(tenant, "2024-02");
    expect(first.userErrors).toEqual([]);
    expect(first.created).toBe(true);
    // STARTER 1-28 Feb: 9,900 × 28 / 29 = 9,558.62 → 9,559. ENTERPRISE on the 29th: 99,900 / 29 = 3,444.83 → 3,445. 3 messages, far under the allowance.
    expect(first.invoice).toMatchObject({
      status: "OPEN",
      currency: "USD",
      number: "INV-000001",
      period: { label: "2024-02", days: 29 },
      plan: { code: "ENTERPRISE" },
      subtotal: { amountCents: 13_004, currency: "USD" },
      total: { amountCents: 13_004 },
    });
    expect(first.invoice!.lines.map((line) => [line.kind, line.quantity, line.amount.amountCents])).toEqual([
      ["PLAN_FEE", 28, 9_559],
      ["PLAN_FEE", 1, 3_445],
    ]);

    const second = await closePeriod(tenant, "2024-02");
    expect(second.created).toBe(false);
    expect(second.invoice).toEqual(first.invoice);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from billing.invoices where tenant_id = ${tenant}`.execute(stack.ownerDb);
    expect(rows[0]!.n).toBe(1);

    // January after February: each invoice numbered in turn, January on STARTER alone.
    const january = await closePeriod(tenant, "2024-01");
    expect(january.invoice).toMatchObject({ number: "INV-000002", total: { amountCents: 9_900 } });

    const errorsFor = async (period: string) => (await closePeriod(tenant, period)).userErrors.map((error) => [error.code, error.field]);
    expect(await errorsFor("2024-13")).toEqual([["INVALID_INPUT", ["input", "period"]]]);
    expect(await errorsFor(periodContaining(new Date()).label)).toEqual([["PERIOD_NOT_ENDED", ["input", "period"]]]);
    expect(await errorsFor("2023-10")).toEqual([["NOTHING_TO_BILL", ["input", "period"]]]);
    const none = await closePeriod(uniqueTenant("billing-none"), "2024-02");
    expect(none.userErrors.map((error) => error.code)).toEqual(["NOT_FOUND"]);

    const listed = ok(
      await graphql<{ account: { invoices: { totalCount: number; nodes: { number: string; lines: { amount: { amountCents: number } }[] }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } }>(
        stack.gatewayUrl,
        "{ account { invoices(first: 1) { totalCount nodes { number lines { amount { amountCents } } } pageInfo { hasNextPage endCursor } } } }",
        {},
        await as(tenant, Role.ADMIN),
      ),
    ).account.invoices;
    expect(listed.totalCount).toBe(2);
    expect(listed.nodes.map((node) => node.number)).toEqual(["INV-000001"]);
    expect(listed.nodes[0]!.lines.map((line) => line.amount.amountCents)).toEqual([9_559, 3_445]);
    expect(listed.pageInfo.hasNextPage).toBe(true);
    const next = ok(
      await graphql<{ account: { invoices: { nodes: { number: string }[]; pageInfo: { hasNextPage: boolean } } } }>(
        stack.gatewayUrl,
        "query($after: String) { account { invoices(first: 1, after: $after) { nodes { number } pageInfo { hasNextPage } } } }",
        { after: listed.pageInfo.endCursor },
        await as(tenant, Role.ADMIN),
      ),
    ).account.invoices;
    expect(next).toEqual({ nodes: [{ number: "INV-000002" }], pageInfo: { hasNextPage: false } });
    const badCursor = await graphql(stack.gatewayUrl, '{ account { invoices(after: "bm90LWEtY3Vyc29y") { totalCount } } }', {}, await as(tenant, Role.ADMIN));
    expect(codes(badCursor)).toEqual(["BAD_USER_INPUT"]);
  });

  it("charges overage per unit, counts replayed events once, and bills late events in the open period", async () => {
    const tenant = uniqueTenant("billing-overage");
    await backdatedAccount(tenant, "2024-01-01T00:00:00Z", [["STARTER", "2024-01-01"]]);
    // STARTER includes 1,000 analyzed messages; 1,003 in March 2024.
    await append(tenant, Array.from({ length: 1_003 }, (_, i) => messageAnalyzed(tenant, new Date(Date.UTC(2024, 2, 1 + (i % 31), 12)))));
    await waitForConsumer(stack.ownerDb, "billing", tenant);
    expect(await counters(tenant)).toEqual({ "2024-03 MESSAGES_ANALYZED": 1_003 });

    // Replay: every one of the tenant's events metered again, as a rebuilt consumer would.
    const events = await storedEventsOf(stack.ownerDb, tenant);
    const recounted = await billingDb.transaction().execute((trx) => meterEvents(trx, events));
    expect(recounted).toBe(0);
    expect(await counters(tenant)).toEqual({ "2024-03 MESSAGES_ANALYZED": 1_003 });

    const closed = await closePeriod(tenant, "2024-03");
    // Fee 9,900 for all 31 days; 3 messages over at 3 cents: 9.
    expect(closed.invoice!.lines.map((line) => [line.kind, line.meter, line.quantity, line.unitPrice?.amountCents ?? null, line.amount.amountCents])).toEqual([
      ["PLAN_FEE", null, 31, null, 9_900],
      ["OVERAGE", "MESSAGES_ANALYZED", 3, 3, 9],
    ]);
    expect(closed.invoice!.total.amountCents).toBe(9_909);
    expect(closed.invoice!.lines[1]!.description).toBe("Messages analyzed: 1003 used, 1000 included, 3 over at $0.03");

    // A March event that reaches billing after March was invoiced is billed in the open period, not lost.
    await append(tenant, [messageAnalyzed(tenant, new Date(Date.UTC(2024, 2, 20)))]);
    await waitForConsumer(stack.ownerDb, "billing", tenant);
    expect(await counters(tenant)).toEqual({ "2024-03 MESSAGES_ANALYZED": 1_003, [`${periodContaining(new Date()).label} MESSAGES_ANALYZED`]: 1 });
    const again = await closePeriod(tenant, "2024-03");
    expect(again.invoice!.total.amountCents).toBe(9_909);
  });
});

describe("changePlan", () => {
  it("refuses a downgrade below this period's usage with the reason, and prorates an allowed change from today", async () => {
    const tenant = uniqueTenant("billing-change");
    await provision(tenant, { name: "Change Realty", plan: "ENTERPRISE", trialDays: 0 });
    await append(tenant, Array.from({ length: 1_001 }, () => messageAnalyzed(tenant)));
    const admin = await as(tenant, Role.ADMIN);
    await eventually(async () => {
      const usage = ok(await graphql<{ account: { currentUsage: { meters: { meter: string; used: number }[] } } }>(stack.gatewayUrl, "{ account { currentUsage { meters { meter used } } } }", {}, admin));
      expect(usage.account.currentUsage.meters.find((m) => m.meter === "MESSAGES_ANALYZED")?.used).toBe(1_001);
    }, 30_000, 100);

    const refused = ok(await graphql<{ changePlan: { account: { plan: { code: string } }; change: unknown; userErrors: { code: string; field: string[]; message: string }[] } }>(stack.gatewayUrl, CHANGE_PLAN, { plan: "STARTER" }, admin)).changePlan;
    expect(refused.change).toBeNull();
    expect(refused.account.plan.code).toBe("ENTERPRISE");
    expect(refused.userErrors).toHaveLength(1);
    expect(refused.userErrors[0]).toMatchObject({ code: "USAGE_EXCEEDS_PLAN", field: ["input", "plan"] });
    expect(refused.userErrors[0]!.message).toContain("already used 1001 of messages analyzed and Starter includes 1000");

    const changed = ok(await graphql<{ changePlan: { account: { plan: { code: string } }; change: { kind: string; plan: string; previousPlan: string; effectiveAt: string; changedBy: string } } }>(stack.gatewayUrl, CHANGE_PLAN, { plan: "PROFESSIONAL" }, admin)).changePlan;
    const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
    expect(changed.account.plan.code).toBe("PROFESSIONAL");
    expect(changed.change).toEqual({ kind: "CHANGED", plan: "PROFESSIONAL", previousPlan: "ENTERPRISE", effectiveAt: today.toISOString(), changedBy: "user-admin" });

    // Provisioned and changed today: the whole rest of the month is on the new plan.
    const draft = ok(await graphql<{ account: { upcomingInvoice: { id: string | null; status: string; plan: { code: string }; total: { amountCents: number }; lines: { kind: string; quantity: number; amount: { amountCents: number } }[] } } }>(
      stack.gatewayUrl,
      "{ account { upcomingInvoice { id status plan { code } total { amountCents } lines { kind quantity amount { amountCents } } } } }",
      {},
      admin,
    )).account.upcomingInvoice;
    const period = periodContaining(new Date());
    const daysLeft = Math.round((period.end.getTime() - today.getTime()) / 86_400_000);
    expect(draft).toMatchObject({ id: null, status: "DRAFT", plan: { code: "PROFESSIONAL" } });
    expect(draft.lines).toEqual([{ kind: "PLAN_FEE", quantity: daysLeft, amount: { amountCents: Math.round((29_900 * daysLeft) / period.days) } }]);
  });
});

describe("rate limits from plan entitlements, at the gateway", () => {
  async function burst(headers: Record<string, string>, count: number): Promise<{ status: number; retryAfter: string | null; code: string | undefined; retryAfterSeconds: unknown }[]> {
    const results: { status: number; retryAfter: string | null; code: string | undefined; retryAfterSeconds: unknown }[] = [];
    const worker = async () => {
      while (results.length < count) {
        results.push({ status: 0, retryAfter: null, code: undefined, retryAfterSeconds: undefined });
        const index = results.length - 1;
        const response = await graphql(stack.gatewayUrl, "{ plans { code } }", {}, headers);
        results[index] = { status: response.status, retryAfter: response.headers.get("retry-after"), code: response.errors?.[0]?.extensions?.code, retryAfterSeconds: response.errors?.[0]?.extensions?.["retryAfterSeconds"] };
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return results;
  }

  it("limits a tenant to its plan's rate with 429 and Retry-After, without touching another tenant, reading entitlements once per tenant", async () => {
    const starter = uniqueTenant("rate-starter");
    const enterprise = uniqueTenant("rate-enterprise");
    await provision(starter, { name: "Small Team", plan: "STARTER", trialDays: 0 });
    await provision(enterprise, { name: "Big Team", plan: "ENTERPRISE", trialDays: 0 });
    stack.billingRequests.length = 0;
    const started = Date.now();
    const [small, big] = await Promise.all([burst(await as(starter, Role.VIEWER), 150), burst(await as(enterprise, Role.VIEWER), 150)]);
    const elapsedSeconds = (Date.now() - started) / 1000;

    const refused = small.filter((result) => result.status === 429);
    const admitted = small.filter((result) => result.status === 200);
    expect(admitted.length + refused.length).toBe(150);
    // STARTER: a burst of 120, then 2 a second.
    expect(admitted.length).toBeGreaterThanOrEqual(120);
    expect(admitted.length).toBeLessThanOrEqual(120 + Math.ceil(elapsedSeconds * 2) + 1);
    expect(refused.length).toBeGreaterThan(0);
    for (const result of refused) {
      expect(result.code).toBe("RATE_LIMITED");
      expect(result.retryAfter).toBe(String(result.retryAfterSeconds));
      expect(Number(result.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(big.every((result) => result.status === 200)).toBe(true);
    // One entitlements lookup per tenant, however many requests: the gateway caches them.
    expect(stack.billingRequests.filter((request) => request.operationName === "GatewayEntitlements")).toHaveLength(2);

    // Retry-After tells the truth: after waiting it out, the tenant is admitted again.
    await new Promise((resolve) => setTimeout(resolve, Number(refused[refused.length - 1]!.retryAfter) * 1000));
    expect((await graphql(stack.gatewayUrl, "{ plans { code } }", {}, await as(starter, Role.VIEWER))).status).toBe(200);
  });
});

describe("the period scheduler", () => {
  it("closes the month before now for accounts that need an invoice, once", async () => {
    const tenant = uniqueTenant("billing-scheduler");
    await backdatedAccount(tenant, "2025-01-01T00:00:00Z", [["PROFESSIONAL", "2025-01-01"]]);
    const logger = createLogger("test", "silent");
    const now = new Date("2025-03-15T08:00:00Z");
    await eventually(async () => {
      await closeDuePeriods(billingDb, logger, now);
      const { rows } = await sql<{ period: string; total_cents: number; closed_by: string }>`
        select to_char(period_start at time zone 'UTC', 'YYYY-MM') as period, total_cents, closed_by
        from billing.invoices where tenant_id = ${tenant}`.execute(stack.ownerDb);
      expect(rows).toEqual([{ period: "2025-02", total_cents: 29_900, closed_by: "scheduler" }]);
    }, 30_000, 200);
    // A second pass finds nothing left to close for the month.
    expect(await closeDuePeriods(billingDb, logger, now)).toBe(0);
  });
});
