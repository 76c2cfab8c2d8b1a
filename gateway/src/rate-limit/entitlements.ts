import { LRUCache } from "lru-cache";
import { Counter } from "prom-client";
import type { IdentitySigner } from "../../../lib/auth/identity";
import { Role, SCOPE_READ_ENTITLEMENTS } from "../../../lib/auth/roles";
import { cacheLookups } from "../../../lib/cache";
import type { Logger } from "../../../lib/logger";
import { metricsRegistry } from "../../../lib/metrics";

/** The audience of the identity tokens the gateway signs for billing (its subgraph name). */
export const BILLING_AUDIENCE = "billing";

/** How billing calls can end, as the `outcome` label of `gateway_entitlements_requests_total`. */
export type EntitlementsOutcome = "ok" | "no_account" | "error";

const billingRequests = new Counter<"outcome">({
  name: "gateway_entitlements_requests_total",
  help: "Entitlement requests from the gateway to billing, by outcome (ok, no_account, error)",
  labelNames: ["outcome"],
  registers: [metricsRegistry],
});

const ENTITLEMENTS_QUERY = "query GatewayEntitlements { entitlements { apiRequestsPerMinute } }";
const DEFAULT_MAX_TENANTS = 10_000;
const DEFAULT_TIMEOUT_MS = 2_000;
// Long enough that a billing outage costs one call per tenant per interval, short enough
// that a tenant falls back to the default limit only briefly once billing is back.
const DEFAULT_RETRY_AFTER_FAILURE_MS = 5_000;

/** Options for {@link createEntitlementsLookup}. */
export interface EntitlementsLookupOptions {
  /** Billing's GraphQL endpoint. */
  billingUrl: string;
  /** Signs the gateway's own identity token for billing. */
  signer: IdentitySigner;
  /** How long a tenant's limit is used before billing is asked again (served stale meanwhile). */
  ttlMs: number;
  /** The limit of a tenant without a billing account, or whose limit billing could not give yet. */
  fallbackRequestsPerMinute: number;
  logger: Logger;
  /** Most tenants cached at once (default 10 000). */
  maxTenants?: number;
  /** Longest wait for billing's answer (default 2 000 ms). */
  timeoutMs?: number;
  /** After a failed call, how long until billing is asked again (default the TTL, at most 5 000 ms). */
  retryAfterFailureMs?: number;
  /** The HTTP client (default the global `fetch`). */
  fetch?: typeof fetch;
}

/** Each tenant's request limit, from its billing plan. */
export interface EntitlementsLookup {
  /** The tenant's limit in requests per minute; never rejects (falls back instead). */
  requestsPerMinute(tenant: string): Promise<number>;
  /** Calls made to billing and how many of them failed, since creation (for tests and logs). */
  readonly stats: { billingCalls: number; billingFailures: number };
}

/** What billing answers for a tenant that has an account or none. */
export interface EntitlementsResponse {
  data: { entitlements: { apiRequestsPerMinute: number } | null };
}

interface CachedLimit {
  requestsPerMinute: number;
  /** False when billing could not be asked and this is the fallback, so a later failure says so. */
  fromBilling: boolean;
}

