import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { createDatabase } from "../lib/db/database";
import { generateIdentityKeyPair, type IdentityKeyPair } from "../lib/auth/identity";
import { startEmbeddedPostgres, type RunningPostgres } from "../lib/db/embedded-postgres";
import { createLogger, type Logger } from "../lib/logger";
import type { GatewayConfig, JwtConfig } from "../gateway/src/config";
import { createGateway } from "../gateway/src/index";
import type { RunningServer } from "../lib/http/http-server";
import { readSupergraphSdl } from "../scripts/schema-files";
import { createAnalyticsSubgraph } from "../subgraphs/analytics/src/index";
import { createBillingSubgraph } from "../subgraphs/billing/src/index";
import { createIntelligenceSubgraph } from "../subgraphs/intelligence/src/index";
import { createLeadsSubgraph } from "../subgraphs/leads/src/index";
import { signUserToken, type UserClaims } from "../gateway/src/auth/jwt";
import { preparePlatformDatabase } from "../scripts/platform-database";
import { seedDatabase } from "../scripts/seed/seed";
import type { ServiceProcessesOptions } from "./service-processes";

/** The tenant every benchmark seeds and queries. */
export const BENCH_TENANT = "bench";

/** Leads seeded for {@link BENCH_TENANT}: the demo tenants' size, so pages look like production's. */
export const BENCH_LEADS = 320;

/** The role the services connect as; {@link startBenchDatabase} creates it. */
export const BENCH_APP_ROLE = "hub_app";

/**
 * The app role's password, set by {@link startBenchDatabase}. Services started as their own
 * processes are told it (APP_DB_PASSWORD), so it must be this one value.
 */
export const BENCH_APP_PASSWORD = "bench-only-password";

