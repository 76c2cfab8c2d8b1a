import "reflect-metadata";
import { createGateway } from "../gateway/src/index";
import { ConfigError, required } from "../lib/config";
import type { RunningServer } from "../lib/http/graphql-http";
import { createLogger, type Logger } from "../lib/logger";
import { createLeadsSubgraph } from "../subgraphs/leads/src/index";
import { createAnalyticsSubgraph } from "../subgraphs/analytics/src/index";
import { createBillingSubgraph } from "../subgraphs/billing/src/index";
import { createBridge } from "../bridge/src/index";
import { createIntelligenceSubgraph } from "../subgraphs/intelligence/src/index";
import {
  analyticsSubgraphConfig,
  billingSubgraphConfig,
  bridgeConfig,
  appDatabaseUrl,
  configuredSubgraphUrls,
  gatewayConfig,
  intelligenceSubgraphConfig,
  leadsSubgraphConfig,
  readPlatformConfig,
  type PlatformConfig,
} from "./platform-config";
import { readSupergraphSdl } from "./schema-files";
import { reloadSupergraphOnHangup } from "./supergraph-reload";
import { preparePlatformDatabase } from "./platform-database";

/**
 * `node dist/scripts/serve.js <gateway|leads|intelligence|analytics|billing|bridge|migrate>`: one piece of the platform per
 * process, as containers run it. Production rules always: no embedded Postgres and no dev
 * secrets; each piece demands exactly the settings it needs.
 */

const SERVICES = ["gateway", "leads", "intelligence", "analytics", "billing", "bridge", "migrate"] as const;
type Service = (typeof SERVICES)[number];

function isService(value: string | undefined): value is Service {
  return SERVICES.some((service) => service === value);
}

async function migrate(config: PlatformConfig, logger: Logger): Promise<void> {
  const ownerUrl = required(config.databaseUrl, "DATABASE_URL", "migrations run as the database owner");
  const appPassword = required(config.appDbPassword, "APP_DB_PASSWORD", "migrations create the app role with this password");
  await preparePlatformDatabase({ ownerUrl, appRole: config.appDbRole, appPassword });
  logger.info({ role: config.appDbRole }, "database migrated");
}

async function serve(service: Exclude<Service, "migrate">, config: PlatformConfig, logger: Logger): Promise<RunningServer> {
  const databaseUrl = appDatabaseUrl(config);
  if (service === "leads") return createLeadsSubgraph(leadsSubgraphConfig(config, databaseUrl, logger));
  if (service === "intelligence") return createIntelligenceSubgraph(intelligenceSubgraphConfig(config, databaseUrl, logger));
  if (service === "analytics") return createAnalyticsSubgraph(analyticsSubgraphConfig(config, databaseUrl, logger));
  if (service === "billing") return createBillingSubgraph(billingSubgraphConfig(config, databaseUrl, logger));
  if (service === "bridge") {
    const apiKey = required(config.bridgeApiKey, "BRIDGE_API_KEY", "the bridge calls the gateway with it (a tenants:any accounts:manage API key)");
    return createBridge(bridgeConfig(config, databaseUrl, config.gatewayUrl, { apiKey }, logger));
  }
  const gateway = await createGateway(gatewayConfig(config, { databaseUrl, supergraphSdl: readSupergraphSdl(), subgraphUrls: configuredSubgraphUrls(config), logger }));
  // The process ends when the gateway stops, so the handler needs no removal.
  reloadSupergraphOnHangup(gateway, logger);
  return gateway;
}

async function main(): Promise<void> {
  const service = process.argv[2];
  if (!isService(service)) {
    process.stderr.write(`serve: expected one of ${SERVICES.join(", ")} as the first argument\n`);
    process.exit(2);
  }
  let config: PlatformConfig;
  let logger = createLogger(service);
  try {
    config = readPlatformConfig();
    logger = createLogger(service, config.logLevel);
    if (service === "migrate") {
      await migrate(config, logger);
      process.exit(0);
    }
  } catch (error) {
    logger.fatal(error instanceof ConfigError ? { reason: error.message } : { err: error }, `${service} failed`);
    process.exit(1);
  }

  let server: RunningServer;
  try {
    server = await serve(service, config, logger);
  } catch (error) {
    logger.fatal(error instanceof ConfigError ? { reason: error.message } : { err: error }, `${service} failed to start`);
    process.exit(1);
  }
  logger.info({ url: server.url }, `${service} listening`);

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "stopping");
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "failed to stop cleanly");
        process.exit(1);
      },
    );
  };
  // Servers are built with stopOnTerminationSignals: false, so this is the one listener.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, onSignal);
}

void main();
