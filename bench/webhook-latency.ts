import "reflect-metadata";
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { memoryUsage } from "node:process";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { Role, SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS } from "../lib/auth/roles";
import { createBridge } from "../bridge/src/index";
import { GHL_WEBHOOK_PATH } from "../bridge/src/intake/webhook.route";
import { inboxProcessing } from "../bridge/src/processing/inbox-processing";
import { machineInfo, percentile, startBenchDatabase, startInProcessPlatform, writeResult } from "./bench-stack";

/**
 * GHL webhook to dashboard: signed `ContactCreate` webhooks are POSTed to the bridge at a
 * fixed rate while a dashboard holds `leadScored` through the gateway. Measures, per
 * contact, from the webhook's send to the scored lead arriving on the subscription: intake,
 * inbox, worker, gateway mutation, log, scoring, log tail, gateway fan-out. Also counts
 * webhook answers that were not 200. Run: `npm run bench:webhooks` (embedded Postgres unless
 * DATABASE_URL is set). DESIGN's budget: p95 under 100 ms at 100 webhooks/s.
 *
 * `BENCH_WEBHOOKS_PER_SECOND` takes one rate or several (`40,60,100`): each is run in turn
 * on the same platform, after the previous one has settled, so where latency turns is
 * visible in one file.
 */
const RATES = (process.env["BENCH_WEBHOOKS_PER_SECOND"] ?? "100").split(",").map(Number);
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 30_000);
const SETTLE_MS = 10_000;
const TENANT = "bench-hooks";

/** One rate's measurements. */
interface RateResult {
  webhooksPerSecond: number;
  webhooksSent: number;
  achievedPerSecond: number;
  answers: Record<string, number>;
  scoredOnDashboard: number;
  notArrivedWithin10s: number;
  arrivalToScoredMs: { p50: number; p95: number; p99: number; max: number };
  unexpectedEvents: number;
  processRssMiB: number;
}

async function main(): Promise<void> {
  if (RATES.some((rate) => !(rate > 0))) throw new Error(`BENCH_WEBHOOKS_PER_SECOND must be rates above 0, comma-separated; got ${RATES.join(",")}`);
  const database = await startBenchDatabase();
  const { logger, appUrl } = database;
  const platform = await startInProcessPlatform(database);
  const gatewayUrl = platform.gatewayUrl;
  const signing = generateKeyPairSync("ed25519");
  const bridgeToken = await database.clientToken({ sub: "bridge", tenant: "bench-bridge", role: Role.ADMIN, scopes: [SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS] });
  const bridge = await createBridge({
    port: 0,
    databaseUrl: appUrl,
    publicKeys: [signing.publicKey.export({ type: "spki", format: "pem" }).toString()],
    maxAgeMs: 90 * 60_000,
    workflowSecrets: {},
    logger,
    processing: [inboxProcessing({ databaseUrl: appUrl, gatewayUrl, credentials: { bearer: bridgeToken }, logger })],
  });

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let unexpected = 0;
  const dashboardToken = await database.clientToken({ sub: "bench-dashboard", tenant: TENANT, role: Role.ADMIN, scopes: [] });
  const client = createClient({ url: gatewayUrl.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${dashboardToken}` }, lazy: false, retryAttempts: 0 });
  const unsubscribe = client.subscribe<{ leadScored: { lead: { ghlContactId: string | null } } }>(
    { query: "subscription BenchScored { leadScored { lead { ghlContactId } score { value tier } } }" },
    {
      next: (result) => {
        const contact = result.data?.leadScored.lead.ghlContactId;
        const sent = contact ? sentAt.get(contact) : undefined;
        // A contact is measured at its first score only (later rescorings are not arrivals).
        if (contact && sent !== undefined) {
          latencies.push(performance.now() - sent);
          sentAt.delete(contact);
        } else unexpected += 1;
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );

  const statuses = new Map<number, number>();
  async function send(label: string): Promise<void> {
    const contactId = `benchC${label}x${randomUUID().slice(0, 8)}`;
    const body = Buffer.from(
      JSON.stringify({ type: "ContactCreate", locationId: TENANT, webhookId: randomUUID(), timestamp: new Date().toISOString(), id: contactId, firstName: "Hook", lastName: `Lead ${label}`, tags: ["bench"] }),
    );
    sentAt.set(contactId, performance.now());
    const response = await fetch(`${bridge.url}${GHL_WEBHOOK_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-ghl-signature": sign(null, body, signing.privateKey).toString("base64") },
      body,
    });
    await response.arrayBuffer();
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  }

  async function measure(rate: number): Promise<RateResult> {
    // Warm-up: the subscription live and every path compiled (and the last rate's backlog gone) before measuring.
    for (let i = 0; i < 5; i++) await send(`w${rate}-${i}`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    latencies.length = 0;
    statuses.clear();
    sentAt.clear();
    unexpected = 0;

    const intervalMs = 1000 / rate;
    const runStarted = performance.now();
    const sends: Promise<void>[] = [];
    let n = 0;
    for (; performance.now() - runStarted < DURATION_MS; n++) {
      sends.push(send(`${rate}-${n}`));
      const next = runStarted + (n + 1) * intervalMs;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
    await Promise.all(sends);
    const sendSeconds = (performance.now() - runStarted) / 1000;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      webhooksPerSecond: rate,
      webhooksSent: n,
      achievedPerSecond: +(n / sendSeconds).toFixed(1),
      answers: Object.fromEntries(statuses),
      scoredOnDashboard: sorted.length,
      notArrivedWithin10s: sentAt.size,
      arrivalToScoredMs: {
        p50: +percentile(sorted, 50).toFixed(1),
        p95: +percentile(sorted, 95).toFixed(1),
        p99: +percentile(sorted, 99).toFixed(1),
        max: +(sorted[sorted.length - 1] ?? Number.NaN).toFixed(1),
      },
      unexpectedEvents: unexpected,
      processRssMiB: Math.round(memoryUsage().rss / 2 ** 20),
    };
  }

  const runs: RateResult[] = [];
  for (const rate of RATES) runs.push(await measure(rate));

  unsubscribe();
  await client.dispose();
  await bridge.stop();
  await platform.stop();
  await database.stop();

  writeResult(
    "webhook-latency",
    {
      benchmark: "webhook-latency",
      date: new Date().toISOString(),
      machine: machineInfo(),
      settings: { durationMs: DURATION_MS, topology: "bridge, gateway and the four subgraphs in this process; one dashboard subscription" },
      budget: "p95 under 100 ms at 100 webhooks/s",
      runs,
    },
    { echo: true },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
