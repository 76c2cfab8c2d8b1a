import "reflect-metadata";
import { createIdentityVerifier } from "../../../lib/auth/identity";
import { createDatabase } from "../../../lib/db/database";
import { createProjectionListener } from "../../../lib/events/projection-notify";
import type { RequestStats, RunningServer } from "../../../lib/http/graphql-http";
import { createLogger, type Logger } from "../../../lib/logger";
import { createSnapshotFeed } from "../../../lib/server/snapshot-feed";
import { startSubgraphServer } from "../../../lib/server/subgraph-server";
import { BILLING_CONSUMER, startBillingConsumer } from "./billing.consumer";
import { createBillingLoaders } from "./billing.loader";
import type { BillingContext } from "./context";
import type { BillingDatabase } from "./database";
import { startPeriodCloser, type PeriodCloser } from "./invoice/period-closer";
import { buildBillingSchema } from "./schema";
import { currentTenantUsage } from "./usage/usage.service";

/** The subgraph's name: its identity-token audience and its name in the supergraph. */
export const BILLING_SUBGRAPH = "billing";

/** Default pause between the scheduler's passes over ended periods. */
export const DEFAULT_PERIOD_CLOSE_INTERVAL_MS = 3_600_000;

/** What the billing subgraph needs to run. */
export interface BillingSubgraphConfig {
  port: number;
  host?: string;
  /** Connection string of the application role (subject to row-level security). */
  databaseUrl: string;
  /** The gateway's identity-token public key (PEM). */
  identityPublicKey: string;
  /** Poll interval of the usage consumer, the safety net under notifications. */
  eventPollMs?: number;
  /** How often the scheduler closes ended periods; 0 turns it off (tests close periods themselves). */
  periodCloseIntervalMs?: number;
  logger?: Logger;
  /** Observes each request's cost (tests read SQL statement counts here). */
  onRequest?(stats: RequestStats): void;
}

/** Starts the billing subgraph, its usage meters and its period scheduler; nothing runs until this is called. */
export async function createBillingSubgraph(config: BillingSubgraphConfig): Promise<RunningServer> {
  const logger = config.logger ?? createLogger(BILLING_SUBGRAPH);
  const schema = await buildBillingSchema();
  const db = createDatabase<BillingDatabase>(config.databaseUrl, { name: BILLING_SUBGRAPH });
  const consumer = await startBillingConsumer(db, config.databaseUrl, logger, config.eventPollMs !== undefined ? { pollMs: config.eventPollMs } : {});
  const intervalMs = config.periodCloseIntervalMs ?? DEFAULT_PERIOD_CLOSE_INTERVAL_MS;
  const closer: PeriodCloser | null = intervalMs > 0 ? startPeriodCloser(db, logger, intervalMs) : null;
  const projections = createProjectionListener({ connectionString: config.databaseUrl, name: `${BILLING_SUBGRAPH}-projections`, logger });
  const usage = createSnapshotFeed({ feed: "usageUpdated", consumer: BILLING_CONSUMER, projections, compute: (tenant) => currentTenantUsage(db, tenant), logger });
  const stopBackground = async () => {
    await closer?.stop();
    await consumer.stop();
  };
  try {
    const server = await startSubgraphServer<BillingContext, BillingDatabase>({
      name: BILLING_SUBGRAPH,
      schema,
      port: config.port,
      ...(config.host ? { host: config.host } : {}),
      verifier: createIdentityVerifier(config.identityPublicKey, BILLING_SUBGRAPH),
      db,
      createContext: (identity, requestId) => ({ identity, requestId, db, loaders: createBillingLoaders(db, identity.tenant), usage }),
      logger,
      resources: [usage, projections],
      ...(config.onRequest ? { onRequest: config.onRequest } : {}),
    });
    return {
      ...server,
      async stop() {
        await stopBackground();
        await server.stop();
      },
    };
  } catch (error) {
    // The server closed the database on its way out; the rest is ours to stop.
    await stopBackground();
    throw error;
  }
}
