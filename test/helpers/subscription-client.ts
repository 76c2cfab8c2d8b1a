import { createClient, type Client, type FormattedExecutionResult } from "graphql-ws";
import WebSocket from "ws";
import type { GraphQLFormattedError } from "graphql";

/** The graphql-ws URL of a service whose GraphQL-over-HTTP URL is `httpUrl`. */
export function wsUrlOf(httpUrl: string): string {
  return httpUrl.replace(/^http/, "ws");
}

/** How a subscription ended: completed, an `error` message's errors, or the socket's close. */
export type SubscriptionEnd = { kind: "complete" } | { kind: "error"; errors: readonly GraphQLFormattedError[] } | { kind: "closed"; code: number; reason: string };

/** One operation on a {@link TestSubscriber}: its results as they arrive, and how it ended. */
export interface TestSubscription<TData> {
  /** Every result received so far, in order. */
  readonly results: readonly FormattedExecutionResult<TData>[];
  /** Resolves when the operation ends, however it ends. */
  readonly ended: Promise<SubscriptionEnd>;
  /** Resolves with the first result (received already or later) that `predicate` accepts; rejects if the operation ends first. */
  waitFor(predicate: (result: FormattedExecutionResult<TData>) => boolean): Promise<FormattedExecutionResult<TData>>;
  unsubscribe(): void;
}

/** A graphql-ws client as the gateway would hold one: one socket, many operations. */
export interface TestSubscriber {
  client: Client;
  /** The client's raw sockets, newest last (tests pause one to play a subscriber that stops reading). */
  sockets: readonly WebSocket[];
  /** Resolves with the code of the first close of the socket. */
  closed: Promise<{ code: number; reason: string }>;
  subscribe<TData = Record<string, unknown>>(query: string, options?: { variables?: Record<string, unknown>; extensions?: Record<string, unknown> }): TestSubscription<TData>;
  dispose(): Promise<void>;
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === "object" && value !== null && typeof (value as { code?: unknown }).code === "number";
}

function isFormattedErrors(value: unknown): value is readonly GraphQLFormattedError[] {
  return Array.isArray(value) && value.every((item) => typeof item === "object" && item !== null && "message" in item);
}

/**
 * Opens a graphql-ws client to `url` (connecting at once, never retrying, so a refusal is
 * seen as it is). `connectionParams` is sent with `connection_init`.
 */
export function connectSubscriber(url: string, connectionParams: () => Promise<Record<string, unknown>> | Record<string, unknown>): TestSubscriber {
  const sockets: WebSocket[] = [];
  // Records every socket the client opens, so a test can reach the transport underneath.
  class RecordingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      sockets.push(this);
    }
  }
  let resolveClosed: (event: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    resolveClosed = resolve;
  });
  const client = createClient({
    url,
    webSocketImpl: RecordingWebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
    on: {
      closed: (event) => {
        if (isCloseEvent(event)) resolveClosed({ code: event.code, reason: String(event.reason) });
      },
    },
  });
  return {
    client,
    sockets,
    closed,
    subscribe<TData>(query: string, options: { variables?: Record<string, unknown>; extensions?: Record<string, unknown> } = {}): TestSubscription<TData> {
      const results: FormattedExecutionResult<TData>[] = [];
      const waiters = new Set<() => void>();
      let settle: (end: SubscriptionEnd) => void = () => undefined;
      const ended = new Promise<SubscriptionEnd>((resolve) => {
        settle = (end) => {
          resolve(end);
          for (const wake of waiters) wake();
        };
      });
      let end: SubscriptionEnd | undefined;
      const finish = (value: SubscriptionEnd) => {
        end ??= value;
        settle(end);
      };
      const unsubscribe = client.subscribe<TData, Record<string, unknown>>(
        { query, ...(options.variables ? { variables: options.variables } : {}), ...(options.extensions ? { extensions: options.extensions } : {}) },
        {
          next(result) {
            results.push(result);
            for (const wake of waiters) wake();
          },
          error(error: unknown) {
            if (isFormattedErrors(error)) finish({ kind: "error", errors: error });
            else if (isCloseEvent(error)) finish({ kind: "closed", code: error.code, reason: String(error.reason) });
            else finish({ kind: "error", errors: [{ message: error instanceof Error ? error.message : String(error) }] });
          },
          complete() {
            finish({ kind: "complete" });
          },
        },
      );
      return {
        results,
        ended,
        unsubscribe,
        waitFor(predicate) {
          return new Promise((resolve, reject) => {
            const check = () => {
              const found = results.find(predicate);
              if (found) {
                waiters.delete(check);
                resolve(found);
              } else if (end) {
                waiters.delete(check);
                reject(new Error(`subscription ended (${JSON.stringify(end)}) before the awaited result; got ${JSON.stringify(results)}`));
              }
            };
            waiters.add(check);
            check();
          });
        },
      };
    },
    dispose: async () => {
      await client.dispose();
    },
  };
}
