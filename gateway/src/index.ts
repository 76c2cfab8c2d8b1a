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

/**
 * Starts the gateway: authenticates every request before planning (no credentials, no
 * subgraph call), limits query shape, and executes the static supergraph against the
 * subgraphs with gateway-signed identity tokens.
 */
export async function createGateway(config: GatewayConfig): Promise<RunningServer> {
  const logger = config.logger ?? createLogger("gateway");
  const limits = { ...DEFAULT_LIMITS, ...config.limits };
  const db = createDatabase<GatewayDatabase>(config.databaseUrl, { name: "gateway", poolSize: 5 });
  const signer = createIdentitySigner(config.identityPrivateKey);
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
      return { requestId, identity: await authenticate(credentialsFrom(headers)) };
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
