import type { GraphQLFormattedError } from "graphql";
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, createClient, type Client, type ClientOptions, type FormattedExecutionResult } from "graphql-ws";
import WebSocket from "ws";

/** A service's graphql-ws URL, from its GraphQL-over-HTTP URL. */
export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, "ws");
}

/** How a socket closed. */
export interface SocketClose {
  code: number;
  reason: string;
}

/** How an operation ended: completed, refused with an `error` message, or its socket closed. */
export type OperationEnd = { kind: "complete" } | { kind: "error"; errors: readonly GraphQLFormattedError[] } | ({ kind: "closed" } & SocketClose);

/** One operation's results as they arrive, and how it ended. */
export interface RecordedOperation<TData> {
  /** Every result received so far, in order. */
  readonly results: readonly FormattedExecutionResult<TData>[];
  /** Resolves when the operation ends, however it ends. */
  readonly ended: Promise<OperationEnd>;
  /** Resolves once `count` results have arrived, with the first `count`; rejects if the operation ends first. */
  received(count: number): Promise<FormattedExecutionResult<TData>[]>;
  /** Resolves with the first result (received already or later) that `predicate` accepts; rejects if the operation ends first. */
  waitFor(predicate: (result: FormattedExecutionResult<TData>) => boolean): Promise<FormattedExecutionResult<TData>>;
  /** Completes the operation from the client's side. */
  unsubscribe(): void;
}

/** A graphql-ws client, with the transport underneath it in reach. */
export interface WsClient extends Client {
  /** The client's raw sockets, newest last (a test pauses one to play a client that stops reading). */
  readonly sockets: readonly WebSocket[];
  /** Resolves with the code and reason of the first close of the client's socket. */
  readonly closed: Promise<SocketClose>;
}

function isCloseEvent(value: unknown): value is SocketClose {
  return typeof value === "object" && value !== null && typeof (value as { code?: unknown }).code === "number";
}

function isFormattedErrors(value: unknown): value is GraphQLFormattedError[] {
  return Array.isArray(value) && value.every((item: unknown) => typeof item === "object" && item !== null && "message" in item);
}

/**
 * A graphql-ws client that connects at once and keeps its one socket until disposed, so all
 * of a test's operations share a connection (one connect against the rate limit, one
 * credential for its lifetime), and never retries, so a test sees every close and refusal.
 * `connectionParams` is sent with `connection_init`.
 */
export function connectWs(url: string, connectionParams: ClientOptions["connectionParams"]): WsClient {
  const sockets: WebSocket[] = [];
  // Records every socket the client opens, so a test can reach the transport underneath.
  class RecordingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      sockets.push(this);
    }
  }
  let resolveClosed: (close: SocketClose) => void = () => undefined;
  const closed = new Promise<SocketClose>((resolve) => (resolveClosed = resolve));
  const client = createClient({
    url,
    webSocketImpl: RecordingWebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    // Each operation reports its own failure; the connection's is the test's to look at, not to log.
    onNonLazyError: () => undefined,
    on: {
      closed: (event) => {
        if (isCloseEvent(event)) resolveClosed({ code: event.code, reason: String(event.reason) });
      },
    },
  });
  return Object.assign(client, { sockets, closed });
}

/**
 * Starts an operation on `client`, recording what it gets. `extensions` go with the subscribe
 * message (a subgraph reads its caller's identity token there).
 */
export function record<TData = Record<string, unknown>>(client: Client, query: string, variables: Record<string, unknown> = {}, extensions?: Record<string, unknown>): RecordedOperation<TData> {
  const results: FormattedExecutionResult<TData>[] = [];
  /** Checks run on every result and at the end, until each has settled its promise. */
  const waiters = new Set<() => void>();
  let end: OperationEnd | undefined;
  let settle: (end: OperationEnd) => void = () => undefined;
  const ended = new Promise<OperationEnd>((resolve) => (settle = resolve));
  const finish = (value: OperationEnd) => {
    if (end) return;
    end = value;
    settle(value);
    for (const check of [...waiters]) check();
  };
  const unsubscribe = client.subscribe<TData, Record<string, unknown>>(
    { query, variables, ...(extensions ? { extensions } : {}) },
    {
      next: (result) => {
        results.push(result);
        for (const check of [...waiters]) check();
      },
      error: (error: unknown) => {
        if (isCloseEvent(error)) finish({ kind: "closed", code: error.code, reason: String(error.reason) });
        else if (isFormattedErrors(error)) finish({ kind: "error", errors: error });
        else finish({ kind: "closed", code: 0, reason: error instanceof Error ? error.message : String(error) });
      },
      complete: () => finish({ kind: "complete" }),
    },
  );
  /** Resolves with what `found` finds in the results, now or as they arrive; rejects once the operation has ended without it. */
  function until<T>(found: () => T | undefined, awaited: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value === undefined && !end) return;
        waiters.delete(check);
        if (value !== undefined) resolve(value);
        else reject(new Error(`operation ended (${JSON.stringify(end)}) before ${awaited}, after ${results.length} results: ${JSON.stringify(results)}`));
      };
      waiters.add(check);
      check();
    });
  }
  return {
    results,
    ended,
    unsubscribe,
    received: (count) => until(() => (results.length >= count ? results.slice(0, count) : undefined), `${count} results`),
    waitFor: (predicate) => until(() => results.find(predicate), "the awaited result"),
  };
}

/** Runs a query or mutation over `client` and resolves its single result. */
export async function executeWs<TData = Record<string, unknown>>(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<FormattedExecutionResult<TData>> {
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
  readonly closed: Promise<SocketClose>;

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
