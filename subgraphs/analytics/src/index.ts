import "reflect-metadata";
import { createIdentityVerifier } from "../../../lib/auth/identity";
import { createDatabase } from "../../../lib/db/database";
import { createProjectionListener } from "../../../lib/events/projection-notify";
import type { RequestStats, RunningServer } from "../../../lib/http/graphql-http";
import { createLogger, type Logger } from "../../../lib/logger";
import { createSnapshotFeed } from "../../../lib/server/snapshot-feed";
import { startSubgraphServer } from "../../../lib/server/subgraph-server";
import { ANALYTICS_CONSUMER, registerLagMetrics, startAnalyticsConsumer } from "./analytics.consumer";
import { createAnalyticsLoaders } from "./analytics.loader";
import type { AnalyticsContext } from "./context";
import { dashboardSnapshot } from "./dashboard/dashboard.service";
import type { AnalyticsDatabase } from "./database";
import { buildAnalyticsSchema } from "./schema";

/** The subgraph's name: its identity-token audience and its name in the supergraph. */
export const ANALYTICS_SUBGRAPH = "analytics";

/** What the analytics subgraph needs to run. */
export interface AnalyticsSubgraphConfig {
  port: number;
  host?: string;
  /** Connection string of the application role (subject to row-level security). */
  databaseUrl: string;
  /** The gateway's identity-token public key (PEM). */
  identityPublicKey: string;
  /** Poll interval of the events consumer, the safety net under notifications. */
  eventPollMs?: number;
  logger?: Logger;
  /** Observes each request's cost (tests read SQL statement counts here). */
  onRequest?(stats: RequestStats): void;
}

/**
 * Starts the analytics subgraph and its projection of the events log; nothing runs until
 * this is called. Live dashboards listen for the projection's commits from their first subscriber.
 */
export async function createAnalyticsSubgraph(config: AnalyticsSubgraphConfig): Promise<RunningServer> {
  const logger = config.logger ?? createLogger(ANALYTICS_SUBGRAPH);
  const schema = await buildAnalyticsSchema();
  const db = createDatabase<AnalyticsDatabase>(config.databaseUrl, { name: ANALYTICS_SUBGRAPH });
  const consumer = await startAnalyticsConsumer(db, config.databaseUrl, logger, config.eventPollMs !== undefined ? { pollMs: config.eventPollMs } : {});
  const unregisterMetrics = registerLagMetrics(db, logger);
  const projections = createProjectionListener({ connectionString: config.databaseUrl, name: `${ANALYTICS_SUBGRAPH}-projections`, logger });
  const dashboards = createSnapshotFeed({
    feed: "dashboardUpdated",
    consumer: ANALYTICS_CONSUMER,
    projections,
    compute: (tenant) => dashboardSnapshot(db, tenant),
    logger,
  });
  try {
    const server = await startSubgraphServer<AnalyticsContext, AnalyticsDatabase>({
      name: ANALYTICS_SUBGRAPH,
      schema,
      port: config.port,
      ...(config.host ? { host: config.host } : {}),
      verifier: createIdentityVerifier(config.identityPublicKey, ANALYTICS_SUBGRAPH),
      db,
      createContext: (identity, requestId) => ({ identity, requestId, db, loaders: createAnalyticsLoaders(db, identity.tenant), dashboards }),
      logger,
      resources: [dashboards, projections],
      ...(config.onRequest ? { onRequest: config.onRequest } : {}),
    });
    return {
      ...server,
      async stop() {
        unregisterMetrics();
        await consumer.stop();
        await server.stop();
      },
    };
  } catch (error) {
    // The server closed the database on its way out; the rest is ours to stop.
    unregisterMetrics();
    await consumer.stop();
    throw error;
  }
}
