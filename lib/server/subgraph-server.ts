import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import type { GraphQLSchema } from "graphql";
import { sql, type Kysely } from "kysely";
import { ErrorCode, clientError, createErrorMasker, requestIdPlugin } from "../errors";
import type { Identity, IdentityVerifier } from "../auth/identity";
import { IdentityError } from "../auth/identity";
import { startGraphQLHttpServer, type RequestStats, type RunningServer } from "../http/graphql-http";
import type { Logger } from "../logger";
import type { IdentityContext } from "./federated-schema";

/** Options for {@link startSubgraphServer}. */
export interface SubgraphServerOptions<TContext extends IdentityContext, DB> {
  name: string;
  schema: GraphQLSchema;
  port: number;
  host?: string;
  verifier: IdentityVerifier;
  /** The subgraph's database: `/ready` checks it, and stopping the server closes it. */
  db: Kysely<DB>;
  /** Builds the per-request context (DataLoaders live here) for a verified caller. */
  createContext(identity: Identity, requestId: string): TContext;
  logger: Logger;
  maxBodyBytes?: number;
  onRequest?(stats: RequestStats): void;
}

/**
 * Serves a subgraph. Every operation, `_service` and `_entities` included, needs a
 * gateway-signed identity token addressed to this subgraph: a subgraph called directly
 * is closed (401 `UNAUTHENTICATED`).
 */
export async function startSubgraphServer<TContext extends IdentityContext, DB>(options: SubgraphServerOptions<TContext, DB>): Promise<RunningServer> {
  try {
    return await serveSubgraph(options);
  } catch (error) {
    // Nothing else will ever close the pool of a server that never started.
    await options.db.destroy();
    throw error;
  }
}

async function serveSubgraph<TContext extends IdentityContext, DB>(options: SubgraphServerOptions<TContext, DB>): Promise<RunningServer> {
  const { logger, verifier } = options;
  const apollo = new ApolloServer<TContext>({
    schema: options.schema,
    formatError: createErrorMasker(logger),
    includeStacktraceInErrorResponses: false,
    // The process supervisor owns signals and stops every server in order.
    stopOnTerminationSignals: false,
    // No inline traces: they cost time per request and would expose resolver timings.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), requestIdPlugin()],
  });
  await apollo.start();
  const server = await startGraphQLHttpServer({
    name: options.name,
    apollo,
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    maxBodyBytes: options.maxBodyBytes ?? 1_000_000,
    ready: async () => void (await sql`select 1`.execute(options.db)),
    logger,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    async context({ headers, requestId }) {
      const match = /^Bearer (.+)$/.exec(headers.get("authorization") ?? "");
      if (!match?.[1]) throw clientError(ErrorCode.UNAUTHENTICATED, "subgraphs accept only gateway-signed identity tokens");
      try {
        return options.createContext(await verifier.verify(match[1]), requestId);
      } catch (error) {
        if (error instanceof IdentityError) {
          logger.warn({ requestId, reason: error.message }, "identity token refused");
          throw clientError(ErrorCode.UNAUTHENTICATED, "identity token refused");
        }
        throw error;
      }
    },
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await options.db.destroy();
    },
  };
}
