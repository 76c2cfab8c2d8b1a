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
  logger?: Logger;
}
