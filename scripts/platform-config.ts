import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { resolve } from "node:path";
import { DEFAULT_LIMITS, DEFAULT_RATE_LIMIT, type GatewayConfig, type GatewayLimits, type GatewayRateLimit, type JwtConfig } from "../gateway/src/config";
import { ConfigError, envBoolean, envInt, envPort, envString, required } from "../lib/config";
import type { DevSecrets } from "../lib/dev-secrets";
import type { Logger } from "../lib/logger";
import type { AnalyticsSubgraphConfig } from "../subgraphs/analytics/src/index";
import type { BillingSubgraphConfig } from "../subgraphs/billing/src/index";
import { readGhlWebhookConfig, type GhlWebhookConfig } from "../bridge/src/config";
import type { BridgeConfig } from "../bridge/src/index";
import type { GatewayCredentials } from "../bridge/src/processing/gateway-client";
import { inboxProcessing } from "../bridge/src/processing/inbox-processing";
import { ghlWriteBackProcessing } from "../bridge/src/writeback/writeback-processing";
import { readGhlWriteBackConfig, type GhlWriteBackConfig } from "../bridge/src/writeback/writeback-config";
import type { AnthropicConfig, IntelligenceSubgraphConfig } from "../subgraphs/intelligence/src/index";
import type { LeadsSubgraphConfig } from "../subgraphs/leads/src/index";
import { deriveAppUrl } from "./platform-database";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The platform's environment, read once and validated: what `npm start` (all in one
 * process) and `serve.ts` (one piece per container) both run from. Secrets stay optional
 * here; each entry point demands the ones its pieces need.
 */
export interface PlatformConfig {
  /** `NODE_ENV=production`: no dev secrets, ever. */
  production: boolean;
  /** `HUB_DATA_DIR`, absolute: embedded Postgres data and dev secrets. */
  dataDir: string;
  /** `DATABASE_URL`: the owner role (migrations). Unset: `npm start` runs embedded Postgres. */
  databaseUrl: string | undefined;
  /** `APP_DATABASE_URL`: the services' connection; derived from the owner's when unset. */
  appDatabaseUrl: string | undefined;
  /** `APP_DB_ROLE`: the role services connect as, subject to row-level security. */
  appDbRole: string;
  /** `APP_DB_PASSWORD`, or the password in `APP_DATABASE_URL`. */
  appDbPassword: string | undefined;
  /** `EMBEDDED_PG_PORT`; 0 picks a free port. */
  embeddedPgPort: number;
  /** `HOST`: the interface every HTTP server binds. */
  host: string;
  gatewayPort: number;
  leadsPort: number;
  /** `LEADS_URL`: where the gateway reaches the leads subgraph when run on its own. */
  leadsUrl: string;
  intelligencePort: number;
  /** `INTELLIGENCE_URL`: where the gateway reaches the intelligence subgraph when run on its own. */
  intelligenceUrl: string;
  analyticsPort: number;
  /** `ANALYTICS_URL`: where the gateway reaches the analytics subgraph when run on its own. */
  analyticsUrl: string;
  billingPort: number;
  /** `BILLING_URL`: where the gateway reaches the billing subgraph when run on its own. */
  billingUrl: string;
  /** `BILLING_PERIOD_CLOSE_INTERVAL_MS`: how often billing closes ended periods (hourly by default). */
  billingPeriodCloseIntervalMs: number;
  /** `GATEWAY_RATE_LIMIT_UNPROVISIONED_RPM`, `GATEWAY_ENTITLEMENTS_TTL_MS`, `GATEWAY_RATE_LIMIT_MAX_TENANTS`. */
  rateLimit: GatewayRateLimit;
  /** `BRIDGE_PORT`: the GHL webhook bridge. */
  bridgePort: number;
  /** `GATEWAY_URL`: where the bridge's workers call the gateway. */
  gatewayUrl: string;
  /** `BRIDGE_API_KEY`: the bridge's gateway credential (a `tenants:any accounts:manage` API key). */
  bridgeApiKey: string | undefined;
  /** `GHL_WEBHOOK_PUBLIC_KEYS`, `GHL_LEGACY_*`, `GHL_WEBHOOK_MAX_AGE_MS`, `GHL_WORKFLOW_SECRETS`. */
  ghlWebhooks: GhlWebhookConfig;
  /** `GHL_LOCATION_TOKENS`, `GHL_SCORE_FIELD_IDS`, …: score write-back to GHL; off (null) without tokens. */
  ghlWriteBack: GhlWriteBackConfig | null;
  /** `INTELLIGENCE_CACHE_TTL_MS`: how long cached scores and matches may ignore listing changes. */
  intelligenceCacheTtlMs: number;
  /** `ANTHROPIC_API_KEY` and friends: message analysis through Anthropic; local rules when unset. */
  anthropic: AnthropicConfig | undefined;
  jwtSecret: string | undefined;
  jwksUrl: string | undefined;
  jwtIssuer: string;
  jwtAudience: string;
  /** Ed25519 PEM the gateway signs identity tokens with. */
  identityPrivateKey: string | undefined;
  /** Ed25519 PEM the subgraphs verify identity tokens with. */
  identityPublicKey: string | undefined;
  /** `SEED`: whether `npm start` seeds the demo tenants. */
  seed: boolean;
  logLevel: string;
  limits: GatewayLimits;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function postgresUrl(env: Env, name: string): URL | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The value is not echoed: it may hold a password.
    throw new ConfigError(`${name} must be a postgres:// connection string`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") throw new ConfigError(`${name} must be a postgres:// connection string`);
  return url;
}

function httpUrl(env: Env, name: string): string | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === "http:" || url.protocol === "https:") return raw;
  } catch {
    // Reported below with the variable's name.
  }
  throw new ConfigError(`${name} must be an http(s) URL; got "${raw}"`);
}

