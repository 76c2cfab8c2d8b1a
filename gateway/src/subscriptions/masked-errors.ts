import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { ErrorCode, createErrorMasker } from "../../../lib/errors";
import type { Logger } from "../../../lib/logger";

/**
 * A GraphQL error already in the form a client may see. graphql-ws and graphql-sse both
 * serialize errors with `toJSON()`, so masking once here covers every transport, and
 * anything a library raises by itself (not one of these) can still be told apart and masked.
 */
export class MaskedGraphQLError extends GraphQLError {
  constructor(readonly formatted: GraphQLFormattedError) {
    super(formatted.message);
  }

  /** The formatted error, exactly as masked. */
  override toJSON(): GraphQLFormattedError {
    return this.formatted;
  }
}

/** Turns errors into {@link MaskedGraphQLError}s, as the HTTP path's `formatError` would. */
export interface ErrorMasking {
  /** Masks an error raised at the gateway or relayed from a subgraph (stamping internal ones with `requestId`); a masked one is kept. */
  mask(error: GraphQLError, requestId: string): MaskedGraphQLError;
  /** Wraps an error Apollo Server has already formatted and masked. */
  formatted(error: GraphQLFormattedError): MaskedGraphQLError;
}

/**
 * Masking for the streaming transports: registered codes pass, everything else becomes
 * `INTERNAL_SERVER_ERROR` with the request id (the original is logged). `extensions.http`
 * is dropped: it carries the HTTP status and headers Apollo Server would apply, which mean
 * nothing inside a WebSocket message or an event stream.
 */
export function createErrorMasking(logger: Logger): ErrorMasking {
  const masker = createErrorMasker(logger);
  return {
    mask(error, requestId) {
      if (error instanceof MaskedGraphQLError) return error;
      const masked = masker(error.toJSON(), error);
      const { http: _http, ...extensions } = masked.extensions ?? {};
      if (extensions["code"] === ErrorCode.INTERNAL_SERVER_ERROR) extensions["requestId"] = requestId;
      return new MaskedGraphQLError({ ...masked, extensions });
    },
    formatted(error) {
      return new MaskedGraphQLError(error);
    },
  };
}