/** A prepared, seeded database plus the secrets the services and clients share. */
export interface BenchDatabase {
  logger: Logger;
  /** The schema owner's connection string (migrations, and reads past row-level security). */
  ownerUrl: string;
  /** The application role's connection string, which every service uses. */
  appUrl: string;
  /** The application role and its password, as in {@link appUrl}. */
  appRole: string;
  appPassword: string;
  /** Identity-token keys: the gateway signs with the private key, subgraphs verify with the public. */
  keys: IdentityKeyPair;
  /** Client-JWT settings for the gateway (HS256, so clients can be signed for locally). */
  jwt: JwtConfig & { secret: string };
  /** Signs a client JWT the gateway accepts, valid for an hour (longer than any run). */
  clientToken(claims: UserClaims): Promise<string>;
  /** Stops the embedded cluster, if one was started (once the services' connections closed, at most 5 s), and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * The bootstrap every benchmark shares: an embedded Postgres in a temporary directory
 * (unless DATABASE_URL names one), the platform's migrations, {@link BENCH_LEADS} seeded
 * leads of {@link BENCH_TENANT}, fresh identity keys and a client-JWT secret. Starting the
 * services is left to each benchmark, since each needs a different set.
 */
export async function startBenchDatabase(): Promise<BenchDatabase> {
  const logger = createLogger("bench", "warn");
  let postgres: RunningPostgres | undefined;
  let dataDir: string | undefined;
  let ownerUrl = process.env["DATABASE_URL"];
  const stop = async () => {
    await postgres?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (!ownerUrl) {
      dataDir = mkdtempSync(join(tmpdir(), "hub-bench-"));
      postgres = await startEmbeddedPostgres({ dataDir: join(dataDir, "pg"), port: 0, logger });
      ownerUrl = postgres.ownerUrl;
    }
    const { appUrl } = await preparePlatformDatabase({ ownerUrl, appRole: BENCH_APP_ROLE, appPassword: BENCH_APP_PASSWORD });
    await seedDatabase(appUrl, [BENCH_TENANT], BENCH_LEADS);
    const jwt = { secret: "bench-secret-bench-secret-bench-secret-0123", issuer: "bench", audience: "bench" };
    return {
      logger,
      ownerUrl,
      appUrl,
      appRole: BENCH_APP_ROLE,
      appPassword: BENCH_APP_PASSWORD,
      keys: generateIdentityKeyPair(),
      jwt,
      clientToken: (claims) => signUserToken(jwt.secret, claims, { issuer: jwt.issuer, audience: jwt.audience, ttlSeconds: 3600 }),
      stop,
    };
  } catch (error) {
    // A half-started cluster would otherwise outlive the failed run.
    await stop();
    throw error;
  }
}

/** What every service process needs from the bench database, at `LOG_LEVEL` (default `warn`). */
export function serviceProcessOptions(database: BenchDatabase): ServiceProcessesOptions {
  return {
    appUrl: database.appUrl,
    appRole: database.appRole,
    appPassword: database.appPassword,
    keys: database.keys,
    jwt: database.jwt,
    logLevel: process.env["LOG_LEVEL"] || "warn",
  };
}

/**
 * Waits until intelligence has scored every seeded lead of the bench tenant: a measurement
 * started earlier would time the platform catching up with the seed (or read nulls) rather
 * than the steady state. Throws when the tenant has fewer than `minLeads` or scoring takes
 * longer than `timeoutMs`.
 */
export async function waitForSeedScored(database: BenchDatabase, options: { minLeads: number; timeoutMs: number }): Promise<{ leads: number; waitedMs: number }> {
  const owner = createDatabase<unknown>(database.ownerUrl, { name: "bench-owner", poolSize: 1 });
  const started = performance.now();
  try {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from leads.leads where tenant_id = ${BENCH_TENANT}`.execute(owner);
    const leads = rows[0]?.n ?? 0;
    if (leads < options.minLeads) throw new Error(`tenant ${BENCH_TENANT} has ${leads} leads, fewer than ${options.minLeads}`);
    let scored = 0;
    for (;;) {
      const result = await sql<{ n: number }>`select count(distinct lead_id)::int as n from intelligence.scores where tenant_id = ${BENCH_TENANT}`.execute(owner);
      scored = result.rows[0]?.n ?? 0;
      if (scored >= leads) return { leads, waitedMs: Math.round(performance.now() - started) };
      if (performance.now() - started > options.timeoutMs) {
        throw new Error(
          `intelligence scored ${scored} of ${leads} leads of tenant ${BENCH_TENANT} within ${options.timeoutMs} ms; ` +
            "its events consumer is stuck or too slow (raise BENCH_SCORING_TIMEOUT_MS, or run with LOG_LEVEL=debug)",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await owner.destroy();
  }
}

/** The machine a result was measured on: results from different hosts are not comparable. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
}

/** Describes this machine for a result file. */
export function machineInfo(): MachineInfo {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

/** The value at percentile `p` (0-100) of ascending `sorted` (nearest rank, rounded down); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Writes `result` as `bench/results/<name>.json` in the source tree (this file runs from
 * `dist/bench`, so results land where they are checked in) and echoes it to stdout when asked.
 */
export function writeResult(name: string, result: unknown, options: { echo: boolean }): string {
  const dir = join(__dirname, "..", "..", "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(file, text);
  if (options.echo) process.stdout.write(text);
  return file;
}

/**
 * How a benchmark runs the platform (`BENCH_TOPOLOGY`): `single` (default) starts every
 * piece in the benchmark's own process, sharing one event loop; `processes` runs each as
 * production does (`node dist/scripts/serve.js <piece>`), so the pieces spread over the
 * machine's cores and each one's CPU can be read.
 */
export type Topology = "single" | "processes";

/** Reads `BENCH_TOPOLOGY`; throws on anything but the two topologies. */
export function readTopology(): Topology {
  const raw = process.env["BENCH_TOPOLOGY"];
  if (raw === undefined || raw === "" || raw === "single") return "single";
  if (raw === "processes") return "processes";
  throw new Error(`BENCH_TOPOLOGY must be "single" or "processes", got ${JSON.stringify(raw)}`);
}

/** The four subgraphs and the gateway, started in this process against a bench database. */
export interface InProcessPlatform {
  gatewayUrl: string;
  /** Stops the gateway, then the subgraphs. */
  stop(): Promise<void>;
}

/**
 * Starts leads, intelligence, analytics, billing (no period scheduler) and the gateway in
 * this process, the way the live benchmarks measure them; `gateway` overrides the gateway's
 * settings (subscription limits, say).
 */
export async function startInProcessPlatform(database: BenchDatabase, gateway: Partial<GatewayConfig> = {}): Promise<InProcessPlatform> {
  const { logger, appUrl, keys, jwt } = database;
  const servers: RunningServer[] = [];
  const started = <T extends RunningServer>(server: T): T => {
    servers.unshift(server);
    return server;
  };
  try {
    const subgraph = { port: 0, databaseUrl: appUrl, identityPublicKey: keys.publicKeyPem, logger };
    const leads = started(await createLeadsSubgraph(subgraph));
    const intelligence = started(await createIntelligenceSubgraph(subgraph));
    const analytics = started(await createAnalyticsSubgraph(subgraph));
    const billing = started(await createBillingSubgraph({ ...subgraph, periodCloseIntervalMs: 0 }));
    const running = started(
      await createGateway({
        port: 0,
        supergraphSdl: readSupergraphSdl(),
        subgraphUrls: { leads: leads.url, intelligence: intelligence.url, analytics: analytics.url, billing: billing.url },
        databaseUrl: appUrl,
        identityPrivateKey: keys.privateKeyPem,
        jwt,
        logger,
        ...gateway,
      }),
    );
    return {
      gatewayUrl: running.url,
      async stop() {
        for (const server of servers) await server.stop();
      },
    };
  } catch (error) {
    for (const server of servers) await server.stop().catch(() => undefined);
    throw error;
  }
}