/** PEM from the environment; `\n` escapes are accepted because .env files and CI secrets rarely keep newlines. */
function pemKey(env: Env, name: string, parse: (pem: string) => KeyObject): { pem: string; key: KeyObject } | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const pem = raw.includes("\\n") ? raw.replace(/\\n/g, "\n") : raw;
  let key: KeyObject;
  try {
    key = parse(pem);
  } catch {
    throw new ConfigError(`${name} is not a valid PEM key`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new ConfigError(`${name} must be an Ed25519 key; got ${key.asymmetricKeyType ?? "unknown"}`);
  return { pem, key };
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: "spki", format: "der" }).equals(b.export({ type: "spki", format: "der" }));
}

/** An address clients on this machine can dial for a server bound to `host`. */
function dialHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/** Reads and validates the platform's environment; throws {@link ConfigError} naming the variable at fault. */
export function readPlatformConfig(env: Env = process.env): PlatformConfig {
  const databaseUrl = postgresUrl(env, "DATABASE_URL");
  const appUrl = postgresUrl(env, "APP_DATABASE_URL");

  let appDbRole = envString(env, "APP_DB_ROLE");
  let appDbPassword = envString(env, "APP_DB_PASSWORD");
  // With APP_DATABASE_URL given, the role and password it holds are the ones migrations must
  // set up; a different APP_DB_ROLE or APP_DB_PASSWORD would lock the services out.
  if (appUrl) {
    const user = decodeURIComponent(appUrl.username);
    const password = decodeURIComponent(appUrl.password);
    if (user && appDbRole !== undefined && user !== appDbRole) throw new ConfigError(`APP_DB_ROLE ("${appDbRole}") differs from the user in APP_DATABASE_URL ("${user}")`);
    if (password && appDbPassword !== undefined && password !== appDbPassword) throw new ConfigError("APP_DB_PASSWORD differs from the password in APP_DATABASE_URL");
    appDbRole ??= user || undefined;
    appDbPassword ??= password || undefined;
  }
  appDbRole ??= "hub_app";
  if (!ROLE_NAME.test(appDbRole)) throw new ConfigError(`APP_DB_ROLE must be a lower-case Postgres identifier; got "${appDbRole}"`);

  const embeddedPgPort = envPort(env, "EMBEDDED_PG_PORT", 0);
  if (embeddedPgPort === 5432) throw new ConfigError("EMBEDDED_PG_PORT must not be 5432 (a system Postgres may listen there); use another port or 0");

  const jwtSecret = envString(env, "JWT_SECRET");
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret, "utf8") < 32) throw new ConfigError("JWT_SECRET must be at least 32 bytes");

  const privateKey = pemKey(env, "IDENTITY_PRIVATE_KEY", createPrivateKey);
  const publicKey = pemKey(env, "IDENTITY_PUBLIC_KEY", createPublicKey);
  if (privateKey && publicKey && !sameKey(createPublicKey(privateKey.key), publicKey.key)) {
    throw new ConfigError("IDENTITY_PUBLIC_KEY does not match IDENTITY_PRIVATE_KEY");
  }

  const logLevel = envString(env, "LOG_LEVEL", "info") ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}; got "${logLevel}"`);

  const host = envString(env, "HOST", "127.0.0.1") ?? "127.0.0.1";
  const leadsPort = envPort(env, "LEADS_PORT", 4001);
  const intelligencePort = envPort(env, "INTELLIGENCE_PORT", 4002);
  const analyticsPort = envPort(env, "ANALYTICS_PORT", 4003);
  const billingPort = envPort(env, "BILLING_PORT", 4004);
  const anthropicKey = envString(env, "ANTHROPIC_API_KEY");
  const anthropicBaseUrl = httpUrl(env, "ANTHROPIC_BASE_URL");
  return {
    production: env["NODE_ENV"] === "production",
    dataDir: resolve(envString(env, "HUB_DATA_DIR", ".data") ?? ".data"),
    // The raw strings, not the parsed URLs: normalising could change what the driver reads.
    databaseUrl: databaseUrl && envString(env, "DATABASE_URL"),
    appDatabaseUrl: appUrl && envString(env, "APP_DATABASE_URL"),
    appDbRole,
    appDbPassword,
    embeddedPgPort,
    host,
    gatewayPort: envPort(env, "GATEWAY_PORT", 4000),
    leadsPort,
    leadsUrl: httpUrl(env, "LEADS_URL") ?? `http://${dialHost(host)}:${leadsPort}/graphql`,
    intelligencePort,
    intelligenceUrl: httpUrl(env, "INTELLIGENCE_URL") ?? `http://${dialHost(host)}:${intelligencePort}/graphql`,
    intelligenceCacheTtlMs: envInt(env, "INTELLIGENCE_CACHE_TTL_MS", 300_000),
    analyticsPort,
    analyticsUrl: httpUrl(env, "ANALYTICS_URL") ?? `http://${dialHost(host)}:${analyticsPort}/graphql`,
    bridgePort: envPort(env, "BRIDGE_PORT", 4010),
    gatewayUrl: httpUrl(env, "GATEWAY_URL") ?? `http://${dialHost(host)}:${envPort(env, "GATEWAY_PORT", 4000)}/graphql`,
    bridgeApiKey: envString(env, "BRIDGE_API_KEY"),
    ghlWebhooks: readGhlWebhookConfig(env),
    ghlWriteBack: readGhlWriteBackConfig(env),
    billingPort,
    billingUrl: httpUrl(env, "BILLING_URL") ?? `http://${dialHost(host)}:${billingPort}/graphql`,
    billingPeriodCloseIntervalMs: envInt(env, "BILLING_PERIOD_CLOSE_INTERVAL_MS", 3_600_000),
    rateLimit: {
      unprovisionedRequestsPerMinute: envInt(env, "GATEWAY_RATE_LIMIT_UNPROVISIONED_RPM", DEFAULT_RATE_LIMIT.unprovisionedRequestsPerMinute),
      entitlementsTtlMs: envInt(env, "GATEWAY_ENTITLEMENTS_TTL_MS", DEFAULT_RATE_LIMIT.entitlementsTtlMs),
      maxTenants: envInt(env, "GATEWAY_RATE_LIMIT_MAX_TENANTS", DEFAULT_RATE_LIMIT.maxTenants),
    },
    anthropic:
      anthropicKey === undefined
        ? undefined
        : {
            apiKey: anthropicKey,
            model: envString(env, "ANTHROPIC_MODEL", "claude-haiku-4-5") ?? "claude-haiku-4-5",
            ...(anthropicBaseUrl !== undefined ? { baseURL: anthropicBaseUrl } : {}),
            timeoutMs: envInt(env, "ANTHROPIC_TIMEOUT_MS", 8_000),
          },
    jwtSecret,
    jwksUrl: httpUrl(env, "JWKS_URL"),
    jwtIssuer: envString(env, "JWT_ISSUER", "enterprisehub-dev") ?? "enterprisehub-dev",
    jwtAudience: envString(env, "JWT_AUDIENCE", "enterprisehub-graph") ?? "enterprisehub-graph",
    identityPrivateKey: privateKey?.pem,
    identityPublicKey: publicKey?.pem,
    seed: envBoolean(env, "SEED", true),
    logLevel,
    limits: {
      maxDepth: envInt(env, "MAX_QUERY_DEPTH", DEFAULT_LIMITS.maxDepth),
      maxAliases: envInt(env, "MAX_QUERY_ALIASES", DEFAULT_LIMITS.maxAliases),
      maxQueryLength: envInt(env, "MAX_QUERY_LENGTH", DEFAULT_LIMITS.maxQueryLength),
      maxBodyBytes: envInt(env, "MAX_BODY_BYTES", DEFAULT_LIMITS.maxBodyBytes),
    },
  };
}

