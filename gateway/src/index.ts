import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { sql } from "kysely";
import { createIdentitySigner } from "../../lib/auth/identity";
import { createDatabase } from "../../lib/db/database";
import { MAX_QUERY_TOKENS } from "../../lib/graphql/parse-limits";
import { createErrorMasker, requestIdPlugin } from "../../lib/errors";
import { startGraphQLHttpServer, type RunningServer } from "../../lib/http/graphql-http";
import { createLogger } from "../../lib/logger";
import type { GatewayDatabase } from "./auth/api-key.repository";
import { createAuthenticator, credentialsFrom } from "./auth/authenticate";
import { createJwtVerifier } from "./auth/jwt";
import { DEFAULT_LIMITS, DEFAULT_SUBSCRIPTIONS, type GatewayConfig, type GatewaySubscriptions } from "./config";
import type { GatewayContext } from "./context";
import { serveDashboard } from "./dashboard/dashboard.route";
import { IdentityDataSource } from "./identity-data-source";
import { queryLimitsPlugin } from "./limits";
import { rateLimiterFromConfig, type RateLimiter } from "./rate-limit/rate-limit";
import { FederatedSubscriptions } from "./subscriptions/federated-subscriptions";
import { createSseRoute } from "./subscriptions/sse-transport";
import { SubgraphDirectory } from "./subscriptions/subgraph-directory";
import { subscriptionsOverHttpPlugin } from "./subscriptions/subscriptions-over-http-plugin";
import { attachWebSocketTransport, type WebSocketTransport } from "./subscriptions/websocket-transport";

/** The running gateway. */
export interface GatewayServer extends RunningServer {
  /**
   * Loads a new supergraph: operations plan against it from now on, and running
   * subscriptions end with `SUBSCRIPTION_SCHEMA_RELOAD`. An SDL identical to the loaded one
   * changes nothing. Rejects if the SDL cannot be loaded (the current one stays).
   */
  reloadSupergraph(supergraphSdl: string): Promise<void>;
}

/** The subscription settings with defaults applied, checked so a bad value fails at start. */
function subscriptionSettings(overrides: Partial<GatewaySubscriptions> | undefined): GatewaySubscriptions {
  const settings = { ...DEFAULT_SUBSCRIPTIONS, ...overrides };
  for (const [name, value] of Object.entries(settings)) {
    if (typeof value !== "number") continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`subscriptions: ${name} must be a positive integer, got ${value}`);
  }
  return settings;
}

/**
 * Starts the gateway: authenticates and rate limits every request before planning (no
 * credentials or no tokens left, no subgraph call), limits query shape, and executes the
 * supergraph against the subgraphs with gateway-signed identity tokens. Subscriptions (and
 * any other operation) are also served over WebSocket and SSE on the same `/graphql`.
 */
export async function createGateway(config: GatewayConfig): Promise<GatewayServer> {
  const logger = config.logger ?? createLogger("gateway");
  const limits = { ...DEFAULT_LIMITS, ...config.limits };
  const settings = subscriptionSettings(config.subscriptions);
  const signer = createIdentitySigner(config.identityPrivateKey);
  let rateLimiter: RateLimiter | undefined;
  if (config.rateLimit) {
    const billingUrl = config.rateLimit.billingUrl ?? config.subgraphUrls["billing"];
    rateLimiter = rateLimiterFromConfig(config.rateLimit, { billingUrl, signer, logger });
  } else {
    logger.warn("rate limiting is off: no rateLimit settings");
  }
  const db = createDatabase<GatewayDatabase>(config.databaseUrl, { name: "gateway", poolSize: 5 });
  const authenticate = createAuthenticator(createJwtVerifier(config.jwt), db, logger);

  const directory = new SubgraphDirectory();
  let updateSupergraph: ((supergraphSdl: string) => void) | undefined;
  const gateway = new ApolloGateway({
    // The function form hands over the gateway's update callback: the supergraph can be reloaded.
    supergraphSdl: async ({ update }) => {
      updateSupergraph = update;
      return { supergraphSdl: config.supergraphSdl };
    },
    buildService: ({ name, url }) => {
      const subgraphUrl = config.subgraphUrls[name] ?? url ?? "";
      const dataSource = new IdentityDataSource(subgraphUrl, name, signer);
      directory.register(name, subgraphUrl, dataSource);
      return dataSource;
    },
    logger,
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: createErrorMasker(logger),
    includeStacktraceInErrorResponses: false,
    // The process supervisor owns signals and stops every server in order.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: MAX_QUERY_TOKENS },
    // Any of these headers forces a browser preflight, so a cross-site form cannot send one.
    csrfPrevention: { requestHeaders: ["authorization", "x-api-key", "apollo-require-preflight", "x-apollo-operation-name"] },
    plugins: [ApolloServerPluginLandingPageDisabled(), requestIdPlugin(), queryLimitsPlugin(limits), subscriptionsOverHttpPlugin()],
  });
  const subscriptions = new FederatedSubscriptions({ apollo, authenticate, rateLimiter, directory, signer, limits, settings, logger });
  // Registered before the gateway loads, so the first schema is seen as well as every reload.
  gateway.onSchemaLoadOrUpdate((update) => subscriptions.onSchema(update));
  await apollo.start();
  const sse = createSseRoute({ subscriptions, settings, maxBodyBytes: limits.maxBodyBytes, logger });
  let websockets: WebSocketTransport | undefined;

  const server = await startGraphQLHttpServer({
    name: "gateway",
    apollo,
    port: config.port,
    ...(config.host ? { host: config.host } : {}),
    maxBodyBytes: limits.maxBodyBytes,
    logger,
    ready: async () => void (await sql`select 1`.execute(db)),
    async context({ headers, requestId }) {
      const identity = await authenticate(credentialsFrom(headers));
      // Thrown from here, the refusal is the whole HTTP response (429 with Retry-After): nothing is planned.
      await rateLimiter?.check(identity);
      return { requestId, identity };
    },
    configure(http) {
      websockets = attachWebSocketTransport(http, { subscriptions, settings, maxMessageBytes: limits.maxBodyBytes, logger });
    },
    routes: async (req, res, requestId) => serveDashboard(req, res) || (await sse(req, res, requestId)),
  });
  return {
    ...server,
    async reloadSupergraph(supergraphSdl) {
      if (!updateSupergraph) throw new Error("the gateway has not loaded its first supergraph yet");
      updateSupergraph(supergraphSdl);
    },
    async stop() {
      // Subscriptions first: an open event stream or socket would otherwise hold the HTTP server open.
      await subscriptions.stop();
      await websockets?.close();
      await server.stop();
      await db.destroy();
    },
  };
}
