import type { ApolloServerPlugin } from "@apollo/server";
import { ErrorCode, clientError } from "../../../lib/errors";
import type { GatewayContext } from "../context";

/**
 * Refuses a subscription sent as a plain GraphQL-over-HTTP request with `BAD_REQUEST`
 * (HTTP 400) naming the transports that serve it, rather than letting the gateway fail it
 * as an internal error.
 */
export function subscriptionsOverHttpPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== "subscription") return;
          const error = clientError(
            ErrorCode.BAD_REQUEST,
            "subscriptions are served at /graphql over WebSocket (graphql-transport-ws) or Server-Sent Events (accept: text/event-stream)",
          );
          error.extensions["http"] = { status: 400 };
          throw error;
        },
      };
    },
  };
}
