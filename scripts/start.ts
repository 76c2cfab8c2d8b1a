import "reflect-metadata";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { signUserToken } from "../gateway/src/auth/jwt";
import { createGateway } from "../gateway/src/index";
import { Role } from "../lib/auth/roles";
import { ConfigError, required } from "../lib/config";
import { startEmbeddedPostgres } from "../lib/db/embedded-postgres";
import { devSecretsPath, loadOrCreateDevSecrets } from "../lib/dev-secrets";
import { createLogger, type Logger } from "../lib/logger";

import { createAnalyticsSubgraph } from "../subgraphs/analytics/src/index";
import { createBillingSubgraph } from "../subgraphs/billing/src/index";
import { createBridge } from "../bridge/src/index";
import type { GatewayCredentials } from "../bridge/src/processing/gateway-client";
import { SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS } from "../lib/auth/roles";
import { createIntelligenceSubgraph } from "../subgraphs/intelligence/src/index";
import { createLeadsSubgraph } from "../subgraphs/leads/src/index";
import {
  analyticsSubgraphConfig,
  billingSubgraphConfig,
  bridgeConfig,
  assertProductionSecrets,
  gatewayConfig,
  intelligenceSubgraphConfig,
  leadsSubgraphConfig,
  needsDevSecrets,
  readPlatformConfig,
  withDevSecrets,
  type PlatformConfig,
} from "./platform-config";
import { preparePlatformDatabase } from "./platform-database";
import { readSupergraphSdl } from "./schema-files";
import { reloadSupergraphOnHangup } from "./supergraph-reload";
import { seedDatabase } from "./seed/seed";

/**
 * `npm start`: the whole platform in one process for development. Postgres (embedded
 * unless DATABASE_URL is set), migrations, demo seed, the four subgraphs and the gateway,
 * started in that order and stopped in reverse on SIGINT/SIGTERM.
 */

const DEMO_TOKEN_TTL_SECONDS = 12 * 3600;
/** The dev bridge's own service token outlives any dev session. */
const DEV_BRIDGE_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
const SAMPLE_QUERY =
  "{ leads(first: 5) { totalCount nodes { fullName status score { value tier } propertyMatches(first: 2) { nodes { score property { address price } } } } pageInfo { hasNextPage endCursor } } }";

interface Piece {
  name: string;
  stop(): Promise<void>;
}

/** Thrown between start steps once a signal asked to stop. */
class StartAborted extends Error {}

function describeDatabase(url: string): string {
  const { hostname, port, pathname } = new URL(url);
  // Never print the credentials.
  return `${hostname}:${port || "5432"}${pathname}`;
}

/**
 * The bridge's gateway credential: `BRIDGE_API_KEY`, or in development a service token signed
 * with the dev JWT secret (`tenants:any accounts:manage`), so `npm start` needs no key made by hand.
 */
async function bridgeCredentials(config: PlatformConfig): Promise<GatewayCredentials> {
  if (config.bridgeApiKey !== undefined) return { apiKey: config.bridgeApiKey };
  if (config.production || config.jwtSecret === undefined) {
    throw new ConfigError("BRIDGE_API_KEY is required: the bridge calls the gateway with it (npm run apikey -- create --scope \"tenants:any accounts:manage\" ...)");
  }
  const token = await signUserToken(
    config.jwtSecret,
    { sub: "bridge", tenant: "bridge", role: Role.ADMIN, scopes: [SCOPE_ANY_TENANT, SCOPE_MANAGE_ACCOUNTS] },
    { issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: DEV_BRIDGE_TOKEN_TTL_SECONDS },
  );
  return { bearer: token };
}

