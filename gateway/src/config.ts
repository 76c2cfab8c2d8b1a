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
  logger?: Logger;
}
