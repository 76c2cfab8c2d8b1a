import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { Role } from "../../lib/auth/roles";
import { signUserToken } from "../../gateway/src/auth/jwt";
import { eventually } from "../helpers/eventually";
import { JWT, bearer, graphql, startStack, uniqueTenant, type TestStack } from "../helpers/stack";

/** Debian's Chromium; .ci/run installs it. playwright-core drives it and downloads no browser of its own. */
const CHROMIUM = "/usr/bin/chromium";
/** Kept after the run (and ignored by git), for a person to look at. */
const ARTIFACTS = join(__dirname, "../../test-artifacts");
const TIERS = ["HOT", "WARM", "COLD"];

const tenant = uniqueTenant("dashboard");
const otherTenant = uniqueTenant("dashboard-other");

let stack: TestStack;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    // Never a skip: a dashboard nobody checked in a browser is exactly what this test is for.
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y --no-install-recommends chromium); .ci/run installs it`);
  }
  stack = await startStack();
  origin = new URL(stack.gatewayUrl).origin;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium's sandbox cannot start as root (CI, containers); a small /dev/shm crashes tabs.
    args: [...(process.getuid?.() === 0 ? ["--no-sandbox"] : []), "--disable-dev-shm-usage"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const row = (leadId: string): string => `[data-testid="lead-row"][data-lead-id="${leadId}"]`;
const STATUS = '[data-testid="connection-status"]';

/** A fresh browser tab at 1280×800 (the size the page is made for), its errors collected for failure messages. */
async function openTab(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  return { context, page, problems };
}

/** Opens the dashboard afresh; a clear failure when the gateway does not serve it. */
async function openDashboard(page: Page, token: string): Promise<void> {
  // From the page itself, a new fragment alone would be a same-document navigation, not a load.
  if (page.url().startsWith(origin)) await page.goto("about:blank");
  const response = await page.goto(`${origin}/dashboard#token=${token}`);
  const status = response?.status();
  if (status !== 200) throw new Error(`GET /dashboard answered ${status ?? "nothing"}: the gateway does not serve serveDashboard's route`);
}

