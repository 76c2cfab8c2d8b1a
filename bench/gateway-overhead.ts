import "reflect-metadata";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createIdentitySigner, generateIdentityKeyPair } from "../lib/auth/identity";
import { Role } from "../lib/auth/roles";
import { startEmbeddedPostgres, type RunningPostgres } from "../lib/db/embedded-postgres";
import { createLogger } from "../lib/logger";
import { createGateway } from "../gateway/src/index";
import { signUserToken } from "../gateway/src/auth/jwt";
import { createLeadsSubgraph } from "../subgraphs/leads/src/index";
import { preparePlatformDatabase } from "../scripts/platform-database";
import { readSupergraphSdl } from "../scripts/schema-files";
import { seedDatabase } from "../scripts/seed/seed";

/**
 * Gateway overhead: the same query sent straight to the leads subgraph (with a valid
 * identity token) and through the gateway (with a client JWT), interleaved request by
 * request so machine noise hits both alike. Reports latency percentiles and the
 * gateway's added p50. Run: `npm run bench` (embedded Postgres unless DATABASE_URL is set).
 */
const REQUESTS = Number(process.env["BENCH_REQUESTS"] ?? 2000);
const WARMUP = 200;
const QUERY = "query Bench { leads(first: 20) { totalCount nodes { id fullName status } } }";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed(url: string, token: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: QUERY }) });
  const body = (await response.json()) as { errors?: unknown };
  if (!response.ok || body.errors) throw new Error(`bench request failed: ${response.status} ${JSON.stringify(body)}`);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const logger = createLogger("bench", "warn");
  let postgres: RunningPostgres | undefined;
  let dataDir: string | undefined;
  let ownerUrl = process.env["DATABASE_URL"];
  if (!ownerUrl) {
    dataDir = mkdtempSync(join(tmpdir(), "hub-bench-"));
    postgres = await startEmbeddedPostgres({ dataDir: join(dataDir, "pg"), port: 0, logger });
    ownerUrl = postgres.ownerUrl;
  }
  const { appUrl } = await preparePlatformDatabase({ ownerUrl, appRole: "hub_app", appPassword: "bench-only-password" });
  await seedDatabase(appUrl, ["bench"], 320);

  const keys = generateIdentityKeyPair();
  const secret = "bench-secret-bench-secret-bench-secret-0123";
  const leads = await createLeadsSubgraph({ port: 0, databaseUrl: appUrl, identityPublicKey: keys.publicKeyPem, logger });
  const gateway = await createGateway({
    port: 0,
    supergraphSdl: readSupergraphSdl(),
    subgraphUrls: { leads: leads.url },
    databaseUrl: appUrl,
    identityPrivateKey: keys.privateKeyPem,
    jwt: { secret, issuer: "bench", audience: "bench" },
    logger,
  });
  const identity = { sub: "bench", tenant: "bench", role: Role.VIEWER, scopes: [] };
  const identityToken = await createIdentitySigner(keys.privateKeyPem).sign(identity, "leads");
  const clientToken = await signUserToken(secret, identity, { issuer: "bench", audience: "bench", ttlSeconds: 3600 });

  const direct: number[] = [];
  const viaGateway: number[] = [];
  for (let i = 0; i < WARMUP; i++) await Promise.all([timed(leads.url, identityToken), timed(gateway.url, clientToken)]);
  for (let i = 0; i < REQUESTS; i++) {
    direct.push(await timed(leads.url, identityToken));
    viaGateway.push(await timed(gateway.url, clientToken));
  }
  await gateway.stop();
  await leads.stop();
  await postgres?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });

  direct.sort((a, b) => a - b);
  viaGateway.sort((a, b) => a - b);
  const summary = (xs: number[]) => ({ p50: +percentile(xs, 50).toFixed(3), p95: +percentile(xs, 95).toFixed(3), p99: +percentile(xs, 99).toFixed(3) });
  const result = {
    benchmark: "gateway-overhead",
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    query: QUERY,
    requests: REQUESTS,
    directMs: summary(direct),
    gatewayMs: summary(viaGateway),
    addedP50Ms: +(percentile(viaGateway, 50) - percentile(direct, 50)).toFixed(3),
    ratioP50: +(percentile(viaGateway, 50) / percentile(direct, 50)).toFixed(2),
    budget: "gateway overhead p50 under 2 ms",
  };
  const dir = join(__dirname, "..", "..", "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "gateway-overhead.json"), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
