import "reflect-metadata";
import { generateKeyPairSync } from "node:crypto";
import { memoryUsage } from "node:process";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { Role, SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS } from "../lib/auth/roles";
import { createBridge } from "../bridge/src/index";
import { inboxProcessing } from "../bridge/src/processing/inbox-processing";
import { sql } from "kysely";
import { createDatabase } from "../lib/db/database";
import { createApiKey } from "../gateway/src/auth/api-key.service";
import type { GatewayDatabase } from "../gateway/src/auth/api-key.repository";
import { machineInfo, percentile, readTopology, startBenchDatabase, serviceProcessOptions, startInProcessPlatform, waitForSeedScored, writeResult, type BenchDatabase, type Topology } from "./bench-stack";
import { descendantsCpu, machineBusyMs, machineStealMs, processRssMiB, readProcessTable, sampleProcessCpu } from "./proc-stat";
import { startServiceProcesses, type ServicePiece } from "./service-processes";
import { epochNow, forkWebhookSender } from "./webhook-sender";

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
 *
 * `BENCH_TOPOLOGY` (see `readTopology`): `single` (default) runs the bridge, the gateway and
 * the subgraphs in this process; `processes` (`npm run bench:webhooks:processes`) runs each
 * in its own process as production does, and records each one's CPU. Results go to
 * `bench/results/webhook-latency.json` and `webhook-latency-processes.json`.
 */
const TOPOLOGY: Topology = readTopology();
const RATES = (process.env["BENCH_WEBHOOKS_PER_SECOND"] ?? "100").split(",").map(Number);
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 30_000);
const SETTLE_MS = 10_000;
const WARM_UP_MS = 5_000;
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
  /** The bridge's resident set after the rate (in `single`, the whole process'). */
  bridgeRssMiB: number | null;
  /**
   * CPU over the measured sending, in cores: the whole machine's, the embedded Postgres'
   * (null with DATABASE_URL), this process' (in `single`, the platform's too), the webhook
   * sender's and, in `processes`, each piece's; and what the hypervisor took (`steal`).
   */
  cores: { machine: number; steal: number; postgres: number | null; benchProcess: number; webhookSender: number; pieces?: Partial<Record<ServicePiece, number>> };
  /**
   * Where the time went, from database timestamps (transaction starts, so each stage
   * includes the waits before it): receipt to the leads mutation, that to the scoring
   * batch, and the scoring batch to the subscriber (commit, tail, gateway, socket).
   */
  stagesMs: Record<"receivedToLeadWrite" | "leadWriteToScoring" | "scoringToDashboard", { p50: number; p95: number }>;
}

/** Per contact of one rate: when the inbox received it and when its lead was written and scored. */
interface StageRow {
  contact: string;
  received_at: Date;
  lead_written_at: Date | null;
  scored_at: Date | null;
}

