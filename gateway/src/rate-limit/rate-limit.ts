import { Counter } from "prom-client";
import type { Identity, IdentitySigner } from "../../../lib/auth/identity";
import { SCOPE_ANY_TENANT } from "../../../lib/auth/roles";
import { ErrorCode, clientError } from "../../../lib/errors";
import type { Logger } from "../../../lib/logger";
import { metricsRegistry } from "../../../lib/metrics";
import { DEFAULT_RATE_LIMIT, type GatewayRateLimit } from "../config";
import { createEntitlementsLookup, type EntitlementsLookup } from "./entitlements";
import { createTokenBuckets, type TokenBuckets } from "./token-bucket";

// No tenant label: the number of tenants is unbounded, and each would be a time series.
const refusals = new Counter({
  name: "gateway_rate_limited_total",
  help: "Requests refused because their tenant exceeded its plan's request rate",
  registers: [metricsRegistry],
});

/** Where a tenant's limit comes from: billing's entitlements, or one limit for every tenant. */
export type RequestLimits = Pick<EntitlementsLookup, "requestsPerMinute">;

/** A limit source that gives every tenant the same limit (when there is no billing to ask). */
export function uniformLimits(requestsPerMinute: number): RequestLimits {
  return { requestsPerMinute: async () => requestsPerMinute };
}

/** Checks a caller against its tenant's request rate. */
export interface RateLimiter {
  /** Resolves when the request may go on; otherwise throws `RATE_LIMITED` (HTTP 429 with `Retry-After`). */
  check(identity: Identity): Promise<void>;
}

/**
 * Limits each tenant's requests to its plan's rate, with a minute's worth of burst. Callers
 * holding `tenants:any` are exempt: they are our own services (the webhook bridge), whose
 * traffic follows GHL's webhooks rather than any one tenant's use, and refusing them would
 * drop events rather than slow a client down.
 */
export function createRateLimiter({ limits, buckets }: { limits: RequestLimits; buckets: TokenBuckets }): RateLimiter {
  return {
    async check(identity) {
      if (identity.scopes.includes(SCOPE_ANY_TENANT)) return;
      const requestsPerMinute = await limits.requestsPerMinute(identity.tenant);
      const taken = buckets.take(identity.tenant, requestsPerMinute);
      if (taken.allowed) return;
      refusals.inc();
      const { retryAfterSeconds } = taken;
      throw clientError(
        ErrorCode.RATE_LIMITED,
        `rate limit exceeded: this tenant's plan allows ${requestsPerMinute} requests per minute; retry in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? "" : "s"}`,
        { retryAfterSeconds },
        { "retry-after": String(retryAfterSeconds) },
      );
    },
  };
}

/** What {@link rateLimiterFromConfig} needs besides the settings. */
export interface RateLimiterWiring {
  /** Billing's endpoint, already defaulted; absent when there is no billing to ask. */
  billingUrl: string | undefined;
  signer: IdentitySigner;
  logger: Logger;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`rate limit: ${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Builds the gateway's rate limiter from its settings, checked here so a bad value fails at
 * start rather than on every request. Without a billing URL every tenant gets the
 * unprovisioned limit, and the log says so: plans are then not enforced.
 */
export function rateLimiterFromConfig(settings: GatewayRateLimit, { billingUrl, signer, logger }: RateLimiterWiring): RateLimiter {
  const unprovisioned = positiveInteger(settings.unprovisionedRequestsPerMinute, "unprovisionedRequestsPerMinute");
  const maxTenants = positiveInteger(settings.maxTenants ?? DEFAULT_RATE_LIMIT.maxTenants, "maxTenants");
  const ttlMs = positiveInteger(settings.entitlementsTtlMs, "entitlementsTtlMs");
  let limits: RequestLimits;
  if (billingUrl) {
    limits = createEntitlementsLookup({ billingUrl, signer, ttlMs, fallbackRequestsPerMinute: unprovisioned, maxTenants, logger });
    logger.info({ billingUrl, unprovisionedRequestsPerMinute: unprovisioned, entitlementsTtlMs: ttlMs }, "rate limiting each tenant at its billing plan's rate");
  } else {
    limits = uniformLimits(unprovisioned);
    logger.warn({ requestsPerMinute: unprovisioned }, "no billing URL: rate limiting every tenant at the unprovisioned rate, whatever its plan");
  }
  return createRateLimiter({ limits, buckets: createTokenBuckets({ maxTenants }) });
}