/**
 * Refuses to run without the secrets a production deployment must bring itself (the
 * dev fallbacks are never used there). Names every missing variable at once.
 */
export function assertProductionSecrets(config: PlatformConfig): void {
  const missing = [
    ...(config.jwtSecret === undefined && config.jwksUrl === undefined ? ["JWT_SECRET or JWKS_URL"] : []),
    ...(config.identityPrivateKey === undefined ? ["IDENTITY_PRIVATE_KEY"] : []),
    ...(config.identityPublicKey === undefined ? ["IDENTITY_PUBLIC_KEY"] : []),
    ...(config.appDbPassword === undefined ? ["APP_DB_PASSWORD"] : []),
  ];
  if (missing.length > 0) throw new ConfigError(`NODE_ENV=production needs ${missing.join(", ")}; dev secrets are never used in production`);
}

/** Whether any secret would come from the dev secrets file. */
export function needsDevSecrets(config: PlatformConfig): boolean {
  return (
    (config.jwtSecret === undefined && config.jwksUrl === undefined) ||
    config.identityPrivateKey === undefined ||
    config.identityPublicKey === undefined ||
    config.appDbPassword === undefined
  );
}

/** The config with each unset secret taken from the dev secrets (development only). */
export function withDevSecrets(config: PlatformConfig, secrets: DevSecrets): PlatformConfig {
  if ((config.identityPrivateKey === undefined) !== (config.identityPublicKey === undefined)) {
    // Half a key pair from the environment and half from the dev file would never verify.
    throw new ConfigError("set both IDENTITY_PRIVATE_KEY and IDENTITY_PUBLIC_KEY, or neither");
  }
  return {
    ...config,
    jwtSecret: config.jwtSecret ?? (config.jwksUrl === undefined ? secrets.jwtSecret : undefined),
    identityPrivateKey: config.identityPrivateKey ?? secrets.identityPrivateKey,
    identityPublicKey: config.identityPublicKey ?? secrets.identityPublicKey,
    appDbPassword: config.appDbPassword ?? secrets.appDbPassword,
  };
}