async function main(): Promise<void> {
  if (RATES.some((rate) => !(rate > 0))) throw new Error(`BENCH_WEBHOOKS_PER_SECOND must be rates above 0, comma-separated; got ${RATES.join(",")}`);
  const database = await startBenchDatabase();
  const signing = generateKeyPairSync("ed25519");
  const webhookPublicKeyPem = signing.publicKey.export({ type: "spki", format: "pem" }).toString();
  const platform = TOPOLOGY === "single" ? await startSingle(database, webhookPublicKeyPem) : await startProcesses(database, webhookPublicKeyPem);
  const gatewayUrl = platform.gatewayUrl;
  // The seed's own events first: the first rate would otherwise queue behind them.
  await waitForSeedScored(database, { minLeads: 1, timeoutMs: 180_000 });

  /** First arrival on the dashboard per contact, as {@link epochNow} readings. */
  const arrivals = new Map<string, number>();
  let repeated = 0;
  const dashboardToken = await database.clientToken({ sub: "bench-dashboard", tenant: TENANT, role: Role.ADMIN, scopes: [] });
  const client = createClient({ url: gatewayUrl.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${dashboardToken}` }, lazy: false, retryAttempts: 0 });
  const unsubscribe = client.subscribe<{ leadScored: { lead: { ghlContactId: string | null } } }>(
    { query: "subscription BenchScored { leadScored { lead { ghlContactId } score { value tier } } }" },
    {
      next: (result) => {
        const contact = result.data?.leadScored.lead.ghlContactId;
        // A contact is measured at its first score only (later rescorings are not arrivals).
        if (contact && !arrivals.has(contact)) arrivals.set(contact, epochNow());
        else repeated += 1;
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );

  const sender = forkWebhookSender();
  const privateKeyPem = signing.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const sendAt = (rate: number, durationMs: number, label: string) =>
    sender.send({ bridgeOrigin: platform.bridgeOrigin, tenant: TENANT, privateKeyPem, rate, durationMs, label });

  const owner = createDatabase<unknown>(database.ownerUrl, { name: "bench-stages", poolSize: 1 });
  async function stagesOf(rate: number): Promise<Map<string, StageRow>> {
    const { rows } = await sql<StageRow>`
      select i.payload->>'id' as contact, i.received_at,
        (select e.occurred_at from events.log e where e.tenant_id = l.tenant_id and e.aggregate_id = l.id::text and e.type = 'LeadCreated' order by e.id limit 1) as lead_written_at,
        (select e.occurred_at from events.log e where e.tenant_id = l.tenant_id and e.aggregate_id = l.id::text and e.type = 'LeadScored' order by e.id limit 1) as scored_at
      from bridge.inbox i
      left join leads.leads l on l.tenant_id = i.tenant_id and l.ghl_contact_id = i.payload->>'id'
      where i.tenant_id = ${TENANT} and i.payload->>'id' like ${`benchC${rate}-%`}`.execute(owner);
    return new Map(rows.map((row) => [row.contact, row]));
  }

  async function measure(rate: number): Promise<RateResult> {
    // Warm-up at the rate itself (JIT, pools, batch sizes settle), then a pause so its
    // backlog is gone before measuring.
    await sendAt(rate, WARM_UP_MS, `w${rate}`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    arrivals.clear();
    repeated = 0;

    const cpuBefore = cpuSample(platform, sender.pid);
    const report = await sendAt(rate, DURATION_MS, String(rate));
    const cpuAfter = cpuSample(platform, sender.pid);
    const cores = (ms: number) => +(ms / (report.seconds * 1000)).toFixed(2);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const sentAt = new Map(report.sentAt);
    const latencies: number[] = [];
    let unexpected = repeated;
    for (const [contact, arrived] of arrivals) {
      const sent = sentAt.get(contact);
      if (sent === undefined) unexpected += 1;
      else latencies.push(arrived - sent);
    }
    const sorted = latencies.sort((a, b) => a - b);
    const stages = await stagesOf(rate);
    const spans = { receivedToLeadWrite: [] as number[], leadWriteToScoring: [] as number[], scoringToDashboard: [] as number[] };
    for (const [contact, arrivedMs] of arrivals) {
      const row = stages.get(contact);
      if (!row?.lead_written_at || !row.scored_at) continue;
      spans.receivedToLeadWrite.push(row.lead_written_at.getTime() - row.received_at.getTime());
      spans.leadWriteToScoring.push(row.scored_at.getTime() - row.lead_written_at.getTime());
      spans.scoringToDashboard.push(arrivedMs - row.scored_at.getTime());
    }
    const summary = (values: number[]) => {
      const ordered = values.sort((a, b) => a - b);
      return { p50: +percentile(ordered, 50).toFixed(1), p95: +percentile(ordered, 95).toFixed(1) };
    };
    return {
      webhooksPerSecond: rate,
      webhooksSent: report.sent,
      achievedPerSecond: +(report.sent / report.seconds).toFixed(1),
      answers: Object.fromEntries(report.answers),
      scoredOnDashboard: sorted.length,
      notArrivedWithin10s: report.sent - sorted.length,
      arrivalToScoredMs: {
        p50: +percentile(sorted, 50).toFixed(1),
        p95: +percentile(sorted, 95).toFixed(1),
        p99: +percentile(sorted, 99).toFixed(1),
        max: +(sorted[sorted.length - 1] ?? Number.NaN).toFixed(1),
      },
      unexpectedEvents: unexpected,
      bridgeRssMiB: platform.bridgeRssMiB(),
      cores: {
        machine: cores(cpuAfter.machineMs - cpuBefore.machineMs),
        steal: cores(cpuAfter.stealMs - cpuBefore.stealMs),
        postgres: cpuAfter.postgresMs === null || cpuBefore.postgresMs === null ? null : cores(cpuAfter.postgresMs - cpuBefore.postgresMs),
        benchProcess: cores(cpuAfter.benchMs - cpuBefore.benchMs),
        webhookSender: cores(cpuAfter.senderMs - cpuBefore.senderMs),
        ...(cpuAfter.pieces.size > 0 ? { pieces: Object.fromEntries([...cpuAfter.pieces].map(([piece, ms]) => [piece, cores(ms - (cpuBefore.pieces.get(piece) ?? 0))])) } : {}),
      },
      stagesMs: { receivedToLeadWrite: summary(spans.receivedToLeadWrite), leadWriteToScoring: summary(spans.leadWriteToScoring), scoringToDashboard: summary(spans.scoringToDashboard) },
    };
  }

  const runs: RateResult[] = [];
  for (const rate of RATES) runs.push(await measure(rate));

  unsubscribe();
  await sender.stop();
  await owner.destroy();
  await client.dispose();
  await platform.stop();
  await database.stop();

  writeResult(
    TOPOLOGY === "single" ? "webhook-latency" : "webhook-latency-processes",
    {
      benchmark: "webhook-latency",
      date: new Date().toISOString(),
      machine: machineInfo(),
      settings: {
        durationMs: DURATION_MS,
        topology:
          TOPOLOGY === "single"
            ? "bridge, gateway and the four subgraphs in the benchmark's process, with one dashboard subscription; webhooks from a process of their own"
            : "bridge, gateway and the four subgraphs each in its own process (node dist/scripts/serve.js <piece>); one dashboard subscription from the benchmark's process; webhooks from a process of their own",
      },
      budget: "p95 under 100 ms at 100 webhooks/s",
      runs,
    },
    { echo: true },
  );
}

/** CPU used so far, in ms: see {@link RateResult.cores}. */
interface CpuSample {
  machineMs: number;
  stealMs: number;
  postgresMs: number | null;
  benchMs: number;
  senderMs: number;
  pieces: Map<ServicePiece, number>;
}

function cpuSample(platform: PlatformUnderTest, senderPid: number): CpuSample {
  const pieces = platform.cpuMs();
  const table = readProcessTable();
  // This process' descendants, the pieces' and the sender's subtrees left out, are the embedded cluster.
  const notPostgres = new Set([...platform.piecePids(), senderPid]);
  const usage = process.cpuUsage();
  return {
    machineMs: machineBusyMs(),
    stealMs: machineStealMs(),
    postgresMs: table === null ? null : descendantsCpu(table, process.pid, notPostgres).cpuMs,
    benchMs: (usage.user + usage.system) / 1000,
    senderMs: sampleProcessCpu(senderPid)?.cpuMs ?? 0,
    pieces,
  };
}

/** The platform under test, however it runs. */
interface PlatformUnderTest {
  gatewayUrl: string;
  bridgeOrigin: string;
  bridgeRssMiB(): number | null;
  /** CPU used so far per piece, in ms (empty in `single`, where the pieces share this process). */
  cpuMs(): Map<ServicePiece, number>;
  /** The pieces' processes (none in `single`). */
  piecePids(): number[];
  stop(): Promise<void>;
}

/** Everything in this process, the bridge with only its inbox workers (no write-back). */
async function startSingle(database: BenchDatabase, webhookPublicKeyPem: string): Promise<PlatformUnderTest> {
  const { logger, appUrl } = database;
  const platform = await startInProcessPlatform(database);
  const bridgeToken = await database.clientToken({ sub: "bridge", tenant: "bench-bridge", role: Role.ADMIN, scopes: [SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS] });
  const bridge = await createBridge({
    port: 0,
    databaseUrl: appUrl,
    publicKeys: [webhookPublicKeyPem],
    maxAgeMs: 90 * 60_000,
    workflowSecrets: {},
    logger,
    processing: [inboxProcessing({ databaseUrl: appUrl, gatewayUrl: platform.gatewayUrl, credentials: { bearer: bridgeToken }, logger })],
  });
  return {
    gatewayUrl: platform.gatewayUrl,
    bridgeOrigin: bridge.url,
    bridgeRssMiB: () => Math.round(memoryUsage().rss / 2 ** 20),
    cpuMs: () => new Map(),
    piecePids: () => [],
    async stop() {
      await bridge.stop();
      await platform.stop();
    },
  };
}

/** Each piece in its own process; the bridge calls the gateway with an API key, as `serve.js bridge` requires. */
async function startProcesses(database: BenchDatabase, webhookPublicKeyPem: string): Promise<PlatformUnderTest> {
  const owner = createDatabase<GatewayDatabase>(database.ownerUrl, { name: "bench-apikey", poolSize: 1 });
  let apiKey: string;
  try {
    ({ key: apiKey } = await createApiKey(owner, { tenantId: "bench-bridge", name: "bench bridge", role: Role.ADMIN, scopes: [SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS], expiresAt: null }));
  } finally {
    await owner.destroy();
  }
  process.stderr.write("starting the subgraphs, the gateway and the bridge as processes...\n");
  const running = await startServiceProcesses({ ...serviceProcessOptions(database), bridge: { apiKey, webhookPublicKeyPem } });
  const bridgePid = running.processes.find((entry) => entry.piece === "bridge")?.pid;
  if (running.bridgeOrigin === undefined || bridgePid === undefined) throw new Error("the bridge process did not start");
  return {
    gatewayUrl: running.gatewayUrl,
    bridgeOrigin: running.bridgeOrigin,
    bridgeRssMiB: () => processRssMiB(bridgePid),
    cpuMs: () => new Map(running.processes.map(({ piece, pid }) => [piece, sampleProcessCpu(pid)?.cpuMs ?? 0])),
    piecePids: () => running.processes.map(({ pid }) => pid),
    stop: () => running.stop(),
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
