import "reflect-metadata";
import type { Kysely } from "kysely";
import { generateIdentityKeyPair } from "../../lib/auth/identity";
import type { Role } from "../../lib/auth/roles";
import { createDatabase } from "../../lib/db/database";
import type { RequestStats, RunningServer } from "../../lib/http/graphql-http";
import { createLogger } from "../../lib/logger";
import { createGateway } from "../../gateway/src/index";
import type { GatewayConfig } from "../../gateway/src/config";
import { signUserToken } from "../../gateway/src/auth/jwt";
import { createAnalyticsSubgraph } from "../../subgraphs/analytics/src/index";
import { createBillingSubgraph } from "../../subgraphs/billing/src/index";
import { createIntelligenceSubgraph, type AnthropicConfig } from "../../subgraphs/intelligence/src/index";
import { createLeadsSubgraph } from "../../subgraphs/leads/src/index";
import { readSupergraphSdl } from "../../scripts/schema-files";
import type { IntelligenceDatabase } from "../../subgraphs/intelligence/src/database";
import type { LeadsDatabase } from "../../subgraphs/leads/src/database";

/** Test JWT settings shared by the stack and the tokens it hands out. */
export const JWT = { secret: "test-secret-that-is-long-enough-for-hs256-0123456789", issuer: "enterprisehub-test", audience: "enterprisehub-graph" };

/** Connection strings the global setup prepared. */
export function testDatabaseUrls(): { owner: string; app: string } {
  const owner = process.env["TEST_OWNER_DATABASE_URL"];
  const app = process.env["TEST_APP_DATABASE_URL"];
  if (!owner || !app) throw new Error("test database not prepared: run through jest (globalSetup)");
  return { owner, app };
}