/** How the gateway verifies client JWTs; one of `JWT_SECRET` and `JWKS_URL` must be set. */
export function jwtConfig(config: PlatformConfig): JwtConfig {
  if (config.jwtSecret === undefined && config.jwksUrl === undefined) {
    throw new ConfigError("JWT_SECRET or JWKS_URL is required: the gateway verifies client tokens with one of them");
  }
  return {
    ...(config.jwksUrl !== undefined ? { jwksUrl: config.jwksUrl } : {}),
    ...(config.jwtSecret !== undefined ? { secret: config.jwtSecret } : {}),
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
  };
}

/** The services' connection string: `APP_DATABASE_URL`, or the owner's with the app role's credentials. */
export function appDatabaseUrl(config: PlatformConfig): string {
  if (config.appDatabaseUrl !== undefined) return config.appDatabaseUrl;
  const owner = required(config.databaseUrl, "APP_DATABASE_URL", "the services' connection string (or DATABASE_URL plus APP_DB_PASSWORD to derive it)");
  const password = required(config.appDbPassword, "APP_DB_PASSWORD", "the app role's password, to derive the services' connection string");
  return deriveAppUrl(owner, config.appDbRole, password);
}

/** The leads subgraph's settings. */
export function leadsSubgraphConfig(config: PlatformConfig, databaseUrl: string, logger: Logger): LeadsSubgraphConfig {
  return {
    port: config.leadsPort,
    host: config.host,
    databaseUrl,
    identityPublicKey: required(config.identityPublicKey, "IDENTITY_PUBLIC_KEY", "subgraphs verify the gateway's identity tokens with it"),
    logger,
  };
}

