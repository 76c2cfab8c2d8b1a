import "reflect-metadata";
import { createIdentityVerifier } from "../../../lib/auth/identity";
import { createDatabase } from "../../../lib/db/database";
import { createEventTail } from "../../../lib/events/event-tail";
import type { RequestStats, RunningServer } from "../../../lib/http/graphql-http";
import { createLogger, type Logger } from "../../../lib/logger";
import { startSubgraphServer } from "../../../lib/server/subgraph-server";
import type { LeadsContext } from "./context";
import type { LeadsDatabase } from "./database";
import { createLeadLoaders } from "./lead/lead.loader";
import { buildLeadsSchema } from "./schema";

/** The subgraph's name: its identity-token audience and its name in the supergraph. */
export const LEADS_SUBGRAPH = "leads";

/** What the leads subgraph needs to run. */
export interface LeadsSubgraphConfig {
  port: number;
  host?: string;
  /** Connection string of the application role (subject to row-level security). */
  databaseUrl: string;
  /** The gateway's identity-token public key (PEM). */
  identityPublicKey: string;
  logger?: Logger;
  /** Observes each request's cost (tests read SQL statement counts here). */
  onRequest?(stats: RequestStats): void;
}

/**
 * Starts the leads subgraph; nothing runs until this is called. Its subscriptions read a
 * live tail of the events log, which connects on the first subscriber.
 */
export async function createLeadsSubgraph(config: LeadsSubgraphConfig): Promise<RunningServer> {
  const logger = config.logger ?? createLogger(LEADS_SUBGRAPH);
  const db = createDatabase<LeadsDatabase>(config.databaseUrl, { name: LEADS_SUBGRAPH });
  const events = createEventTail({ name: `${LEADS_SUBGRAPH}-tail`, db, connectionString: config.databaseUrl, logger });
  return startSubgraphServer<LeadsContext, LeadsDatabase>({
    name: LEADS_SUBGRAPH,
    schema: await buildLeadsSchema(),
    port: config.port,
    ...(config.host ? { host: config.host } : {}),
    verifier: createIdentityVerifier(config.identityPublicKey, LEADS_SUBGRAPH),
    db,
    createContext: (identity, requestId) => ({ identity, requestId, db, loaders: createLeadLoaders(db, identity.tenant), events }),
    logger,
    resources: [events],
    ...(config.onRequest ? { onRequest: config.onRequest } : {}),
  });
}