class BillingError extends Error {
  override readonly name = "BillingError";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A usable limit: a token bucket needs room for at least one request. */
function isRequestsPerMinute(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1;
}

/** Type guard for billing's `entitlements` answer (a positive limit, or `null` for no account). */
export function isEntitlementsResponse(value: unknown): value is EntitlementsResponse {
  if (!isRecord(value) || !isRecord(value["data"]) || !("entitlements" in value["data"])) return false;
  const entitlements = value["data"]["entitlements"];
  return entitlements === null || (isRecord(entitlements) && isRequestsPerMinute(entitlements["apiRequestsPerMinute"]));
}

/** The messages of a GraphQL `errors` array, if the body has a non-empty one. */
function graphQLErrorMessages(body: unknown): string[] | undefined {
  if (!isRecord(body) || !Array.isArray(body["errors"]) || body["errors"].length === 0) return undefined;
  return body["errors"].map((error: unknown) => (isRecord(error) && typeof error["message"] === "string" ? error["message"] : "(no message)"));
}

/**
 * Looks up each tenant's request limit in billing, cached per tenant: concurrent misses for a
 * tenant share one call, and once the TTL passes the old limit keeps being served while one
 * call refreshes it. Billing being down must not take the graph down, so a failed call keeps
 * the last known limit (or the fallback, for a tenant never seen) and is retried after a short
 * interval rather than on every request.
 */
export function createEntitlementsLookup(options: EntitlementsLookupOptions): EntitlementsLookup {
  const { billingUrl, signer, ttlMs, fallbackRequestsPerMinute, logger } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retryAfterFailureMs = options.retryAfterFailureMs ?? Math.min(ttlMs, DEFAULT_RETRY_AFTER_FAILURE_MS);
  const request = options.fetch ?? fetch;
  const stats = { billingCalls: 0, billingFailures: 0 };
  const fallback: CachedLimit = { requestsPerMinute: fallbackRequestsPerMinute, fromBilling: false };

  /** Billing's limit for `tenant`, `null` when it has no account; throws when billing gives no usable answer. */
  async function askBilling(tenant: string, signal: AbortSignal): Promise<number | null> {
    const token = await signer.sign({ sub: "gateway", tenant, role: Role.VIEWER, scopes: [SCOPE_READ_ENTITLEMENTS] }, BILLING_AUDIENCE);
    const response = await request(billingUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: ENTITLEMENTS_QUERY, operationName: "GatewayEntitlements" }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new BillingError(`billing answered HTTP ${response.status} with a body that is not JSON`);
    }
    const errors = graphQLErrorMessages(body);
    if (errors) throw new BillingError(`billing answered HTTP ${response.status} with errors: ${errors.join("; ").slice(0, 500)}`);
    if (!response.ok) throw new BillingError(`billing answered HTTP ${response.status}`);
    if (!isEntitlementsResponse(body)) throw new BillingError("billing's entitlements answer is malformed");
    return body.data.entitlements?.apiRequestsPerMinute ?? null;
  }

  const cache = new LRUCache<string, CachedLimit>({
    max: options.maxTenants ?? DEFAULT_MAX_TENANTS,
    ttl: ttlMs,
    // An expired limit is served while one call refreshes it: no request waits on billing
    // for a tenant seen before.
    allowStale: true,
    allowStaleOnFetchRejection: true,
    allowStaleOnFetchAbort: true,
    async fetchMethod(tenant, stale, { options: setOptions, signal }) {
      stats.billingCalls += 1;
      try {
        const requestsPerMinute = await askBilling(tenant, signal);
        const outcome: EntitlementsOutcome = requestsPerMinute === null ? "no_account" : "ok";
        billingRequests.inc({ outcome });
        return requestsPerMinute === null ? { requestsPerMinute: fallbackRequestsPerMinute, fromBilling: true } : { requestsPerMinute, fromBilling: true };
      } catch (error) {
        stats.billingFailures += 1;
        const outcome: EntitlementsOutcome = "error";
        billingRequests.inc({ outcome });
        const kept = stale ?? fallback;
        setOptions.ttl = retryAfterFailureMs;
        logger.warn(
          { err: error, tenant, requestsPerMinute: kept.requestsPerMinute, retryInMs: retryAfterFailureMs },
          kept.fromBilling ? "billing entitlements lookup failed; keeping the tenant's last known limit" : "billing entitlements lookup failed; using the fallback limit",
        );
        return kept;
      }
    },
  });

  return {
    stats,
    async requestsPerMinute(tenant) {
      const status: LRUCache.Status<string, CachedLimit, unknown> = {};
      let limit: CachedLimit | undefined;
      try {
        limit = await cache.fetch(tenant, { status });
      } catch (error) {
        // fetchMethod answers every failure itself; this is a last guard for the request path.
        logger.warn({ err: error, tenant }, "entitlements lookup failed; using the fallback limit");
      }
      cacheLookups.inc({ cache: "entitlements", result: status.fetch === "hit" || status.returnedStale ? "hit" : "miss" });
      // Undefined when the entry was evicted while its call was in flight.
      return (limit ?? fallback).requestsPerMinute;
    },
  };
}
