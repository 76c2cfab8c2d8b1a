import type { Server } from "node:http";
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
import { createSubscriptionServer, type SubscriptionServer } from "./subscription-server";

/** Something running beside a server that must stop with it. */
export interface Stoppable {
  stop(): Promise<void>;
}

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
  /**
   * Serve the schema's `Subscription` fields over graphql-ws on the same port and path.
   * Default: on when the schema has a `Subscription` type.
   */
  subscriptions?: boolean;
  /**
   * What the server's operations read from besides the database (the event tail, snapshot
   * feeds): stopped, in order, after the server stops serving and before the database closes.
   */
  resources?: readonly Stoppable[];
}

/**
 * Serves a subgraph. Every operation, `_service` and `_entities` included, needs a
 * gateway-signed identity token addressed to this subgraph: a subgraph called directly
 * is closed (401 `UNAUTHENTICATED`). Its `Subscription` fields are served over graphql-ws
 * on the same port and path, to the gateway only (see `subscription-server.ts`).
 */
export async function startSubgraphServer<TContext extends IdentityContext, DB>(options: SubgraphServerOptions<TContext, DB>): Promise<RunningServer> {
  try {
    return await serveSubgraph(options);
  } catch (error) {
    // Nothing else will ever stop what a server that never started was given.
    await stopResources(options.resources ?? []);
    await options.db.destroy();
    throw error;
  }
}

async function stopResources(resources: readonly Stoppable[]): Promise<void> {
  for (const resource of resources) await resource.stop();
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
  const maxBodyBytes = options.maxBodyBytes ?? 1_000_000;
  const subscriptions: SubscriptionServer | null =
    (options.subscriptions ?? Boolean(options.schema.getSubscriptionType()))
      ? createSubscriptionServer({ name: options.name, schema: options.schema, verifier, createContext: options.createContext, logger, maxPayloadBytes: maxBodyBytes })
      : null;
  const server = await startGraphQLHttpServer({
    name: options.name,
    apollo,
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    maxBodyBytes,
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
    ...(subscriptions ? { configure: (http: Server) => subscriptions.attach(http) } : {}),
  });
  return {
    ...server,
    async stop() {
      // Sockets first: their subscriptions read from the resources, and an upgraded socket
      // would hold the HTTP server's close open.
      await subscriptions?.stop();
      await server.stop();
      await stopResources(options.resources ?? []);
      await options.db.destroy();
    },
  };
}
