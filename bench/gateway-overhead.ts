import "reflect-metadata";
import { createIdentitySigner } from "../lib/auth/identity";
import { Role } from "../lib/auth/roles";
import { createGateway } from "../gateway/src/index";
import { createBillingSubgraph } from "../subgraphs/billing/src/index";
import { createLeadsSubgraph } from "../subgraphs/leads/src/index";
import { readSupergraphSdl } from "../scripts/schema-files";
import { BENCH_TENANT, machineInfo, percentile, startBenchDatabase, writeResult } from "./bench-stack";

/**
 * Gateway overhead: the same query sent straight to the leads subgraph (with a valid
 * identity token) and through the gateway (with a client JWT), interleaved request by
 * request so machine noise hits both alike. Reports latency percentiles and the
 * gateway's added p50. A third arm, interleaved too, is the gateway with per-tenant rate
 * limiting on (as production runs it: entitlements from billing, cached), so the
 * limiter's own cost on the hot path shows as a ratio. Run: `npm run bench` (embedded Postgres unless DATABASE_URL is set).
 */
const REQUESTS = Number(process.env["BENCH_REQUESTS"] ?? 2000);
const WARMUP = 200;
const QUERY = "query Bench { leads(first: 20) { totalCount nodes { id fullName status } } }";

async function timed(url: string, token: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: QUERY }) });
  const body = (await response.json()) as { errors?: unknown };
  if (!response.ok || body.errors) throw new Error(`bench request failed: ${response.status} ${JSON.stringify(body)}`);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const database = await startBenchDatabase();
  const { logger, appUrl, keys, jwt } = database;
  const leads = await createLeadsSubgraph({ port: 0, databaseUrl: appUrl, identityPublicKey: keys.publicKeyPem, logger });
  const billing = await createBillingSubgraph({ port: 0, databaseUrl: appUrl, identityPublicKey: keys.publicKeyPem, periodCloseIntervalMs: 0, logger });
  const gatewayConfig = { port: 0, supergraphSdl: readSupergraphSdl(), databaseUrl: appUrl, identityPrivateKey: keys.privateKeyPem, jwt, logger };
  const gateway = await createGateway({ ...gatewayConfig, subgraphUrls: { leads: leads.url } });
  // The bench tenant has no account; its limit is one no benchmark reaches, so only the lookup and the bucket cost time.
  const limited = await createGateway({
    ...gatewayConfig,
    subgraphUrls: { leads: leads.url, billing: billing.url },
    rateLimit: { unprovisionedRequestsPerMinute: 100_000_000, entitlementsTtlMs: 30_000 },
  });
  const identity = { sub: "bench", tenant: BENCH_TENANT, role: Role.VIEWER, scopes: [] };
  const identityToken = await createIdentitySigner(keys.privateKeyPem).sign(identity, "leads");
  const clientToken = await database.clientToken(identity);

  const direct: number[] = [];
  const viaGateway: number[] = [];
  const viaLimitedGateway: number[] = [];
  for (let i = 0; i < WARMUP; i++) await Promise.all([timed(leads.url, identityToken), timed(gateway.url, clientToken), timed(limited.url, clientToken)]);
  for (let i = 0; i < REQUESTS; i++) {
    direct.push(await timed(leads.url, identityToken));
    viaGateway.push(await timed(gateway.url, clientToken));
    viaLimitedGateway.push(await timed(limited.url, clientToken));
  }
  await limited.stop();
  await gateway.stop();
  await billing.stop();
  await leads.stop();
  await database.stop();

  direct.sort((a, b) => a - b);
  viaGateway.sort((a, b) => a - b);
  viaLimitedGateway.sort((a, b) => a - b);
  const summary = (xs: number[]) => ({ p50: +percentile(xs, 50).toFixed(3), p95: +percentile(xs, 95).toFixed(3), p99: +percentile(xs, 99).toFixed(3) });
  const result = {
    benchmark: "gateway-overhead",
    date: new Date().toISOString(),
    machine: machineInfo(),
    query: QUERY,
    requests: REQUESTS,
    directMs: summary(direct),
    gatewayMs: summary(viaGateway),
    addedP50Ms: +(percentile(viaGateway, 50) - percentile(direct, 50)).toFixed(3),
    ratioP50: +(percentile(viaGateway, 50) / percentile(direct, 50)).toFixed(2),
    rateLimitedGatewayMs: summary(viaLimitedGateway),
    rateLimitAddedP50Ms: +(percentile(viaLimitedGateway, 50) - percentile(viaGateway, 50)).toFixed(3),
    rateLimitRatioP50: +(percentile(viaLimitedGateway, 50) / percentile(viaGateway, 50)).toFixed(3),
    budget: "gateway overhead p50 under 2 ms",
  };
  writeResult("gateway-overhead", result, { echo: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