/** The intelligence subgraph's settings. */
export function intelligenceSubgraphConfig(config: PlatformConfig, databaseUrl: string, logger: Logger): IntelligenceSubgraphConfig {
  return {
    port: config.intelligencePort,
    host: config.host,
    databaseUrl,
    identityPublicKey: required(config.identityPublicKey, "IDENTITY_PUBLIC_KEY", "subgraphs verify the gateway's identity tokens with it"),
    ...(config.anthropic ? { anthropic: config.anthropic } : {}),
    cacheTtlMs: config.intelligenceCacheTtlMs,
    logger,
  };
}

/** The analytics subgraph's settings. */
export function analyticsSubgraphConfig(config: PlatformConfig, databaseUrl: string, logger: Logger): AnalyticsSubgraphConfig {
  return {
    port: config.analyticsPort,
    host: config.host,
    databaseUrl,
    identityPublicKey: required(config.identityPublicKey, "IDENTITY_PUBLIC_KEY", "subgraphs verify the gateway's identity tokens with it"),
    logger,
  };
}

/** The billing subgraph's settings. */
export function billingSubgraphConfig(config: PlatformConfig, databaseUrl: string, logger: Logger): BillingSubgraphConfig {
  return {
    port: config.billingPort,
    host: config.host,
    databaseUrl,
    identityPublicKey: required(config.identityPublicKey, "IDENTITY_PUBLIC_KEY", "subgraphs verify the gateway's identity tokens with it"),
    periodCloseIntervalMs: config.billingPeriodCloseIntervalMs,
    logger,
  };
}

/**
 * The bridge's settings: intake plus the inbox workers, calling the gateway at `gatewayUrl`
 * as `credentials` (`BRIDGE_API_KEY`, or a dev service token from `npm start`).
 */
export function bridgeConfig(config: PlatformConfig, databaseUrl: string, gatewayUrl: string, credentials: GatewayCredentials, logger: Logger): BridgeConfig {
  return {
    ...config.ghlWebhooks,
    port: config.bridgePort,
    host: config.host,
    databaseUrl,
    logger,
    processing: [
      // Custom-field catalogs are read with the write-back's tokens: the one place locations' tokens are configured.
      inboxProcessing({ databaseUrl, gatewayUrl, credentials, logger, ...(config.ghlWriteBack ? { ghlApi: config.ghlWriteBack } : {}) }),
      ...(config.ghlWriteBack ? [ghlWriteBackProcessing({ config: config.ghlWriteBack, databaseUrl, gatewayUrl, credentials, logger })] : []),
    ],
  };
}

/** Where each subgraph listens when every piece runs on its own (containers). */
export function configuredSubgraphUrls(config: PlatformConfig): Record<string, string> {
  return { leads: config.leadsUrl, intelligence: config.intelligenceUrl, analytics: config.analyticsUrl, billing: config.billingUrl };
}

/** Where the gateway's other inputs come from: the entry point that runs it. */
export interface GatewayWiring {
  databaseUrl: string;
  supergraphSdl: string;
  /** Subgraph URLs by subgraph name. */
  subgraphUrls: Record<string, string>;
  logger: Logger;
}

/** The gateway's settings. */
export function gatewayConfig(config: PlatformConfig, { databaseUrl, supergraphSdl, subgraphUrls, logger }: GatewayWiring): GatewayConfig {
  return {
    port: config.gatewayPort,
    host: config.host,
    supergraphSdl,
    subgraphUrls,
    databaseUrl,
    identityPrivateKey: required(config.identityPrivateKey, "IDENTITY_PRIVATE_KEY", "the gateway signs identity tokens for subgraphs with it"),
    jwt: jwtConfig(config),
    limits: config.limits,
    rateLimit: config.rateLimit,
    logger,
  };
}
