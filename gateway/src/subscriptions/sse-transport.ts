import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap } from "@apollo/server";
import { GraphQLError } from "graphql";
import { createHandler, type Response as SseResponse } from "graphql-sse";
import { ErrorCode, clientError } from "../../../lib/errors";
import { BodyTooLarge, readBody } from "../../../lib/http/http-server";
import type { Logger } from "../../../lib/logger";
import { credentialsFrom } from "../auth/authenticate";
import type { GatewaySubscriptions } from "../config";
import type { ClientSession } from "./client-session";
import { PreparedOperation, type FederatedSubscriptions, type OperationRefusal } from "./federated-subscriptions";

/** Where GraphQL over SSE is served: the same path as GraphQL over HTTP. */
export const GRAPHQL_SSE_PATH = "/graphql";

const EVENT_STREAM = "text/event-stream";

/** Options for {@link createSseRoute}. */
export interface SseTransportOptions {
  subscriptions: FederatedSubscriptions;
  settings: GatewaySubscriptions;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  logger: Logger;
}

/** What graphql-sse carries for one request: the caller's session and the request id. */
interface SseRequestContext {
  session: ClientSession;
  requestId: string;
}

/** The execution context graphql-sse hands back (a type alias: graphql-sse wants a plain record). */
type SseOperationContext = { prepared: PreparedOperation };

/** Whether a request asks for an event stream (`accept: text/event-stream`, among others or alone). */
function acceptsEventStream(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((type) => type.split(";")[0]?.trim().toLowerCase() === EVENT_STREAM);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The HTTP status and headers a client error asks for (`clientError` puts them in `extensions.http`). */
function httpOf(error: GraphQLError | undefined): { status: number; headers: Record<string, string> } {
  const http = error?.extensions["http"];
  const status = isRecord(http) && typeof http["status"] === "number" ? http["status"] : 400;
  const headers = isRecord(http) && http["headers"] instanceof HeaderMap ? Object.fromEntries(http["headers"]) : {};
  return { status, headers };
}

function headerMapOf(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
  return headers;
}

/**
 * GraphQL over Server-Sent Events (graphql-sse, distinct connections mode) on `/graphql`:
 * a request that accepts `text/event-stream` gets its operation's results as events, so
 * plain HTTP clients can subscribe. Credentials are the HTTP headers; the checks, the
 * execution and the subscription lifecycle are the WebSocket transport's, from the same
 * core. Refusals before the stream opens are ordinary JSON error responses with the HTTP
 * status they carry (401, 403, 429...).
 *
 * Returns a route for the HTTP server's route hook: true when it answered the request.
 */
export function createSseRoute(options: SseTransportOptions): (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<boolean> {
  const { subscriptions, settings, logger } = options;

  function refusalResponse(refusal: OperationRefusal): SseResponse {
    const { status, headers } = httpOf(refusal.errors[0]);
    const body = JSON.stringify({ errors: subscriptions.mask(refusal.errors, refusal.requestId) });
    return [body, { status, statusText: "", headers: { ...headers, "content-type": "application/json; charset=utf-8" } }];
  }

  const handler = createHandler<IncomingMessage, SseRequestContext, SseOperationContext>({
    // The core validated the operation in onSubscribe, against the schema it will run on.
    validate: () => [],
    async onSubscribe(req, params) {
      const { session, requestId } = req.context;
      const prepared = await subscriptions.prepare(session, { query: params.query, variables: params.variables, operationName: params.operationName }, requestId);
      if (!(prepared instanceof PreparedOperation)) return refusalResponse(prepared);
      return {
        schema: prepared.schema,
        document: prepared.document,
        operationName: prepared.operation.name?.value,
        variableValues: params.variables,
        contextValue: { prepared },
      };
    },
    execute: (args) => subscriptions.run(args.contextValue.prepared),
    subscribe: (args) => subscriptions.run(args.contextValue.prepared),
  });

  function sendErrors(res: ServerResponse, requestId: string, errors: readonly GraphQLError[]): void {
    const { status, headers } = httpOf(errors[0]);
    res.writeHead(status, { ...headers, "content-type": "application/json; charset=utf-8", "x-request-id": requestId });
    res.end(JSON.stringify({ errors: subscriptions.mask(errors, requestId) }));
  }

  /** Writes the event stream as graphql-sse produces it, until it ends or the client goes. */
  async function stream(body: AsyncGenerator<string, void, undefined>, res: ServerResponse, session: ClientSession): Promise<void> {
    const stop = (): void => void body.return(undefined);
    res.once("close", stop);
    try {
      for await (const chunk of body) {
        if (!res.writable) break;
        // Not waiting for each write: graphql-sse queues results without bound behind a slow
        // write anyway, so the bound is on what the response holds unsent.
        res.write(chunk);
        if (res.writableLength > settings.maxBufferedBytes) {
          logger.warn({ session: session.id, bufferedBytes: res.writableLength }, "dropping an SSE client that stopped reading");
          session.dropSlowConsumer();
          break;
        }
      }
    } finally {
      res.off("close", stop);
    }
    if (!res.destroyed) res.end();
  }

  return async (req, res, requestId) => {
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    if (pathname !== GRAPHQL_SSE_PATH || (req.method !== "POST" && req.method !== "GET") || !acceptsEventStream(req.headers.accept)) return false;

    const headers = headerMapOf(req);
    let session: ClientSession;
    try {
      session = await subscriptions.openSession(credentialsFrom(headers), { transport: "sse", dropConnection: () => res.destroy() });
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      sendErrors(res, requestId, [error]);
      return true;
    }
    try {
      let body: string | null = null;
      if (req.method === "POST") {
        try {
          body = await readBody(req, options.maxBodyBytes);
        } catch (error) {
          if (!(error instanceof BodyTooLarge)) throw error;
          // The rest of the body is not read; close the connection rather than drain it.
          res.setHeader("connection", "close");
          sendErrors(res, requestId, [clientError(ErrorCode.PAYLOAD_TOO_LARGE, `request body exceeds ${options.maxBodyBytes} bytes`)]);
          return true;
        }
      }
      const [responseBody, init] = await handler({
        method: req.method,
        url: req.url ?? "/",
        headers: {
          // graphql-sse compares `accept` whole; this request has been matched as an event stream already.
          get: (key) => (key.toLowerCase() === "accept" ? EVENT_STREAM : headers.get(key.toLowerCase())),
        },
        body,
        raw: req,
        context: { session, requestId },
      });
      res.writeHead(init.status, { ...init.headers, "x-request-id": requestId });
      if (responseBody === null || typeof responseBody === "string") res.end(responseBody ?? undefined);
      else await stream(responseBody, res, session);
    } finally {
      session.close();
    }
    return true;
  };
}
