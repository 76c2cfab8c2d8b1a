import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { ErrorCode } from "../errors";
import { uuidv7 } from "../ids";
import { withQueryCounter } from "../db/query-counter";
import { Counter, Histogram } from "prom-client";
import { metricsRegistry } from "../metrics";
import type { Logger } from "../logger";

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

/** A running HTTP server. */
export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** How long `stop()` lets in-flight requests finish before cutting their connections. */
const STOP_GRACE_MS = 10_000;

/** Thrown by {@link readBody} when a body is over its limit; the rest of it is left unread. */
export class BodyTooLarge extends Error {
  override readonly name = "BodyTooLarge";
}

const connections = new Counter({
  name: "hub_http_connections_total",
  help: "TCP connections accepted (low relative to requests when callers keep connections alive)",
  labelNames: ["server"],
  registers: [metricsRegistry],
});
const requestSeconds = new Histogram({
  name: "hub_graphql_request_duration_seconds",
  help: "GraphQL request duration by operation",
  labelNames: ["server", "operation", "status"],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, requestId: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code, requestId } }] }, { "x-request-id": requestId });
}

/** Reads a request body as UTF-8, refusing ({@link BodyTooLarge}) one over `limit` bytes before reading it all. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

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
 * The one HTTP bootstrap for every service: `POST`/`GET /graphql` through Apollo Server
 * (GraphQL-over-HTTP), plus `GET /health`, `GET /ready` and `GET /metrics`. Bodies are
 * size-limited before parsing; every request gets an id (a valid incoming
 * `x-request-id` is kept so one id crosses service boundaries) and its SQL statements
 * are counted.
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
    const { result: pending, count } = withQueryCounter(() =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? "GET", headers, search, body },
        context: () => options.context({ requestId, headers, raw: req }),
      }),
    );
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
    const stats: RequestStats = {
      requestId,
      operationName: operationNameOf(body, search),
      sqlStatements: count.statements,
      durationMs: performance.now() - started,
      status,
    };
    requestSeconds.observe({ server: options.name, operation: operationLabel(stats.operationName), status }, stats.durationMs / 1000);
    options.onRequest?.(stats);
  }

  let stopping = false;
  /** Responses not yet sent: told to close their connection when the server stops. */
  const inFlight = new Set<ServerResponse>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // While stopping, every response closes its connection: a client that keeps a connection
    // busy would otherwise hold the server open until its keep-alive timeout.
    if (stopping) res.setHeader("connection", "close");
    inFlight.add(res);
    res.on("close", () => inFlight.delete(res));
    const incomingId = req.headers["x-request-id"];
    const requestId = typeof incomingId === "string" && REQUEST_ID.test(incomingId) ? incomingId : uuidv7();
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      if (options.routes && (await options.routes(req, res, requestId))) return;
      switch (url.pathname) {
        case "/graphql":
          return await handleGraphQL(req, res, requestId, url.search);
        case "/health":
          return sendJson(res, 200, { status: "ok" });
        case "/ready":
          try {
            await options.ready();
            return sendJson(res, 200, { status: "ready" });
          } catch (error) {
            logger.warn({ err: error }, "not ready");
            return sendJson(res, 503, { status: "unavailable" });
          }
        case "/metrics":
          res.writeHead(200, { "content-type": metricsRegistry.contentType });
          return void res.end(await metricsRegistry.metrics());
        default:
          return sendError(res, 404, ErrorCode.NOT_FOUND, "no such route", requestId);
      }
    } catch (error) {
      logger.error({ err: error, requestId }, "request failed");
      if (!res.headersSent) sendError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error", requestId);
      else res.destroy();
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 65_000;
  server.on("connection", () => connections.inc({ server: options.name }));
  options.configure?.(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== "0.0.0.0" && options.host !== "::" ? options.host : "127.0.0.1";
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    async stop() {
      stopping = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests get this long to finish; then their connections are cut.
        setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS).unref();
      });
      await apollo.stop();
    },
  };
}
