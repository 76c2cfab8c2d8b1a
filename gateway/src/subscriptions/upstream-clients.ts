import type { GraphQLFormattedError } from "graphql";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { IdentitySigner } from "../../../lib/auth/identity";
import { Role, SCOPE_RELAY_SUBSCRIPTIONS } from "../../../lib/auth/roles";
import type { Logger } from "../../../lib/logger";
import type { UpstreamEvent } from "./event-execution";

/** One subscription as sent to its owning subgraph. */
export interface UpstreamRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  /** The caller's identity token for this subgraph. */
  identity: string;
  /** The gateway's id for the subscription, so one id crosses service boundaries in the logs. */
  requestId: string;
}

/** Why an upstream subscription failed. */
export type UpstreamFailure =
  /** The subgraph refused or ended the operation with errors of its own. */
  | { kind: "errors"; errors: readonly GraphQLFormattedError[] }
  /** The connection to the subgraph could not be opened, or closed under the subscription. */
  | { kind: "connection"; detail: string };

/** Receives one upstream subscription's events, then exactly one of `fail` or `complete`. */
export interface UpstreamSink {
  event(event: UpstreamEvent): void;
  fail(failure: UpstreamFailure): void;
  complete(): void;
}

/** Options for {@link UpstreamClients}. */
export interface UpstreamClientsOptions {
  /** A subgraph's HTTP URL; its WebSocket endpoint is the same URL with the ws scheme. */
  urlOf(subgraph: string): string | undefined;
  signer: IdentitySigner;
  logger: Logger;
}

/** The gateway's own identity on a relay connection: no tenant's data, only the right to relay. */
const RELAY_IDENTITY = { sub: "gateway", tenant: "gateway", role: Role.VIEWER, scopes: [SCOPE_RELAY_SUBSCRIPTIONS] } as const;

/** Type guard: the `errors` payload of a graphql-ws `error` message. */
function isFormattedErrors(value: unknown): value is GraphQLFormattedError[] {
  return Array.isArray(value) && value.length > 0 && value.every((item: unknown) => typeof item === "object" && item !== null && typeof (item as { message?: unknown }).message === "string");
}

/** A loggable description of what graphql-ws reports when a connection fails. */
function describeFailure(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === "object" && value !== null) {
    const { code, reason } = value as { code?: unknown; reason?: unknown };
    if (typeof code === "number") return `closed ${code}${typeof reason === "string" && reason ? ` ${reason}` : ""}`;
  }
  return "connection failed";
}

/** A subgraph's graphql-ws endpoint: its HTTP URL with the ws scheme. */
function webSocketUrlOf(httpUrl: string): string {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/**
 * One multiplexed graphql-ws connection per subgraph, opened when a subscription needs it
 * and closed when its last subscription ends. The connection authenticates as the gateway
 * (a fresh relay token per connect: identity tokens are short-lived); each subscription
 * carries its caller's own identity token.
 *
 * A connection that fails takes its subscriptions with it, and the next subscription opens
 * a new connection: no retries, since graphql-ws would silently resubscribe with identity
 * tokens that may have expired, across a gap in which events were lost.
 */
export class UpstreamClients {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly options: UpstreamClientsOptions) {}

  /** Starts `request` on `subgraph`; returns the function that ends it (idempotent). */
  subscribe(subgraph: string, request: UpstreamRequest, sink: UpstreamSink): () => void {
    const client = this.clientOf(subgraph);
    if (!client) {
      // Never synchronously: the caller is still setting the subscription up.
      queueMicrotask(() => sink.fail({ kind: "connection", detail: `the supergraph has no subgraph ${subgraph}` }));
      return () => undefined;
    }
    let done = false;
    const finish = (): boolean => {
      const first = !done;
      done = true;
      return first;
    };
    const unsubscribe = client.subscribe<Record<string, unknown>, unknown>(
      {
        query: request.query,
        ...(request.operationName ? { operationName: request.operationName } : {}),
        variables: request.variables,
        extensions: { identity: request.identity, requestId: request.requestId },
      },
      {
        next: (event) => {
          if (!done) sink.event(event);
        },
        // With no retries, graphql-ws reports here every way a subscription can fail: the
        // subgraph's `error` message, a connection that could not open, or one that closed.
        error: (error: unknown) => {
          if (!finish()) return;
          if (isFormattedErrors(error)) return sink.fail({ kind: "errors", errors: error });
          const detail = describeFailure(error);
          this.options.logger.warn({ subgraph, requestId: request.requestId, reason: detail }, "upstream subscription failed");
          sink.fail({ kind: "connection", detail });
        },
        complete: () => {
          if (finish()) sink.complete();
        },
      },
    );
    return () => {
      if (finish()) unsubscribe();
    };
  }

  /** Closes every connection (end their subscriptions first: they would complete). */
  async dispose(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((client) => client.dispose()));
  }

  /** The subgraph's client, created on first use; undefined for a subgraph the supergraph does not have. */
  private clientOf(subgraph: string): Client | undefined {
    const existing = this.clients.get(subgraph);
    if (existing) return existing;
    const { signer, logger, urlOf } = this.options;
    const httpUrl = urlOf(subgraph);
    if (!httpUrl) return undefined;
    let lastUrl = webSocketUrlOf(httpUrl);
    const client = createClient({
      // Read at every connect, so a reloaded supergraph that moves the subgraph is followed.
      // It must not throw: graphql-ws would leave the connection attempt hanging.
      url: () => {
        const current = urlOf(subgraph);
        try {
          if (current) lastUrl = webSocketUrlOf(current);
        } catch {
          logger.error({ subgraph, url: current }, "subgraph URL is not a URL; keeping the last good one");
        }
        return lastUrl;
      },
      webSocketImpl: WebSocket,
      lazy: true,
      // Closed as soon as it is idle: graphql-ws's idle timer outlives dispose() and would hold
      // a stopped gateway's process open. Subscriptions are long-lived; reconnecting is cheap.
      lazyCloseTimeout: 0,
      retryAttempts: 0,
      connectionParams: async () => ({ authorization: `Bearer ${await signer.sign(RELAY_IDENTITY, subgraph)}` }),
      on: {
        connected: () => logger.debug({ subgraph }, "subscription relay connected"),
      },
    });
    this.clients.set(subgraph, client);
    return client;
  }
}
