import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { sql } from "kysely";
import { createIdentitySigner } from "../../lib/auth/identity";
import { createDatabase } from "../../lib/db/database";
import { createErrorMasker, requestIdPlugin } from "../../lib/errors";
import { startGraphQLHttpServer, type RunningServer } from "../../lib/http/graphql-http";
import { createLogger } from "../../lib/logger";
import type { GatewayDatabase } from "./auth/api-key.repository";
import { createAuthenticator, credentialsFrom } from "./auth/authenticate";
import { createJwtVerifier } from "./auth/jwt";
import { DEFAULT_LIMITS, type GatewayConfig } from "./config";
import type { GatewayContext } from "./context";
import { IdentityDataSource } from "./identity-data-source";
import { queryLimitsPlugin } from "./limits";
import { rateLimiterFromConfig, type RateLimiter } from "./rate-limit/rate-limit";

/**
 * Starts the gateway: authenticates and rate limits every request before planning (no
 * credentials or no tokens left, no subgraph call), limits query shape, and executes the
 * static supergraph against the subgraphs with gateway-signed identity tokens.
 */
export async function createGateway(config: GatewayConfig): Promise<RunningServer> {
  const logger = config.logger ?? createLogger("gateway");
  const limits = { ...DEFAULT_LIMITS, ...config.limits };
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

  const gateway = new ApolloGateway({
    supergraphSdl: config.supergraphSdl,
    buildService: ({ name, url }) => new IdentityDataSource(config.subgraphUrls[name] ?? url ?? "", name, signer),
    logger,
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: createErrorMasker(logger),
    includeStacktraceInErrorResponses: false,
    // The process supervisor owns signals and stops every server in order.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: 10_000 },
    // Any of these headers forces a browser preflight, so a cross-site form cannot send one.
    csrfPrevention: { requestHeaders: ["authorization", "x-api-key", "apollo-require-preflight", "x-apollo-operation-name"] },
    plugins: [ApolloServerPluginLandingPageDisabled(), requestIdPlugin(), queryLimitsPlugin(limits)],
  });
  await apollo.start();

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
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await db.destroy();
    },
  };
}