async function banner(config: PlatformConfig, gatewayUrl: string, subgraphUrls: Record<string, string>, bridgeUrl: string, database: string): Promise<string> {
  const base = new URL(gatewayUrl).origin;
  const lines = [
    "",
    "EnterpriseHub Graph is running",
    `  gateway       ${gatewayUrl}   (${base}/health  ${base}/ready  ${base}/metrics)`,
    ...Object.entries(subgraphUrls).map(([name, url]) => `  ${name.padEnd(13)} ${url}   (accepts only gateway-signed identity tokens)`),
    `  bridge        ${bridgeUrl}/webhooks/ghl   (signed GHL webhooks)`,
    `  postgres      ${database}`,
    `  analyzer      ${config.anthropic ? `Anthropic (${config.anthropic.model}), local rules as fallback` : "local rules (set ANTHROPIC_API_KEY for Anthropic)"}`,
    "",
  ];
  if (config.jwtSecret !== undefined && config.jwksUrl === undefined) {
    const token = await signUserToken(
      config.jwtSecret,
      { sub: "dev-admin", tenant: "demo", role: Role.ADMIN, scopes: [] },
      { issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: DEMO_TOKEN_TTL_SECONDS },
    );
    const body = JSON.stringify({ query: SAMPLE_QUERY });
    lines.push(
      'ADMIN token for tenant "demo" (valid 12h):',
      `  export TOKEN=${token}`,
      "",
      "Try it:",
      `  curl -s ${gatewayUrl} -H "authorization: Bearer $TOKEN" -H "content-type: application/json" \\`,
      `    -d '${body}'`,
      "",
      "Other tokens: npm run token -- --tenant acme --role AGENT",
    );
  } else {
    lines.push("Client tokens are verified against JWKS_URL: get one from your identity provider.");
  }
  lines.push("Stop with Ctrl-C.", "");
  return lines.join("\n");
}

