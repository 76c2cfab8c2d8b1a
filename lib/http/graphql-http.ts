import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { Histogram } from "prom-client";
import { ErrorCode } from "../errors";
import { withQueryCounter } from "../db/query-counter";
import { metricsRegistry } from "../metrics";
import type { Logger } from "../logger";
import { BodyTooLarge, readBody, sendError, startHttpServer, type RunningServer } from "./http-server";

// Every service's factory returns this; most import it from here, next to the GraphQL bootstrap.
export type { RunningServer } from "./http-server";

/** Per-request facts handed to the context factory. */
export interface HttpRequestInfo {
  requestId: string;
  headers: HeaderMap;
  /** The underlying request, for adapters that need the socket (never for business logic). */
  raw: IncomingMessage;
}

/** What one GraphQL request cost, reported after it completes. */
export interface RequestStats {
  requestId: string;
  operationName: string | null;
  sqlStatements: number;
  durationMs: number;
  status: number;
}

/** Options for {@link startGraphQLHttpServer}. */
export interface GraphQLHttpServerOptions<TContext extends BaseContext> {
  /** Service name, for metrics. */
  name: string;
  apollo: ApolloServer<TContext>;
  context(info: HttpRequestInfo): Promise<TContext>;
  port: number;
  host?: string;
  /** Largest request body accepted; larger is 413 `PAYLOAD_TOO_LARGE`. */
  maxBodyBytes: number;
  /** Resolves when the service's dependencies are reachable (`GET /ready`). */
  ready(): Promise<void>;
  logger: Logger;
  /** Told what each request cost; only then are its SQL statements counted. */
  onRequest?(stats: RequestStats): void;
  /** Attach extra protocol handlers (WebSocket upgrades) to the server before it listens. */
  configure?(server: Server): void;
  /**
   * Offered every request before the built-in routes (GraphQL over SSE, static pages):
   * resolves true once it has answered the request, false to let the built-in routes have it.
   * A rejection is logged and answered 500, like any other route's failure.
   */
  routes?(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<boolean>;
}

const requestSeconds = new Histogram({
  name: "hub_graphql_request_duration_seconds",
  help: "GraphQL request duration by operation",
  labelNames: ["server", "operation", "status"],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

const MAX_OPERATION_LABELS = 200;
const operationLabels = new Set<string>();

/**
 * Operation names are chosen by clients, so as metric labels they are bounded: well-formed
 * names up to a fixed number of distinct ones, everything else under one label.
 */
function operationLabel(name: string | null): string {
  if (name === null) return "anonymous";
  if (operationLabels.has(name)) return name;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) || operationLabels.size >= MAX_OPERATION_LABELS) return "other";
  operationLabels.add(name);
  return name;
}

function operationNameOf(body: unknown, search: string): string | null {
  if (typeof body === "object" && body !== null) {
    const name = (body as { operationName?: unknown }).operationName;
    return typeof name === "string" ? name : null;
  }
  return new URLSearchParams(search).get("operationName");
}

/**
 * The HTTP bootstrap of every GraphQL service: `POST`/`GET /graphql` through Apollo Server
 * (GraphQL-over-HTTP) on top of {@link startHttpServer} (request ids, `GET /health`,
 * `GET /ready`, `GET /metrics`, graceful stop). Bodies are size-limited before parsing; with
 * `onRequest`, every request's SQL statements are counted and reported.
 */
export async function startGraphQLHttpServer<TContext extends BaseContext>(
  options: GraphQLHttpServerOptions<TContext>,
): Promise<RunningServer> {
  const { apollo, logger } = options;

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, requestId: string, search: string): Promise<void> {
    const started = performance.now();
    let text: string;
    try {
      text = await readBody(req, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        // The rest of the body is not read; close the connection rather than drain it.
        res.setHeader("connection", "close");
        return sendError(res, 413, ErrorCode.PAYLOAD_TOO_LARGE, `request body exceeds ${options.maxBodyBytes} bytes`, requestId);
      }
      throw error;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    let body: unknown = text;
    if (text.length > 0 && (headers.get("content-type") ?? "").includes("json")) {
      try {
        body = JSON.parse(text);
      } catch {
        return sendError(res, 400, ErrorCode.BAD_REQUEST, "request body is not valid JSON", requestId);
      }
    }
    const execute = () =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? "GET", headers, search, body },
        context: () => options.context({ requestId, headers, raw: req }),
      });
    // Counting needs an AsyncLocalStorage, whose promise hooks tax every promise in the
    // process once one is entered: only a service asked for the stats pays for them.
    const { result: pending, count } = options.onRequest ? withQueryCounter(execute) : { result: execute(), count: null };
    const response = await pending;
    const status = response.status ?? 200;
    res.statusCode = status;
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.setHeader("x-request-id", requestId);
    if (response.body.kind === "complete") {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
    const durationMs = performance.now() - started;
    const operationName = operationNameOf(body, search);
    requestSeconds.observe({ server: options.name, operation: operationLabel(operationName), status }, durationMs / 1000);
    options.onRequest?.({ requestId, operationName, sqlStatements: count?.statements ?? 0, durationMs, status });
  }

  const server = await startHttpServer({
    name: options.name,
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    urlPath: "/graphql",
    ready: options.ready,
    logger,
    ...(options.configure ? { configure: options.configure } : {}),
    async routes(req, res, requestId, url) {
      if (options.routes && (await options.routes(req, res, requestId))) return true;
      if (url.pathname !== "/graphql") return false;
      await handleGraphQL(req, res, requestId, url.search);
      return true;
    },
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await apollo.stop();
    },
  };
}
