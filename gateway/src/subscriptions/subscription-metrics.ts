import { Counter, Gauge, Histogram } from "prom-client";
import { metricsRegistry } from "../../../lib/metrics";

/** How a client reaches the gateway's subscriptions, as a metric label. */
export type Transport = "ws" | "sse";

/**
 * Why a subscription ended, as a metric label: the client left or completed it, the subgraph
 * completed or failed it, or the gateway ended it (expired credentials, a new supergraph, a
 * client too slow to keep up, shutdown).
 */
export type EndReason = "client" | "upstream_complete" | "upstream_failed" | "credentials_expired" | "schema_reload" | "slow_consumer" | "shutdown";

// Labels are root field names (bounded by the schema) and small enums; never tenants or ids.

/** Open WebSocket connections on `/graphql`. */
export const websocketConnections = new Gauge({
  name: "gateway_websocket_connections",
  help: "Open WebSocket connections on /graphql",
  registers: [metricsRegistry],
});

/** Client subscriptions running now, by root field and transport. */
export const activeSubscriptions = new Gauge<"field" | "transport">({
  name: "gateway_subscriptions_active",
  help: "Client subscriptions running at the gateway, by root field and transport",
  labelNames: ["field", "transport"],
  registers: [metricsRegistry],
});

/**
 * Upstream subscriptions running now, by root field: one per group of identical client
 * subscriptions (see `SharedSubscription`), so beside {@link activeSubscriptions} it shows
 * how many clients each subgraph subscription and each event's execution serves.
 */
export const upstreamSubscriptions = new Gauge<"field">({
  name: "gateway_subscriptions_upstream_active",
  help: "Subscriptions the gateway holds open at its subgraphs, each shared by every client subscription whose results are identical, by root field",
  labelNames: ["field"],
  registers: [metricsRegistry],
});

/** Events handed to clients, by root field. */
export const deliveredEvents = new Counter<"field">({
  name: "gateway_subscription_events_delivered_total",
  help: "Subscription events delivered to clients, by root field",
  labelNames: ["field"],
  registers: [metricsRegistry],
});

/** From an event's arrival from its subgraph to its result written to the client. */
export const deliverySeconds = new Histogram<"field">({
  name: "gateway_subscription_delivery_seconds",
  help: "Time from a subscription event's arrival from its subgraph to its result written to the client, by root field",
  labelNames: ["field"],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

/** Subscriptions that ended, by reason. */
export const endedSubscriptions = new Counter<"reason">({
  name: "gateway_subscriptions_ended_total",
  help: "Subscriptions ended, by reason",
  labelNames: ["reason"],
  registers: [metricsRegistry],
});

/** Clients dropped because they stopped reading, by transport. */
export const slowConsumerDrops = new Counter<"transport">({
  name: "gateway_slow_consumers_dropped_total",
  help: "Clients dropped because they fell too far behind their subscriptions, by transport",
  labelNames: ["transport"],
  registers: [metricsRegistry],
});
