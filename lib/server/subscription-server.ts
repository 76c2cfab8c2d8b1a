import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import {
  GraphQLError,
  createSourceEventStream,
  execute,
  getOperationAST,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import type { SubscribePayload } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { Gauge } from "prom-client";
import { WebSocketServer } from "ws";
import { IdentityError, type Identity, type IdentityVerifier } from "../auth/identity";
import { SCOPE_RELAY_SUBSCRIPTIONS } from "../auth/roles";
import { ErrorCode, createErrorMasker, fieldError, withCode } from "../errors";
import { isRequestId, uuidv7 } from "../ids";
import type { Logger } from "../logger";
import { metricsRegistry } from "../metrics";
import type { IdentityContext } from "./federated-schema";
import { SUBSCRIPTION_LOOKAHEAD, mapSubscription } from "./subscription-stream";
import { MAX_QUERY_TOKENS } from "../graphql/parse-limits";

/** The path subscriptions are served on: the same as GraphQL over HTTP. */
export const SUBSCRIPTIONS_PATH = "/graphql";

/** How long `stop()` waits for sockets to finish their closing handshake before cutting them. */
const STOP_GRACE_MS = 5_000;

const activeSubscriptions = new Gauge({
  name: "hub_subscriptions_active",
  help: "Subscriptions being served, by server and root field",
  labelNames: ["server", "field"],
  registers: [metricsRegistry],
});

/** Options for {@link createSubscriptionServer}. */
export interface SubscriptionServerOptions<TContext extends IdentityContext> {
  /** The subgraph's name, for metrics and logs. */
  name: string;
  schema: GraphQLSchema;
  /** The subgraph's identity-token verifier (audience = the subgraph). */
  verifier: IdentityVerifier;
  /** The subgraph's per-request context factory, used per subscription. */
  createContext(identity: Identity, requestId: string): TContext;
  logger: Logger;
  /** Largest message accepted, in bytes. */
  maxPayloadBytes: number;
}

/** A graphql-ws endpoint to attach to an HTTP server. */
export interface SubscriptionServer {
  /** Accepts WebSocket upgrades on {@link SUBSCRIPTIONS_PATH}; call before the server listens. */
  attach(server: Server): void;
  /** Closes every socket (1001, going away), waiting for them to close. */
  stop(): Promise<void>;
}

/** What a subscription needs remembered between graphql-ws's callbacks. */
interface OperationInfo {
  requestId: string;
  field: string;
  counted: boolean;
}

/** `connectionParams.authorization` as a bearer token, or null. */
function bearerTokenOf(connectionParams: unknown): string | null {
  if (typeof connectionParams !== "object" || connectionParams === null) return null;
  const authorization = (connectionParams as { authorization?: unknown }).authorization;
  if (typeof authorization !== "string") return null;
  return /^Bearer (.+)$/.exec(authorization)?.[1] ?? null;
}

/** `extensions.identity` of a subscribe message: the caller's identity token, or null. */
function identityTokenOf(extensions: unknown): string | null {
  if (typeof extensions !== "object" || extensions === null) return null;
  const identity = (extensions as { identity?: unknown }).identity;
  return typeof identity === "string" && identity.length > 0 ? identity : null;
}

function requestIdOf(extensions: unknown): string | null {
  if (typeof extensions !== "object" || extensions === null) return null;
  const requestId = (extensions as { requestId?: unknown }).requestId;
  return isRequestId(requestId) ? requestId : null;
}

/** The root field a subscription selects (validation allows exactly one), for metrics. */
function rootFieldOf(operation: OperationDefinitionNode): string {
  const [selection] = operation.selectionSet.selections;
  return selection?.kind === "Field" ? selection.name.value : "other";
}

/** Whether an operation's result is a stream of events (a refused subscription is a single result). */
function isStream(result: unknown): result is AsyncIterable<unknown> {
  return typeof result === "object" && result !== null && Symbol.asyncIterator in result;
}

/**
 * Like graphql-js's `subscribe`, except that each event is executed with a context of its
 * own (fresh DataLoaders: current rows, and nothing cached for the subscription's lifetime),
 * as if it were a request. The event stream itself runs in the subscription's context.
 */
async function subscribeEventByEvent(args: ExecutionArgs, contextForEvent: () => unknown): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!isStream(stream)) return stream;
  return mapSubscription(stream[Symbol.asyncIterator](), (event) => execute({ ...args, rootValue: event, contextValue: contextForEvent() }), { ahead: SUBSCRIPTION_LOOKAHEAD });
}

