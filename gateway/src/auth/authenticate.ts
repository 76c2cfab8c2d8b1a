import type { HeaderMap } from "@apollo/server";
import type { Kysely } from "kysely";
import type { Identity } from "../../../lib/auth/identity";
import { SCOPE_ANY_TENANT } from "../../../lib/auth/roles";
import { ErrorCode, clientError } from "../../../lib/errors";
import { isTenantId } from "../../../lib/ids";
import type { Logger } from "../../../lib/logger";
import type { GatewayDatabase } from "./api-key.repository";
import { verifyApiKey } from "./api-key.service";
import { TokenError, type JwtVerifier } from "./jwt";

/** Header in which a `tenants:any` service caller names the tenant it acts for. */
export const TENANT_HEADER = "x-hub-tenant";

/** What a caller presents: a Bearer JWT or an API key, and the tenant a `tenants:any` caller acts for. */
export interface Credentials {
  authorization?: string | undefined;
  apiKey?: string | undefined;
  tenant?: string | undefined;
}

/** An authenticated caller, and until when its credential holds. */
export interface AuthenticatedIdentity extends Identity {
  /** When the credential stops being valid; absent for an API key without an expiry. */
  expiresAt?: Date;
}

/** Turns request credentials into an {@link AuthenticatedIdentity}, or throws `UNAUTHENTICATED`. */
export type Authenticator = (credentials: Credentials) => Promise<AuthenticatedIdentity>;

/** Reads the credential headers of an HTTP request. */
export function credentialsFrom(headers: HeaderMap): Credentials {
  return { authorization: headers.get("authorization"), apiKey: headers.get("x-api-key"), tenant: headers.get(TENANT_HEADER) };
}

/**
 * Builds the authenticator: a Bearer JWT or an `x-api-key`. Callers holding the
 * `tenants:any` scope must name the tenant they act for; everyone else is confined to
 * the tenant in their credential, whatever they send.
 */
export function createAuthenticator(verifyJwt: JwtVerifier, db: Kysely<GatewayDatabase>, logger: Logger): Authenticator {
  const refuse = (reason: string) => {
    logger.info({ reason }, "authentication refused");
    return clientError(ErrorCode.UNAUTHENTICATED, "missing or invalid credentials");
  };
  return async ({ authorization, apiKey, tenant }) => {
    let identity: AuthenticatedIdentity;
    if (authorization) {
      const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization);
      if (!match) throw refuse("malformed authorization header");
      try {
        const claims = await verifyJwt(match[1]!);
        identity = { sub: claims.sub, tenant: claims.tenant, role: claims.role, scopes: claims.scopes, expiresAt: claims.expiresAt };
      } catch (error) {
        if (error instanceof TokenError) throw refuse(`jwt: ${error.message}`);
        throw error;
      }
    } else if (apiKey) {
      const grant = await verifyApiKey(db, apiKey);
      if (!grant) throw refuse("unknown, revoked or expired api key");
      identity = { sub: `apikey:${grant.keyId}`, tenant: grant.tenantId, role: grant.role, scopes: grant.scopes, ...(grant.expiresAt ? { expiresAt: grant.expiresAt } : {}) };
    } else {
      throw refuse("no credentials");
    }
    if (tenant !== undefined && tenant !== identity.tenant) {
      if (!identity.scopes.includes(SCOPE_ANY_TENANT)) throw clientError(ErrorCode.FORBIDDEN, `this credential may not act for another tenant (${TENANT_HEADER})`);
      if (!isTenantId(tenant)) throw clientError(ErrorCode.BAD_USER_INPUT, `${TENANT_HEADER} is not a valid tenant id`);
      identity = { ...identity, tenant };
    }
    return identity;
  };
}
