import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter } from "prom-client";
import { ErrorCode } from "../errors";
import { isRequestId, uuidv7 } from "../ids";
import type { Logger } from "../logger";
import { metricsRegistry } from "../metrics";

/** A running HTTP server. */
export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * A service's own routes, offered every request before the built-in ones: resolves true once
 * it has answered the request, false to let the built-in routes have it. A rejection is
 * logged and answered 500.
 */
export type HttpRoutes = (req: IncomingMessage, res: ServerResponse, requestId: string, url: URL) => Promise<boolean>;

/** Options for {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Service name, for metrics. */
  name: string;
  port: number;
  host?: string;
  /** Path appended to the server's address to make {@link RunningServer.url} (`/graphql`, say). */
  urlPath: string;
  /** Resolves when the service's dependencies are reachable (`GET /ready`). */
  ready(): Promise<void>;
  logger: Logger;
  routes: HttpRoutes;
  /** Attach extra protocol handlers (WebSocket upgrades) to the server before it listens. */
  configure?(server: Server): void;
}

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

/** Answers with a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

/** Answers with the platform's error shape (`errors[].extensions.code` and the request id). */
export function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, requestId: string, headers: Readonly<Record<string, string>> = {}): void {
  sendJson(res, status, { errors: [{ message, extensions: { code, requestId } }] }, { "x-request-id": requestId, ...headers });
}

/** Reads a request body's bytes, refusing ({@link BodyTooLarge}) one over `limit` bytes before reading it all. */
export async function readBodyBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
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
  return Buffer.concat(chunks);
}

/** Reads a request body as UTF-8, refusing ({@link BodyTooLarge}) one over `limit` bytes before reading it all. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return (await readBodyBytes(req, limit)).toString("utf8");
}

/**
 * The HTTP bootstrap under every service: the service's routes, plus `GET /health`,
 * `GET /ready` and `GET /metrics`. Every request gets an id (a valid incoming
 * `x-request-id` is kept so one id crosses service boundaries). `stop()` lets requests in
 * flight finish, closing their connections, and cuts them after a grace period.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const { logger } = options;
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
    const requestId = isRequestId(incomingId) ? incomingId : uuidv7();
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      if (await options.routes(req, res, requestId, url)) return;
      switch (url.pathname) {
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
    url: `http://${host}:${port}${options.urlPath}`,
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
    },
  };
}
