import type { GraphQLFormattedError } from "graphql";
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, createClient, type Client, type FormattedExecutionResult } from "graphql-ws";
import WebSocket from "ws";

/** A gateway's graphql-ws URL, from its GraphQL-over-HTTP URL. */
export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, "ws");
}

/** How an operation ended: completed, refused with an `error` message, or its socket closed. */
export type OperationEnd = { kind: "complete" } | { kind: "error"; errors: readonly GraphQLFormattedError[] } | { kind: "closed"; code: number; reason: string };

/** One operation's results as they arrive, and how it ended. */
export interface RecordedOperation<TData> {
  readonly results: FormattedExecutionResult<TData, unknown>[];
  readonly ended: Promise<OperationEnd>;
  /** Resolves once `count` results have arrived; rejects if the operation ends first. */
  received(count: number): Promise<FormattedExecutionResult<TData, unknown>[]>;
  /** Completes the operation from the client's side. */
  unsubscribe(): void;
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === "object" && value !== null && typeof (value as { code?: unknown }).code === "number";
}

function isFormattedErrors(value: unknown): value is GraphQLFormattedError[] {
  return Array.isArray(value) && value.every((item: unknown) => typeof item === "object" && item !== null && "message" in item);
}

/**
 * A graphql-ws client that connects at once and keeps its one socket until disposed, so all
 * of a test's operations share a connection (one connect against the rate limit, one
 * credential for its lifetime), and never retries, so a test sees every close.
 */
export function connectWs(url: string, connectionParams: Record<string, unknown> | (() => Promise<Record<string, unknown>>)): Client {
  // Each operation reports its own failure; the connection's is the test's to look at, not to log.
  return createClient({ url, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined });
}

/** Starts an operation on `client`, recording what it gets. */
export function record<TData = Record<string, unknown>>(client: Client, query: string, variables: Record<string, unknown> = {}): RecordedOperation<TData> {
  const results: FormattedExecutionResult<TData, unknown>[] = [];
  const waiters: { count: number; resolve(results: FormattedExecutionResult<TData, unknown>[]): void; reject(error: Error): void }[] = [];
  let finish: (end: OperationEnd) => void = () => undefined;
  const ended = new Promise<OperationEnd>((resolve) => (finish = resolve));
  const unsubscribe = client.subscribe<TData, unknown>(
    { query, variables },
    {
      next: (result) => {
        results.push(result);
        for (const waiter of waiters.filter((w) => results.length >= w.count)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(results.slice(0, waiter.count));
        }
      },
      error: (error: unknown) => {
        if (isCloseEvent(error)) finish({ kind: "closed", code: error.code, reason: error.reason });
        else if (isFormattedErrors(error)) finish({ kind: "error", errors: error });
        else finish({ kind: "closed", code: 0, reason: error instanceof Error ? error.message : String(error) });
      },
      complete: () => finish({ kind: "complete" }),
    },
  );
  void ended.then((end) => {
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`operation ended (${JSON.stringify(end)}) after ${results.length} results: ${JSON.stringify(results)}`));
  });
  return {
    results,
    ended,
    received: (count) =>
      results.length >= count
        ? Promise.resolve(results.slice(0, count))
        : new Promise((resolve, reject) => {
            waiters.push({ count, resolve, reject });
          }),
    unsubscribe,
  };
}

/** Runs a query or mutation over `client` and resolves its single result. */
export async function executeWs<TData = Record<string, unknown>>(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<FormattedExecutionResult<TData, unknown>> {
  const operation = record<TData>(client, query, variables);
  const end = await operation.ended;
  if (end.kind !== "complete" || operation.results.length !== 1) throw new Error(`expected one result, got ${JSON.stringify({ end, results: operation.results })}`);
  return operation.results[0]!;
}

/** A WebSocket that speaks graphql-transport-ws by hand, for protocol violations. */
export class RawSocket {
  private readonly inbox: unknown[] = [];
  private waiting: ((message: unknown) => void) | undefined;
  /** Resolves with the close code and reason once the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: WebSocket.RawData) => {
      const message: unknown = JSON.parse(String(data));
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting(message);
      else this.inbox.push(message);
    });
    this.closed = new Promise((resolve) => socket.once("close", (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a socket to `url` offering `protocols` (graphql-transport-ws unless told otherwise). */
  static open(url: string, protocols: string[] = [GRAPHQL_TRANSPORT_WS_PROTOCOL]): Promise<RawSocket> {
    const socket = new WebSocket(url, protocols);
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(new RawSocket(socket)));
      socket.once("error", reject);
    });
  }

  /** Sends a message: an object as JSON, a string as it is. */
  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The next message received (waiting for it if none is pending). */
  next(): Promise<unknown> {
    const message = this.inbox.shift();
    if (message !== undefined) return Promise.resolve(message);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Sends `connection_init` with `payload` and resolves the server's answer. */
  async init(payload?: Record<string, unknown>): Promise<unknown> {
    this.send(payload ? { type: "connection_init", payload } : { type: "connection_init" });
    return this.next();
  }

  /** Cuts the socket (no closing handshake). */
  close(): void {
    this.socket.terminate();
  }
}