function refuseUpgrade(socket: Duplex, status: 404 | 503, reason: string): void {
  socket.on("error", () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Serves a subgraph's `Subscription` fields over graphql-ws (`graphql-transport-ws`).
 *
 * The socket belongs to the gateway, not to a user: `connectionParams.authorization` must
 * be `Bearer <identity token>` for this subgraph carrying the relay scope, or the socket
 * is closed with 4403. It is multiplexed: each subscribe message carries its own caller's
 * identity token in `extensions.identity`, verified like an HTTP request's, and the
 * operation runs with the subgraph's usual context for that identity, so access rules and
 * the tenant apply exactly as over HTTP. A refused operation gets an error of its own; the
 * socket and its other subscriptions carry on. Queries and mutations go over HTTP.
 */
export function createSubscriptionServer<TContext extends IdentityContext>(options: SubscriptionServerOptions<TContext>): SubscriptionServer {
  const { logger, verifier, schema, name } = options;
  const mask = createErrorMasker(logger);
  const operations = new WeakMap<object, Map<string, OperationInfo>>();
  /** Each subscription's context, to the factory of its events' contexts. */
  const eventContexts = new WeakMap<object, () => TContext>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  let stopping = false;

  function operationsOf(ctx: object): Map<string, OperationInfo> {
    let map = operations.get(ctx);
    if (!map) {
      map = new Map();
      operations.set(ctx, map);
    }
    return map;
  }

  function formatErrors(errors: readonly GraphQLError[], requestId: string | undefined): GraphQLFormattedError[] {
    return errors.map((error) => {
      const formatted = mask(error.toJSON(), error);
      // Masked errors carry the request id, as over HTTP, so the log detail can be found.
      return formatted.extensions?.["code"] === ErrorCode.INTERNAL_SERVER_ERROR && requestId
        ? { ...formatted, extensions: { ...formatted.extensions, requestId } }
        : formatted;
    });
  }

  async function authenticateRelay(connectionParams: unknown): Promise<boolean> {
    const token = bearerTokenOf(connectionParams);
    if (!token) {
      logger.warn({ server: name }, "subscription socket refused: no identity token");
      return false;
    }
    try {
      const relay = await verifier.verify(token);
      if (relay.scopes.includes(SCOPE_RELAY_SUBSCRIPTIONS)) return true;
      logger.warn({ server: name, sub: relay.sub }, `subscription socket refused: the identity lacks scope ${SCOPE_RELAY_SUBSCRIPTIONS}`);
      return false;
    } catch (error) {
      if (error instanceof IdentityError) logger.warn({ server: name, reason: error.message }, "subscription socket refused");
      else logger.error({ err: error, server: name }, "subscription socket authentication failed");
      return false;
    }
  }

  /** Turns a subscribe message into execution arguments, or the errors that refuse it. */
  async function prepare(ctx: object, id: string, payload: SubscribePayload, requestId: string): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const token = identityTokenOf(payload.extensions);
    if (!token) return [fieldError(ErrorCode.UNAUTHENTICATED, "a subscription needs its caller's identity token in `extensions.identity`")];
    let identity: Identity;
    try {
      identity = await verifier.verify(token);
    } catch (error) {
      if (!(error instanceof IdentityError)) throw error;
      logger.warn({ server: name, requestId, reason: error.message }, "subscription identity token refused");
      return [fieldError(ErrorCode.UNAUTHENTICATED, "identity token refused")];
    }
    let document: DocumentNode;
    try {
      document = parse(payload.query, { maxTokens: MAX_QUERY_TOKENS });
    } catch (error) {
      if (error instanceof GraphQLError) return [withCode(error, ErrorCode.GRAPHQL_PARSE_FAILED)];
      throw error;
    }
    const invalid = validate(schema, document);
    if (invalid.length > 0) return invalid.map((error) => withCode(error, ErrorCode.GRAPHQL_VALIDATION_FAILED));
    const operationName = payload.operationName ?? undefined;
    const operation = getOperationAST(document, operationName);
    if (!operation) return [fieldError(ErrorCode.OPERATION_RESOLUTION_FAILURE, "no single operation to run: name one with `operationName`")];
    if (operation.operation !== "subscription") {
      return [fieldError(ErrorCode.BAD_REQUEST, `only subscriptions are served over WebSocket; send this ${operation.operation} over HTTP`)];
    }
    operationsOf(ctx).set(id, { requestId, field: rootFieldOf(operation), counted: false });
    const contextValue = options.createContext(identity, requestId);
    eventContexts.set(contextValue, () => options.createContext(identity, requestId));
    return {
      schema,
      document,
      ...(operationName !== undefined ? { operationName } : {}),
      ...(payload.variables ? { variableValues: payload.variables } : {}),
      contextValue,
    };
  }

  const server = useServer(
    {
      // No `schema` or `context` here: onSubscribe hands over both with each operation.
      onConnect: (ctx) => authenticateRelay(ctx.connectionParams),
      subscribe(args) {
        const contextForEvent = typeof args.contextValue === "object" && args.contextValue !== null ? eventContexts.get(args.contextValue) : undefined;
        if (contextForEvent) return subscribeEventByEvent(args, contextForEvent);
        // Not reachable through onSubscribe; an error result rather than a throw, which would close the socket.
        logger.error({ server: name }, "subscription arrived without a prepared context");
        return { errors: [fieldError(ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error")] };
      },
      async onSubscribe(ctx, id, payload) {
        const requestId = requestIdOf(payload.extensions) ?? uuidv7();
        try {
          return await prepare(ctx, id, payload, requestId);
        } catch (error) {
          // Thrown, it would close the socket and every other subscription on it.
          logger.error({ err: error, server: name, requestId }, "subscription could not be prepared");
          return [fieldError(ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error", { requestId })];
        }
      },
      onOperation(ctx, id, _payload, _args, result) {
        const info = operationsOf(ctx).get(id);
        if (info && isStream(result)) {
          info.counted = true;
          activeSubscriptions.inc({ server: name, field: info.field });
        }
      },
      onComplete(ctx, id) {
        const map = operationsOf(ctx);
        const info = map.get(id);
        map.delete(id);
        if (info?.counted) activeSubscriptions.dec({ server: name, field: info.field });
      },
      onNext(ctx, id, _payload, _args, result) {
        if (!result.errors) return;
        return { ...result, errors: formatErrors(result.errors, operationsOf(ctx).get(id)?.requestId) };
      },
      onError: (ctx, id, _payload, errors) => formatErrors(errors, operationsOf(ctx).get(id)?.requestId),
    },
    wss,
  );

  return {
    attach(http) {
      http.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        const { pathname } = new URL(request.url ?? "/", "http://localhost");
        if (pathname !== SUBSCRIPTIONS_PATH) return refuseUpgrade(socket, 404, "Not Found");
        if (stopping) return refuseUpgrade(socket, 503, "Service Unavailable");
        wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
      });
    },
    async stop() {
      stopping = true;
      // A peer that never answers the closing handshake would hold the stop for ws's own 30 s.
      const cut = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, STOP_GRACE_MS);
      cut.unref();
      try {
        await server.dispose();
      } finally {
        clearTimeout(cut);
      }
    },
  };
}