/** Waits for `selector`; on a timeout, says what the page showed instead and keeps a screenshot of it. */
async function waitFor(page: Page, selector: string, what: string, problems: string[], timeout = 20_000): Promise<void> {
  try {
    await page.locator(selector).first().waitFor({ timeout });
  } catch (error) {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-failure.png") }).catch(() => undefined);
    const state = await page.locator(STATUS).getAttribute("data-state").catch(() => null);
    const banner = await page.locator('[data-testid="dashboard-error"]').textContent().catch(() => null);
    throw new Error(
      `${what}: not seen within ${timeout} ms (connection ${state ?? "unknown"}; banner "${banner ?? ""}"; ${problems.join("; ") || "no page errors"}; ` +
        `screenshot in test-artifacts/dashboard-failure.png)\n${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function createLead(token: string, input: Record<string, unknown>): Promise<{ id: string; fullName: string }> {
  const response = await graphql<{ createLead: { lead: { id: string; fullName: string } | null; userErrors: { message: string }[] } }>(
    stack.gatewayUrl,
    "mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id fullName } userErrors { message } } }",
    { input },
    bearer(token),
  );
  expect(response.errors).toBeUndefined();
  expect(response.data?.createLead.userErrors).toEqual([]);
  const lead = response.data?.createLead.lead;
  if (!lead) throw new Error("createLead returned no lead");
  return lead;
}

/**
 * graphql-ws acknowledges the connection, not each subscription: "live" can come a moment
 * before the gateway has the subscriptions running upstream. A lead that reaches the list
 * proves the whole path is open, so what follows cannot race it.
 */
async function warmUp(page: Page, token: string, problems: string[]): Promise<void> {
  const anyRow = '[data-testid="lead-row"]';
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    await createLead(token, { firstName: "Warmup", lastName: `Lead${attempt}` });
    const arrived = await page.locator(anyRow).first().waitFor({ timeout: 3_000 }).then(() => true, () => false);
    if (arrived) return;
  }
  await createLead(token, { firstName: "Warmup", lastName: "Lead6" });
  await waitFor(page, anyRow, "a first lead in the list, six leads created", problems, 10_000);
}

describe("the live dashboard in a browser", () => {
  it("shows a new lead of its team live, scored, in the funnel and the counters, and nothing of another team", async () => {
    const { context, page, problems } = await openTab();
    try {
      const admin = await stack.token(tenant, Role.ADMIN);
      const otherAgent = await stack.token(otherTenant, Role.AGENT);
      await openDashboard(page, admin);
      // The token leaves the address bar at once (no history entry or copied URL holds it).
      expect(page.url()).toBe(`${origin}/dashboard`);
      await waitFor(page, `${STATUS}[data-state="live"]`, "the connection indicator saying live", problems);
      expect(await page.getByTestId("identity").textContent()).toBe(`Team ${tenant} · ADMIN`);
      await warmUp(page, admin, problems);

      // Created before ours on the same feed: had it leaked, it would reach the page before ours.
      const other = await createLead(otherAgent, { firstName: "Olive", lastName: "Outsider" });
      const lead = await createLead(admin, {
        firstName: "Dana",
        lastName: "Whitfield",
        source: "ZILLOW",
        timeline: "WITHIN_3_MONTHS",
        financing: "PRE_APPROVED",
      });

      await waitFor(page, row(lead.id), "the new lead's row", problems);
      expect(await page.locator(`${row(lead.id)} [data-testid="lead-name"]`).textContent()).toBe(lead.fullName);
      // Newest first.
      expect(await page.getByTestId("lead-row").first().getAttribute("data-lead-id")).toBe(lead.id);

      // Intelligence scores the lead a moment after it is created; its badge follows.
      const badge = `${row(lead.id)} [data-testid="tier-badge"]`;
      await waitFor(page, TIERS.map((tier) => `${badge}[data-tier="${tier}"]`).join(", "), "the new lead's tier badge showing a tier", problems);
      const shown = (await page.locator(badge).textContent()) ?? "";
      expect(TIERS).toContain(shown);
      const scored = await eventually(async () => {
        const response = await graphql<{ lead: { score: { tier: string } | null } }>(stack.gatewayUrl, "query($id: ID!) { lead(id: $id) { score { tier } } }", { id: lead.id }, bearer(admin));
        const tier = response.data?.lead.score?.tier;
        expect(tier).toBeDefined();
        return tier;
      });
      expect(shown).toBe(scored);

      // The tenant is new, so its first snapshot counted nothing: a count is an update since.
      await waitFor(page, '[data-testid="count-leads"][data-value]:not([data-value="0"])', "the lead counter counting the team's leads", problems);
      expect(Number(await page.getByTestId("count-leads").getAttribute("data-value"))).toBeGreaterThanOrEqual(1);
      await waitFor(page, '[data-testid="funnel-stage"][data-stage="NEW"]:not([data-reached="0"])', "the funnel's NEW stage counting the leads", problems);

      expect(await page.locator(row(other.id)).count()).toBe(0);
      expect(await page.locator("body").textContent()).not.toContain(other.fullName);
      expect(problems).toEqual([]);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), animations: "disabled" });

      // A reload keeps the tab's token and goes live again without asking.
      await page.reload();
      await waitFor(page, `${STATUS}[data-state="live"]`, "live again after a reload", problems);
      expect(await page.getByTestId("sign-in").isVisible()).toBe(false);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("says so when the gateway refuses the token, forgets it, and goes live with another one", async () => {
    const { context, page, problems } = await openTab();
    try {
      const expired = await signUserToken(JWT.secret, { sub: "dashboard-test", tenant, role: Role.ADMIN, scopes: [] }, { issuer: JWT.issuer, audience: JWT.audience, ttlSeconds: -60 });
      await openDashboard(page, expired);
      await waitFor(page, `${STATUS}[data-state="refused"]`, "the refused state for an expired token", problems);
      expect(await page.getByTestId("token-message").textContent()).toMatch(/expired/i);

      const forged = await signUserToken("not-the-gateway-secret-but-long-enough-0123456789", { sub: "dashboard-test", tenant, role: Role.ADMIN, scopes: [] }, {
        issuer: JWT.issuer,
        audience: JWT.audience,
        ttlSeconds: 600,
      });
      await openDashboard(page, forged);
      await waitFor(page, `${STATUS}[data-state="refused"]`, "the refused state for a token signed with another key", problems);
      expect(await page.getByTestId("token-form").isVisible()).toBe(true);
      expect(await page.getByTestId("token-message").textContent()).toMatch(/refused/i);
      // A refused token is not kept for the next reload.
      expect(await page.evaluate("window.sessionStorage.length")).toBe(0);

      await page.getByTestId("token-input").fill(await stack.token(tenant, Role.AGENT));
      await page.getByTestId("token-submit").click();
      await waitFor(page, `${STATUS}[data-state="live"]`, "live after a good token in the form", problems);
      expect(await page.getByTestId("identity").textContent()).toBe(`Team ${tenant} · AGENT`);
    } finally {
      await context.close();
    }
  }, 60_000);
});