/** A unique tenant id per test run, so test files never see each other's rows. */
export function uniqueTenant(label: string): string {
  return `${label}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The subgraphs and the gateway, running on ephemeral ports. */
export interface TestStack {
  gatewayUrl: string;
  leadsUrl: string;
  intelligenceUrl: string;
  identityKeys: ReturnType<typeof generateIdentityKeyPair>;
  /** Requests the leads subgraph served (tests clear it). */
  leadsRequests: RequestStats[];
  /** Requests the intelligence subgraph served (tests clear it). */
  intelligenceRequests: RequestStats[];
  analyticsUrl: string;
  /** Requests the analytics subgraph served (tests clear it). */
  analyticsRequests: RequestStats[];
  billingUrl: string;
  /** Requests the billing subgraph served, the gateway's entitlement lookups included (tests clear it). */
  billingRequests: RequestStats[];
  /** An application-role handle (RLS applies) for fixtures. */
  appDb: Kysely<LeadsDatabase>;
  /** The same, over the intelligence subgraph's tables. */
  intelligenceDb: Kysely<IntelligenceDatabase>;
  /** An owner handle, for inspecting what the app role cannot see. */
  ownerDb: Kysely<unknown>;
  token(tenant: string, role: Role, options?: { sub?: string; scopes?: string[]; ttlSeconds?: number }): Promise<string>;
  /** Loads a new supergraph into the gateway (running subscriptions end). */
  reloadSupergraph(supergraphSdl: string): Promise<void>;
  stop(): Promise<void>;
}

/** Options of the stack's subgraphs. */
export interface StackOptions {
  /** Analyze messages through this Anthropic-compatible endpoint instead of the local rules. */
  anthropic?: AnthropicConfig;
  /** Intelligence's cache TTL; 1 ms makes every read compute afresh. */
  cacheTtlMs?: number;
  /** The identity key pair (default: a fresh one), for test-only subgraphs started before the stack. */
  identityKeys?: ReturnType<typeof generateIdentityKeyPair>;
}

/** Starts every subgraph and the gateway against the test database. */
export async function startStack(overrides: Partial<GatewayConfig> = {}, options: StackOptions = {}): Promise<TestStack> {
  const urls = testDatabaseUrls();
  const identityKeys = options.identityKeys ?? generateIdentityKeyPair();
  const logger = createLogger("test", process.env["LOG_LEVEL"] ?? "silent");
  const leadsRequests: RequestStats[] = [];
  const intelligenceRequests: RequestStats[] = [];
  const analyticsRequests: RequestStats[] = [];
  const billingRequests: RequestStats[] = [];
  const leads: RunningServer = await createLeadsSubgraph({
    port: 0,
    databaseUrl: urls.app,
    identityPublicKey: identityKeys.publicKeyPem,
    logger,
    onRequest: (stats) => leadsRequests.push(stats),
  });
  const intelligence: RunningServer = await createIntelligenceSubgraph({
    port: 0,
    databaseUrl: urls.app,
    identityPublicKey: identityKeys.publicKeyPem,
    // Notifications wake the consumer at once; the poll is only the safety net.
    eventPollMs: 200,
    logger,
    onRequest: (stats) => intelligenceRequests.push(stats),
    ...(options.anthropic ? { anthropic: options.anthropic } : {}),
    ...(options.cacheTtlMs !== undefined ? { cacheTtlMs: options.cacheTtlMs } : {}),
  });
  const analytics: RunningServer = await createAnalyticsSubgraph({
    port: 0,
    databaseUrl: urls.app,
    identityPublicKey: identityKeys.publicKeyPem,
    eventPollMs: 200,
    logger,
    onRequest: (stats) => analyticsRequests.push(stats),
  });
  const billing: RunningServer = await createBillingSubgraph({
    port: 0,
    databaseUrl: urls.app,
    identityPublicKey: identityKeys.publicKeyPem,
    eventPollMs: 200,
    // Tests close periods themselves; a scheduler in every stack would race them.
    periodCloseIntervalMs: 0,
    logger,
    onRequest: (stats) => billingRequests.push(stats),
  });
  const { subgraphUrls: extraSubgraphUrls, ...gatewayOverrides } = overrides;
  const gateway = await createGateway({
    port: 0,
    supergraphSdl: readSupergraphSdl(),
    // Test-only subgraphs come on top of the stack's own.
    subgraphUrls: { leads: leads.url, intelligence: intelligence.url, analytics: analytics.url, billing: billing.url, ...extraSubgraphUrls },
    // Plans are enforced as in production; tenants without an account (most test tenants)
    // get a rate no test reaches, so only tests that provision an account meet a limit.
    rateLimit: { unprovisionedRequestsPerMinute: 1_000_000, entitlementsTtlMs: 30_000 },
    databaseUrl: urls.app,
    identityPrivateKey: identityKeys.privateKeyPem,
    jwt: { secret: JWT.secret, issuer: JWT.issuer, audience: JWT.audience },
    logger,
    ...gatewayOverrides,
  });
  const appDb = createDatabase<LeadsDatabase>(urls.app, { name: "test-app" });
  const intelligenceDb = createDatabase<IntelligenceDatabase>(urls.app, { name: "test-app-intelligence" });
  const ownerDb = createDatabase<unknown>(urls.owner, { name: "test-owner" });
  return {
    gatewayUrl: gateway.url,
    leadsUrl: leads.url,
    intelligenceUrl: intelligence.url,
    identityKeys,
    leadsRequests,
    intelligenceRequests,
    analyticsUrl: analytics.url,
    analyticsRequests,
    billingUrl: billing.url,
    billingRequests,
    appDb,
    intelligenceDb,
    ownerDb,
    token: (tenant, role, options = {}) =>
      signUserToken(
        JWT.secret,
        { sub: options.sub ?? `user-${role.toLowerCase()}`, tenant, role, scopes: options.scopes ?? [] },
        { issuer: JWT.issuer, audience: JWT.audience, ttlSeconds: options.ttlSeconds ?? 600 },
      ),
    reloadSupergraph: (supergraphSdl) => gateway.reloadSupergraph(supergraphSdl),
    async stop() {
      await gateway.stop();
      await billing.stop();
      await analytics.stop();
      await intelligence.stop();
      await leads.stop();
      await appDb.destroy();
      await intelligenceDb.destroy();
      await ownerDb.destroy();
    },
  };
}

/** A GraphQL response as a client sees it. */
export interface GraphQLResponse<TData> {
  status: number;
  data?: TData | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; requestId?: string; [key: string]: unknown } }[];
  headers: Headers;
}

/** POSTs a GraphQL operation with the given headers (e.g. `{ authorization: "Bearer ..." }`). */
export async function graphql<TData = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: TData | null; errors?: GraphQLResponse<TData>["errors"] } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`non-JSON response ${response.status}: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, ...body };
}

/** `{ authorization: "Bearer <token>" }`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