async function main(): Promise<void> {
  let config: PlatformConfig;
  try {
    config = readPlatformConfig();
  } catch (error) {
    createLogger("start").fatal(error instanceof ConfigError ? { reason: error.message } : { err: error }, "invalid configuration");
    process.exit(1);
  }
  const logger = createLogger("start", config.logLevel);
  const serviceLogger = (name: string): Logger => createLogger(name, config.logLevel);

  const started: Piece[] = [];
  let stopping = false;

  async function stopAll(): Promise<boolean> {
    let clean = true;
    for (let piece = started.pop(); piece; piece = started.pop()) {
      try {
        await piece.stop();
        logger.info(`${piece.name} stopped`);
      } catch (error) {
        clean = false;
        logger.error({ err: error }, `${piece.name} failed to stop`);
      }
    }
    return clean;
  }

  /** Called between start steps: once a signal asked to stop, nothing more is started. */
  function checkpoint(): void {
    if (stopping) throw new StartAborted();
  }

  async function startAll(): Promise<void> {
    if (config.production) {
      assertProductionSecrets(config);
    } else if (needsDevSecrets(config)) {
      const { secrets, created } = loadOrCreateDevSecrets(config.dataDir);
      const path = devSecretsPath(config.dataDir);
      logger.info({ path }, created ? "generated dev secrets (kept for later runs; never used with NODE_ENV=production)" : "using dev secrets");
      config = withDevSecrets(config, secrets);
    }
    // Read before anything starts, so a missing schema fails fast.
    const supergraphSdl = readSupergraphSdl();
    const appPassword = required(config.appDbPassword, "APP_DB_PASSWORD", "the app role's password");

    let ownerUrl: string;
    let database: string;
    if (config.databaseUrl !== undefined) {
      ownerUrl = config.databaseUrl;
      database = describeDatabase(ownerUrl);
      logger.info({ database }, "using DATABASE_URL");
    } else {
      const dataDir = join(config.dataDir, "pg");
      const postgres = await startEmbeddedPostgres({ dataDir, port: config.embeddedPgPort, logger: serviceLogger("postgres") });
      // Lets CLIs such as `npm run apikey` find this run's Postgres (its port changes per run);
      // removed on stop so they never dial a dead port.
      const runtimePath = join(config.dataDir, "runtime.json");
      started.push({
        name: "postgres",
        async stop() {
          await rm(runtimePath, { force: true });
          await postgres.stop();
        },
      });
      await writeFile(runtimePath, `${JSON.stringify({ ownerUrl: postgres.ownerUrl, pid: process.pid }, null, 2)}\n`, { mode: 0o600 });
      ownerUrl = postgres.ownerUrl;
      database = `127.0.0.1:${postgres.port} (embedded, data in ${dataDir})`;
    }

    checkpoint();
    const { appUrl } = await preparePlatformDatabase({
      ownerUrl,
      appRole: config.appDbRole,
      appPassword,
      ...(config.appDatabaseUrl !== undefined ? { appUrl: config.appDatabaseUrl } : {}),
    });
    logger.info({ role: config.appDbRole }, "database migrated");

    if (config.seed) {
      checkpoint();
      for (const result of await seedDatabase(appUrl)) {
        logger.info(result, result.seeded ? `seeded tenant ${result.tenant}` : `tenant ${result.tenant} already has leads; not seeded`);
      }
    }

    checkpoint();
    const leads = await createLeadsSubgraph(leadsSubgraphConfig(config, appUrl, serviceLogger("leads")));
    started.push({ name: "leads subgraph", stop: leads.stop });

    checkpoint();
    const intelligence = await createIntelligenceSubgraph(intelligenceSubgraphConfig(config, appUrl, serviceLogger("intelligence")));
    started.push({ name: "intelligence subgraph", stop: intelligence.stop });

    checkpoint();
    const analytics = await createAnalyticsSubgraph(analyticsSubgraphConfig(config, appUrl, serviceLogger("analytics")));
    started.push({ name: "analytics subgraph", stop: analytics.stop });

    checkpoint();
    const billing = await createBillingSubgraph(billingSubgraphConfig(config, appUrl, serviceLogger("billing")));
    started.push({ name: "billing subgraph", stop: billing.stop });

    checkpoint();
    const subgraphUrls = { leads: leads.url, intelligence: intelligence.url, analytics: analytics.url, billing: billing.url };
    const gateway = await createGateway(gatewayConfig(config, { databaseUrl: appUrl, supergraphSdl, subgraphUrls, logger: serviceLogger("gateway") }));
    const stopReloading = reloadSupergraphOnHangup(gateway, logger);
    started.push({
      name: "gateway",
      async stop() {
        stopReloading();
        await gateway.stop();
      },
    });
    checkpoint();
    const bridge = await createBridge(bridgeConfig(config, appUrl, gateway.url, await bridgeCredentials(config), serviceLogger("bridge")));
    started.push({ name: "bridge", stop: bridge.stop });
    checkpoint();
    process.stdout.write(await banner(config, gateway.url, subgraphUrls, bridge.url, database));
  }

  function shutdown(code: number, startup: Promise<void>): void {
    stopping = true;
    void (async () => {
      // Let an in-flight start step finish, so what it starts is stopped too.
      await startup.catch(() => undefined);
      const clean = await stopAll();
      process.exit(clean ? code : 1);
    })();
  }

  let startup: Promise<void> = Promise.resolve();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without stopping cleanly");
      process.exit(1);
    }
    logger.info({ signal }, "stopping");
    shutdown(0, startup);
  };
  // Servers are built with stopOnTerminationSignals: false, so this is the one listener.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, onSignal);
  process.on("uncaughtException", (error) => {
    logger.fatal({ err: error }, "uncaught exception; stopping");
    if (!stopping) shutdown(1, startup);
  });
  process.on("unhandledRejection", (reason) => {
    logger.fatal({ err: reason }, "unhandled rejection; stopping");
    if (!stopping) shutdown(1, startup);
  });

  startup = startAll();
  try {
    await startup;
  } catch (error) {
    // Once a signal is stopping everything, a failing step is a consequence, not the news.
    if (stopping) return;
    logger.fatal(error instanceof ConfigError ? { reason: error.message } : { err: error }, "start failed");
    shutdown(1, Promise.resolve());
  }
}

void main();
