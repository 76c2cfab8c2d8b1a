import type { Logger } from "../../lib/logger";

/** How the gateway verifies client JWTs: an HS256 secret or a JWKS endpoint. */
export interface JwtConfig {
  /** HS256 shared secret (at least 32 bytes). */
  secret?: string;
  /** JWKS URL for RS256/ES256/EdDSA tokens. */
  jwksUrl?: string;
  issuer: string;
  audience: string;
}

/** Request limits applied before any subgraph is called. */
export interface GatewayLimits {
  maxDepth: number;
  maxAliases: number;
  /** Longest accepted query text, in characters. */
  maxQueryLength: number;
  maxBodyBytes: number;
}

/** Defaults for {@link GatewayLimits}. */
export const DEFAULT_LIMITS: GatewayLimits = { maxDepth: 12, maxAliases: 30, maxQueryLength: 20_000, maxBodyBytes: 256 * 1024 };

/**
 * Per-tenant request rate limiting. Each tenant's limit is its billing plan's
 * `apiRequestsPerMinute`, cached per tenant; a tenant billing has no account for, or whose
 * limit billing cannot give, gets `unprovisionedRequestsPerMinute`.
 */
export interface GatewayRateLimit {
  /** Billing's GraphQL endpoint (default: `subgraphUrls.billing`). Without one, every tenant gets the unprovisioned limit. */
  billingUrl?: string;
  /** The limit of a tenant billing has no account for, or whose plan billing cannot give yet. */
  unprovisionedRequestsPerMinute: number;
  /** How long a tenant's limit from billing is used before billing is asked again. */
  entitlementsTtlMs: number;
  /** Most tenants whose limit and bucket are kept in memory at once (default 10 000). */
  maxTenants?: number;
}

/** Defaults for {@link GatewayRateLimit}. */
export const DEFAULT_RATE_LIMIT: Required<Omit<GatewayRateLimit, "billingUrl">> = { unprovisionedRequestsPerMinute: 120, entitlementsTtlMs: 30_000, maxTenants: 10_000 };

/**
 * Subscriptions over graphql-ws and SSE: protocol timing, how many a client may hold, and
 * how far a subscriber may fall behind before it is dropped.
 */
export interface GatewaySubscriptions {
  /** How long a WebSocket may stay open without `connection_init` before it is closed (4408). */
  connectionInitWaitTimeoutMs: number;
  /** Interval of WebSocket-level pings; a peer that has not answered by the next one is cut off. */
  keepAliveMs: number;
  /** Most subscriptions one connection may hold at once; a further subscribe is refused. */
  maxPerConnection: number;
  /** Most subscriptions one tenant may hold at once, over every connection and transport. */
  maxPerTenant: number;
  /**
   * Events a subscription may hold waiting for its client; one more and the client is dropped
   * as a slow consumer. A subgraph's burst arrives all at once (a bulk import, a replay), so
   * this must leave room for the largest burst a healthy client should ride out.
   */
  maxQueuedEvents: number;
  /** Bytes a connection may hold unsent; beyond this the client is dropped as a slow consumer. */
  maxBufferedBytes: number;
  /** After a slow consumer is told why it is closed, how long it gets to read that before its socket is cut. */
  slowConsumerCloseGraceMs: number;
  /**
   * Root fields that send the current state when subscribed (then each change), rather than
   * events. They are never shared: a client joining a shared subscription gets events from
   * the next one on, so it would wait for a change to see any state at all.
   */
  stateFields: readonly string[];
  /**
   * Events of one (shared) subscription whose entity fetches may run at once. They are
   * still delivered in arrival order; overlapping them keeps a subscription's throughput
   * from being one event per fetch round trip.
   */
  maxConcurrentEventExecutions: number;
}

/** Defaults for {@link GatewaySubscriptions}. */
export const DEFAULT_SUBSCRIPTIONS: GatewaySubscriptions = {
  connectionInitWaitTimeoutMs: 3_000,
  keepAliveMs: 12_000,
  maxPerConnection: 20,
  maxPerTenant: 200,
  maxQueuedEvents: 1_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  slowConsumerCloseGraceMs: 5_000,
  stateFields: ["dashboardUpdated", "usageUpdated"],
  maxConcurrentEventExecutions: 16,
};

/** What the gateway needs to run. */
export interface GatewayConfig {
  port: number;
  host?: string;
  /** The composed supergraph SDL (schema/supergraph.graphql). */
  supergraphSdl: string;
  /** Where each subgraph listens, by subgraph name; overrides the URLs in the supergraph. */
  subgraphUrls: Readonly<Record<string, string>>;
  /** Application-role connection string (API keys live in the `gateway` schema). */
  databaseUrl: string;
  /** Ed25519 private key (PEM) that signs identity tokens for subgraphs. */
  identityPrivateKey: string;
  jwt: JwtConfig;
  limits?: Partial<GatewayLimits>;
  /** Per-tenant rate limiting; without it, no request is rate limited. */
  rateLimit?: GatewayRateLimit;
  /** Subscription settings; each one left out takes its {@link DEFAULT_SUBSCRIPTIONS} value. */
  subscriptions?: Partial<GatewaySubscriptions>;
  logger?: Logger;
}
