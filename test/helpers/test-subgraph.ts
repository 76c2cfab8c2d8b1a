import type { Server } from "node:http";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import { composeServices } from "@apollo/composition";
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { IdentityError, createIdentityVerifier, type Identity } from "../../lib/auth/identity";
import { SCOPE_RELAY_SUBSCRIPTIONS } from "../../lib/auth/roles";
import { ErrorCode, clientError } from "../../lib/errors";
import { startGraphQLHttpServer, type RunningServer } from "../../lib/http/graphql-http";
import { createLogger } from "../../lib/logger";

/** What a test subgraph's resolvers get: the caller the gateway vouched for. */
export interface TestSubgraphContext {
  identity: Identity;
}

/** A subscribe message the test subgraph accepted. */
export interface ReceivedSubscribe {
  identity: Identity;
  query: string;
  variables: Record<string, unknown>;
  requestId: unknown;
}

/** A subgraph that lives only in a test: real federation schema, real HTTP and graphql-ws servers. */
export interface TestSubgraph {
  name: string;
  url: string;
  /** Subscribe messages accepted, in order, with the identity each carried. */
  readonly subscribes: ReceivedSubscribe[];
  /** Relay connections the gateway opened so far (it should multiplex its subscriptions over few). */
  readonly relayConnections: number;
  /** Relay connections open now. */
  openRelays(): number;
  /** Cuts every relay connection, as a subgraph that crashes would. */
  dropRelays(): void;
  stop(): Promise<void>;
}

/** Options for {@link startTestSubgraph}. */
export interface TestSubgraphOptions {
  name: string;
  typeDefs: DocumentNode;
  /** Resolvers as `buildSubgraphSchema` takes them. */
  resolvers: GraphQLResolverMap<TestSubgraphContext>;
  /** The gateway's identity public key (PEM). */
  identityPublicKey: string;
}

function bearer(value: unknown): string | undefined {
  return typeof value === "string" ? /^Bearer (.+)$/.exec(value)?.[1] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function recordOf(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/**
 * Starts a test-only subgraph on port 0 that keeps the subgraphs' transport contract:
 * HTTP requests carry `authorization: Bearer <identity token>`; graphql-ws connections
 * authenticate with a relay token (scope `subscriptions:relay`) and every subscribe carries
 * its caller's identity token in `extensions.identity`, all verified with the gateway's
 * public key for this subgraph's name.
 */
export async function startTestSubgraph(options: TestSubgraphOptions): Promise<TestSubgraph> {
  const logger = createLogger("test-subgraph", process.env["LOG_LEVEL"] ?? "silent");
  const schema: GraphQLSchema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers }]);
  const verifier = createIdentityVerifier(options.identityPublicKey, options.name);
  const subscribes: ReceivedSubscribe[] = [];
  let relayConnections = 0;
  const apollo = new ApolloServer<TestSubgraphContext>({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()], stopOnTerminationSignals: false });
  await apollo.start();
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  const graphqlWs = useServer(
    {
      isProd: true,
      async onConnect(ctx) {
        const token = bearer(recordOf(ctx.connectionParams)["authorization"]);
        if (!token) return false;
        try {
          return (await verifier.verify(token)).scopes.includes(SCOPE_RELAY_SUBSCRIPTIONS);
        } catch (error) {
          if (error instanceof IdentityError) return false;
          throw error;
        }
      },
      async onSubscribe(_ctx, _id, payload) {
        const extensions = recordOf(payload.extensions);
        const token = extensions["identity"];
        if (typeof token !== "string") return [clientError(ErrorCode.UNAUTHENTICATED, "no identity token")];
        let identity: Identity;
        try {
          identity = await verifier.verify(token);
        } catch (error) {
          if (error instanceof IdentityError) return [clientError(ErrorCode.UNAUTHENTICATED, "identity token refused")];
          throw error;
        }
        const document = parse(payload.query);
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        subscribes.push({ identity, query: payload.query, variables: { ...payload.variables }, requestId: extensions["requestId"] });
        return { schema, document, variableValues: payload.variables ?? null, operationName: payload.operationName ?? null, contextValue: { identity } };
      },
    },
    wss,
  );
  wss.on("connection", (socket: WebSocket) => {
    relayConnections += 1;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const server: RunningServer = await startGraphQLHttpServer<TestSubgraphContext>({
    name: options.name,
    apollo,
    port: 0,
    maxBodyBytes: 1_000_000,
    logger,
    ready: async () => undefined,
    async context({ headers }) {
      const token = bearer(headers.get("authorization"));
      if (!token) throw clientError(ErrorCode.UNAUTHENTICATED, "no identity token");
      try {
        return { identity: await verifier.verify(token) };
      } catch (error) {
        if (error instanceof IdentityError) throw clientError(ErrorCode.UNAUTHENTICATED, "identity token refused");
        throw error;
      }
    },
    configure(http: Server) {
      http.on("upgrade", (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request)));
    },
  });
  return {
    name: options.name,
    url: server.url,
    subscribes,
    get relayConnections() {
      return relayConnections;
    },
    openRelays: () => sockets.size,
    dropRelays() {
      for (const socket of sockets) socket.terminate();
    },
    async stop() {
      const closed = [...sockets].map((socket) => new Promise((resolve) => socket.once("close", resolve)));
      await graphqlWs.dispose();
      await Promise.all(closed);
      await server.stop();
    },
  };
}

/** A subgraph for {@link composeSupergraph}: its name, URL and SDL. */
export interface SubgraphDefinition {
  name: string;
  url: string;
  typeDefs: DocumentNode;
}

/** Composes a supergraph from subgraph SDLs; throws on composition errors. */
export function composeSupergraph(subgraphs: readonly SubgraphDefinition[]): string {
  const result = composeServices(subgraphs.map(({ name, url, typeDefs }) => ({ name, url, typeDefs })));
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((error) => error.message).join("\n")}`);
  return result.supergraphSdl;
}

/** A `GraphQLError` that refuses a field, as a subgraph's access rules do. */
export function forbidden(message: string): GraphQLError {
  return clientError(ErrorCode.FORBIDDEN, message);
}
