import { createSecretKey, type KeyObject } from "node:crypto";
import { SignJWT, createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from "jose";
import { isTenantId } from "../../../lib/ids";
import { isRole, type Role } from "../../../lib/auth/roles";
import type { JwtConfig } from "../config";

/** Asymmetric algorithms accepted from a JWKS; `none` and anything unlisted are refused. */
const JWKS_ALGORITHMS = ["RS256", "ES256", "EdDSA"];

/** The claims a client token must carry. */
export interface UserClaims {
  sub: string;
  tenant: string;
  role: Role;
  scopes: string[];
}

/** The claims of a verified client token, with its expiry. */
export interface VerifiedClaims extends UserClaims {
  /** The token's `exp`: long-lived connections end what they started with it then. */
  expiresAt: Date;
}

/** Why a token was refused (logged, never shown to the client in detail). */
export class TokenError extends Error {
  override readonly name = "TokenError";
}

/** Verifies client JWTs against the configured secret or JWKS. */
export type JwtVerifier = (token: string) => Promise<VerifiedClaims>;

function toClaims(payload: JWTPayload): VerifiedClaims {
  const { sub, tenant, role, scope, exp } = payload as JWTPayload & { tenant?: unknown; role?: unknown; scope?: unknown };
  if (typeof sub !== "string" || sub.length === 0) throw new TokenError("token has no subject");
  if (!isTenantId(tenant)) throw new TokenError("token has no valid tenant claim");
  if (!isRole(role)) throw new TokenError("token has no valid role claim");
  if (scope !== undefined && typeof scope !== "string") throw new TokenError("token scope must be a string");
  // jose has checked `exp` (a required claim) is a number in the future.
  if (typeof exp !== "number") throw new TokenError("token has no expiry");
  return { sub, tenant, role, scopes: (scope ?? "").split(" ").filter(Boolean), expiresAt: new Date(exp * 1000) };
}

/** Builds the verifier: HS256 with the secret, or the JWKS's asymmetric algorithms; iss, aud, exp, nbf checked. */
export function createJwtVerifier(config: JwtConfig): JwtVerifier {
  const options = { issuer: config.issuer, audience: config.audience, requiredClaims: ["exp", "sub"] };
  let verify: (token: string) => Promise<JWTPayload>;
  if (config.jwksUrl) {
    const jwks = createRemoteJWKSet(new URL(config.jwksUrl));
    verify = async (token) => (await jwtVerify(token, jwks, { ...options, algorithms: JWKS_ALGORITHMS })).payload;
  } else if (config.secret) {
    const key: KeyObject = createSecretKey(Buffer.from(config.secret, "utf8"));
    verify = async (token) => (await jwtVerify(token, key, { ...options, algorithms: ["HS256"] })).payload;
  } else {
    throw new Error("JWT verification needs JWT_SECRET or JWKS_URL");
  }
  return async (token) => {
    try {
      return toClaims(await verify(token));
    } catch (error) {
      if (error instanceof TokenError) throw error;
      if (error instanceof joseErrors.JOSEError) throw new TokenError(error.code);
      throw error;
    }
  };
}

/** Signs an HS256 client token (the dev `npm run token` and tests). */
export function signUserToken(secret: string, claims: UserClaims, options: { issuer: string; audience: string; ttlSeconds: number }): Promise<string> {
  return new SignJWT({ tenant: claims.tenant, role: claims.role, scope: claims.scopes.join(" ") })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(claims.sub)
    .setIssuedAt()
    .setNotBefore("0s")
    .setExpirationTime(Math.floor(Date.now() / 1000) + options.ttlSeconds)
    .sign(createSecretKey(Buffer.from(secret, "utf8")));
}
