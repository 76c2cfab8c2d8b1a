/** What a caller may do: VIEWER reads, AGENT reads and writes leads and notes, ADMIN everything. */
export enum Role {
  ADMIN = "ADMIN",
  AGENT = "AGENT",
  VIEWER = "VIEWER",
}

/** Type guard for a {@link Role} name. */
export function isRole(value: unknown): value is Role {
  return value === Role.ADMIN || value === Role.AGENT || value === Role.VIEWER;
}

/** Scope that lets a service caller (the webhook bridge) name the tenant per request. */
export const SCOPE_ANY_TENANT = "tenants:any";

/** Scope of service callers (the webhook bridge) that provision and deactivate billing accounts. */
export const SCOPE_MANAGE_ACCOUNTS = "accounts:manage";

/** Scope the gateway grants itself to read a tenant's plan entitlements from billing. */
export const SCOPE_READ_ENTITLEMENTS = "entitlements:read";

/**
 * Scope of the gateway's own identity on the graphql-ws connection it opens to a subgraph:
 * it may relay subscriptions, each of which carries its caller's identity token.
 */
export const SCOPE_RELAY_SUBSCRIPTIONS = "subscriptions:relay";
