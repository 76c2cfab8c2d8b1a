import { HeaderMap, type ApolloServerPlugin, type BaseContext } from "@apollo/server";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { Logger } from "./logger";

/**
 * Every error code a client can see. Anything else is masked as
 * `INTERNAL_SERVER_ERROR`, so a new client-facing failure must be added here on purpose.
 */
export const ErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  QUERY_TOO_COMPLEX: "QUERY_TOO_COMPLEX",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  RATE_LIMITED: "RATE_LIMITED",
  GRAPHQL_PARSE_FAILED: "GRAPHQL_PARSE_FAILED",
  GRAPHQL_VALIDATION_FAILED: "GRAPHQL_VALIDATION_FAILED",
  BAD_REQUEST: "BAD_REQUEST",
  OPERATION_RESOLUTION_FAILURE: "OPERATION_RESOLUTION_FAILURE",
  PERSISTED_QUERY_NOT_SUPPORTED: "PERSISTED_QUERY_NOT_SUPPORTED",
  PERSISTED_QUERY_NOT_FOUND: "PERSISTED_QUERY_NOT_FOUND",
  /** A subscription ended because its subscriber fell too far behind its events (subscribe again to resume). */
  SUBSCRIBER_TOO_SLOW: "SUBSCRIBER_TOO_SLOW",
  /** A subscribe refused: the connection or the tenant already holds as many subscriptions as allowed. */
  SUBSCRIPTION_LIMIT_EXCEEDED: "SUBSCRIPTION_LIMIT_EXCEEDED",
  /** A subscription ended because the credential it was started with expired: reconnect with a fresh one. */
  SUBSCRIPTION_CREDENTIALS_EXPIRED: "SUBSCRIPTION_CREDENTIALS_EXPIRED",
  /** A subscription ended because the gateway loaded a new supergraph: subscribe again. */
  SUBSCRIPTION_SCHEMA_RELOAD: "SUBSCRIPTION_SCHEMA_RELOAD",
  /** A subscription ended because the subgraph serving it failed or went away: subscribe again. */
  SUBSCRIPTION_UPSTREAM_FAILED: "SUBSCRIPTION_UPSTREAM_FAILED",
  /** A dependency (the database) is unreachable: send the same request again later (see `Retry-After`). */
  TEMPORARILY_UNAVAILABLE: "TEMPORARILY_UNAVAILABLE",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;

/** A code from {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SUBSCRIPTION_LIMIT_EXCEEDED: 429,
};

const CLIENT_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Type guard: is `value` one of the registered client-facing codes? */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && CLIENT_CODES.has(value);
}

/**
 * The one way to raise an error a client should see: a GraphQL error carrying a
 * registered code (and the matching HTTP status where the code implies one). `headers` go
 * on the HTTP response (`Retry-After`, say): Apollo Server sets the response's status and
 * headers from `extensions.http` and drops that extension from the body.
 */
export function clientError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, headers: Readonly<Record<string, string>> = {}): GraphQLError {
  const status = HTTP_STATUS[code];
  const entries = Object.entries(headers);
  const http = {
    ...(status ? { status } : {}),
    ...(entries.length > 0 ? { headers: new HeaderMap(entries) } : {}),
  };
  return new GraphQLError(message, {
    extensions: { ...extensions, code, ...(Object.keys(http).length > 0 ? { http } : {}) },
  });
}

/**
 * A client error raised during execution (a resolver, an access check): the code without
 * an HTTP status. One field's refusal must not turn the whole response into a 403: in a
 * subgraph that would make the gateway discard the response's other data and the message.
 */
export function fieldError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/**
 * A graphql-js error (from parsing, validation, variable coercion) recoded with `code`, its
 * locations kept: graphql-js sets no code, and a client must tell a parse failure from a
 * validation failure without reading the message.
 */
export function withCode(error: GraphQLError, code: ErrorCode): GraphQLError {
  return new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    extensions: { ...error.extensions, code },
  });
}

/**
 * Builds an Apollo `formatError` that lets registered codes through (without stack
 * traces) and replaces everything else with `INTERNAL_SERVER_ERROR` plus the request id,
 * logging the original. `requestIdOf` reads the id from the error's context, if any.
 */
export function createErrorMasker(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.["code"];
    const requestId = formatted.extensions?.["requestId"];
    if (isErrorCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: error, path: formatted.path }, "unexpected error masked");
    return {
      message: "Internal server error",
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...(typeof requestId === "string" ? { requestId } : {}) },
    };
  };
}

/**
 * Stamps masked errors with the request id (also sent as `x-request-id`), so a client can
 * quote it and an operator can find the logged detail.
 */
export function requestIdPlugin<TContext extends BaseContext & { requestId?: string }>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== "single" || !response.body.singleResult.errors || !contextValue.requestId) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) =>
            error.extensions?.["code"] === ErrorCode.INTERNAL_SERVER_ERROR ? { ...error, extensions: { ...error.extensions, requestId: contextValue.requestId } } : error,
          );
        },
      };
    },
  };
}
