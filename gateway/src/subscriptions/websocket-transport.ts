import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { ExecutionArgs, GraphQLFormattedError } from "graphql";
import { GraphQLError } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { uuidv7 } from "../../../lib/ids";
import type { Logger } from "../../../lib/logger";
import type { GatewaySubscriptions } from "../config";
import type { ClientSession } from "./client-session";
import { credentialsFromConnectionParams } from "./connection-params";
import { PreparedOperation, type FederatedSubscriptions } from "./federated-subscriptions";
import { websocketConnections } from "./subscription-metrics";

/** Where GraphQL over WebSocket is served: the same path as GraphQL over HTTP. */
export const GRAPHQL_WS_PATH = "/graphql";

/** Close code for a client dropped for not reading (policy violation: graphql-ws clients do not retry it blindly). */
export const SLOW_CONSUMER_CLOSE_CODE = 1008;

/** Close code for a connection refused because its tenant's request rate is spent ("try again later"). */
export const RATE_LIMITED_CLOSE_CODE = 1013;

/** How long stopping waits for sockets to finish their closing handshake before cutting them. */
const STOP_GRACE_MS = 2_000;

/** Options for {@link attachWebSocketTransport}. */
export interface WebSocketTransportOptions {
  subscriptions: FederatedSubscriptions;
  settings: GatewaySubscriptions;
  /** Largest message accepted from a client, in bytes. */
  maxMessageBytes: number;
  logger: Logger;
}

/** The gateway's graphql-ws endpoint, attached to its HTTP server. */
export interface WebSocketTransport {
  /** Stops taking upgrades and closes every socket (1001), cutting those that do not finish closing. */
  close(): Promise<void>;
}

/** A WebSocket close reason fits in 123 bytes. */
function closeReason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : `${text.slice(0, 110)}…`;
}

/** The operation graphql-ws hands back as the execution context (see `onSubscribe`). */
function preparedFrom(args: ExecutionArgs): PreparedOperation {
  if (args.contextValue instanceof PreparedOperation) return args.contextValue;
  throw new Error("graphql-ws ran an operation the gateway did not prepare");
}

/**
 * GraphQL over WebSocket (graphql-ws, `graphql-transport-ws`) on the HTTP server's `/graphql`.
 * The protocol is graphql-ws's own: init timeout (4408), duplicate init (4429), subscribe
 * before ack (4401), duplicate id (4409), bad message (4400), ping/pong. The gateway adds:
 * `connection_init` credentials checked like HTTP headers (refused: 4403), the tenant's rate
 * counted for the connection and each operation (spent at connect: 1013), and a client that
 * stops reading is dropped (1008 "slow consumer") rather than buffered for.
 */
export function attachWebSocketTransport(server: Server, options: WebSocketTransportOptions): WebSocketTransport {
  const { subscriptions, settings, logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
  /** Each acknowledged connection's session, by graphql-ws connection context. */
  const sessions = new WeakMap<object, ClientSession>();
  let closing = false;

  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(request.url ?? "/", "http://localhost");
    if (closing || pathname !== GRAPHQL_WS_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  });
  wss.on("connection", (socket: WebSocket) => {
    websocketConnections.inc();
    socket.once("close", () => websocketConnections.dec());
  });

  function dropSlowConsumer(socket: WebSocket): void {
    socket.close(SLOW_CONSUMER_CLOSE_CODE, "slow consumer");
    // The close frame queues behind what the client has not read; it gets this long to read it.
    setTimeout(() => socket.terminate(), settings.slowConsumerCloseGraceMs).unref();
  }

  const graphqlWs = useServer(
    {
      // Close reasons never carry internal error messages.
      isProd: true,
      connectionInitWaitTimeout: settings.connectionInitWaitTimeoutMs,
      async onConnect(ctx) {
        const { socket } = ctx.extra;
        const credentials = credentialsFromConnectionParams(ctx.connectionParams);
        if (!credentials) return false;
        let session: ClientSession;
        try {
          session = await subscriptions.openSession(credentials, { transport: "ws", dropConnection: () => dropSlowConsumer(socket) });
        } catch (error) {
          if (error instanceof GraphQLError) return false;
          logger.error({ err: error }, "WebSocket authentication failed");
          socket.close(CloseCode.InternalServerError, "Internal server error");
          return false;
        }
        const refusal = await subscriptions.admit(session);
        // The client may have gone while its credentials were checked.
        if (refusal || socket.readyState !== socket.OPEN) {
          session.close();
          if (refusal) socket.close(RATE_LIMITED_CLOSE_CODE, closeReason(refusal.message));
          return false;
        }
        sessions.set(ctx, session);
        logger.debug({ session: session.id, tenant: session.identity.tenant }, "WebSocket client connected");
        return true;
      },
      async onSubscribe(ctx, _id, payload) {
        const session = sessions.get(ctx);
        // graphql-ws refuses a subscribe before the ack itself (4401); this is its belt and braces.
        if (!session) return [new GraphQLError("not connected")];
        const prepared = await subscriptions.prepare(session, payload);
        if (!(prepared instanceof PreparedOperation)) return subscriptions.mask(prepared.errors, prepared.requestId);
        return {
          schema: prepared.schema,
          document: prepared.document,
          operationName: prepared.operation.name?.value,
          variableValues: payload.variables ?? undefined,
          contextValue: prepared,
        };
      },
      execute: (args) => subscriptions.run(preparedFrom(args)),
      subscribe: (args) => subscriptions.run(preparedFrom(args)),
      onNext(ctx) {
        // Each subscription waits for its own previous message to be written, but queries do
        // not, and neither do a connection's subscriptions of each other: bound the sum too.
        const { bufferedAmount } = ctx.extra.socket;
        const session = sessions.get(ctx);
        if (bufferedAmount <= settings.maxBufferedBytes || !session) return;
        logger.warn({ session: session.id, bufferedBytes: bufferedAmount }, "WebSocket client stopped reading; dropping it");
        session.dropSlowConsumer();
      },
      onError(_ctx, _id, _payload, errors): GraphQLFormattedError[] {
        // The gateway's own errors are masked already; anything graphql-ws raised is masked here.
        return subscriptions.mask(errors, uuidv7()).map((error) => error.formatted);
      },
      onClose(ctx) {
        sessions.get(ctx)?.close();
        sessions.delete(ctx);
      },
    },
    wss,
    settings.keepAliveMs,
  );

  return {
    async close() {
      closing = true;
      const sockets = [...wss.clients];
      const closed = Promise.all(sockets.map((socket) => new Promise<void>((resolve) => (socket.readyState === socket.CLOSED ? resolve() : socket.once("close", () => resolve())))));
      const cut = setTimeout(() => sockets.forEach((socket) => socket.terminate()), STOP_GRACE_MS);
      await graphqlWs.dispose();
      await closed;
      clearTimeout(cut);
    },
  };
}
