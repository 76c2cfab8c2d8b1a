import "reflect-metadata";
import { createIdentityVerifier } from "../../../lib/auth/identity";
import { createDatabase } from "../../../lib/db/database";
import { createEventTail } from "../../../lib/events/event-tail";
import type { RequestStats, RunningServer } from "../../../lib/http/graphql-http";
import { createLogger, type Logger } from "../../../lib/logger";
import { startSubgraphServer } from "../../../lib/server/subgraph-server";
import type { IntelligenceContext } from "./context";
import type { IntelligenceDatabase } from "./database";
import { createLeadEvaluator } from "./evaluation/lead-evaluator";
import { createMessageAnalyzer } from "./insight/analyzer/index";
import { startIntelligenceConsumer } from "./intelligence.consumer";
import { createIntelligenceLoaders } from "./intelligence.loader";
import { AUSTIN_AREAS } from "./market/austin-market";
import { buildIntelligenceSchema } from "./schema";

/** The subgraph's name: its identity-token audience and its name in the supergraph. */
export const INTELLIGENCE_SUBGRAPH = "intelligence";

/** Anthropic settings; the analyzer runs locally without them. */
export interface AnthropicConfig {
  apiKey: string;
  model: string;
  /** Another endpoint speaking the same API (a proxy, or a test server). */
  baseURL?: string;
  timeoutMs: number;
}

/** What the intelligence subgraph needs to run. */
export interface IntelligenceSubgraphConfig {
  port: number;
  host?: string;
  /** Connection string of the application role (subject to row-level security). */
  databaseUrl: string;
  /** The gateway's identity-token public key (PEM). */
  identityPublicKey: string;
  anthropic?: AnthropicConfig;
  /** How long cached scores and matches may ignore listing changes. */
  cacheTtlMs?: number;
  /** Poll interval of the events consumer, the safety net under notifications. */
  eventPollMs?: number;
  logger?: Logger;
  /** Observes each request's cost (tests read SQL statement counts here). */
  onRequest?(stats: RequestStats): void;
}

/**
 * Starts the intelligence subgraph and its events consumer; nothing runs until this is
 * called. Stopping stops the consumer first, so no batch is cut off mid-way.
 */
export async function createIntelligenceSubgraph(config: IntelligenceSubgraphConfig): Promise<RunningServer> {
  const logger = config.logger ?? createLogger(INTELLIGENCE_SUBGRAPH);
  const schema = await buildIntelligenceSchema();
  const db = createDatabase<IntelligenceDatabase>(config.databaseUrl, { name: INTELLIGENCE_SUBGRAPH });
  const evaluator = createLeadEvaluator(db, config.cacheTtlMs !== undefined ? { cacheTtlMs: config.cacheTtlMs } : {});
  const analyzer = createMessageAnalyzer({ ...(config.anthropic ? { anthropic: config.anthropic } : {}), knownAreas: AUSTIN_AREAS, logger });
  const consumer = await startIntelligenceConsumer(
    db,
    config.databaseUrl,
    { evaluator, analyzer, logger },
    config.eventPollMs !== undefined ? { pollMs: config.eventPollMs } : {},
  );
  const events = createEventTail({ name: `${INTELLIGENCE_SUBGRAPH}-tail`, db, connectionString: config.databaseUrl, logger });
  try {
    const server = await startSubgraphServer<IntelligenceContext, IntelligenceDatabase>({
      name: INTELLIGENCE_SUBGRAPH,
      schema,
      port: config.port,
      ...(config.host ? { host: config.host } : {}),
      verifier: createIdentityVerifier(config.identityPublicKey, INTELLIGENCE_SUBGRAPH),
      db,
      createContext: (identity, requestId) => ({
        identity,
        requestId,
        db,
        evaluator,
        analyzer,
        loaders: createIntelligenceLoaders(db, identity.tenant, evaluator),
        events,
      }),
      logger,
      resources: [events],
      ...(config.onRequest ? { onRequest: config.onRequest } : {}),
    });
    return {
      ...server,
      async stop() {
        await consumer.stop();
        await server.stop();
      },
    };
  } catch (error) {
    // The server closed the database on its way out; the consumer is ours to stop.
    await consumer.stop();
    throw error;
  }
}
