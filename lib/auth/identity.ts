import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { createCache } from "../cache";
import { isTenantId } from "../ids";
import { isRole, type Role } from "./roles";

/** Who is calling, as the gateway vouches for it to a subgraph. */
export interface Identity {
  /** Subject: a user id or an API key id. */
  sub: string;
  tenant: string;
  role: Role;
  scopes: readonly string[];
}

/** Issuer of every identity token: only the gateway signs them. */
export const IDENTITY_ISSUER = "enterprisehub-gateway";
/** Identity tokens live this long; the gateway reuses one per caller and subgraph for half of it. */
export const IDENTITY_TTL_SECONDS = 60;

/** A PEM-encoded Ed25519 key pair for identity tokens. */
export interface IdentityKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** Generates a fresh Ed25519 key pair (dev secrets, tests). */
export function generateIdentityKeyPair(): IdentityKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** Signs identity tokens for one audience (a subgraph name) at a time. */
export interface IdentitySigner {
  sign(identity: Identity, audience: string): Promise<string>;
}

/**
 * Creates the gateway's signer from its private key (PEM). A token is reused for the same
 * caller and audience for half its lifetime (so every token sent has at least half left):
 * an Ed25519 signature per subgraph request was a visible share of the gateway's CPU.
 */
export function createIdentitySigner(privateKeyPem: string): IdentitySigner {
  const key: KeyObject = createPrivateKey(privateKeyPem);
  const signed = createCache<Promise<string>>({ name: "identity-tokens-signed", maxEntries: 10_000, ttlMs: (IDENTITY_TTL_SECONDS * 1000) / 2 });
  return {
    sign(identity, audience) {
      const cacheKey = JSON.stringify([audience, identity.sub, identity.tenant, identity.role, identity.scopes]);
      const cached = signed.get(cacheKey);
      if (cached) return cached;
      const token = new SignJWT({ tenant: identity.tenant, role: identity.role, scope: identity.scopes.join(" ") })
        .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
        .setIssuer(IDENTITY_ISSUER)
        .setAudience(audience)
        .setSubject(identity.sub)
        .setIssuedAt()
        .setExpirationTime(`${IDENTITY_TTL_SECONDS}s`)
        .sign(key);
      signed.set(cacheKey, token);
      return token;
    },
  };
}

/** Why an identity token was refused. */
export class IdentityError extends Error {
  override readonly name = "IdentityError";
}

/** Verifies identity tokens addressed to one subgraph. */
export interface IdentityVerifier {
  /** Resolves the identity, or rejects with {@link IdentityError}. */
  verify(token: string): Promise<Identity>;
}

/** A token already verified, and until when it holds. */
interface VerifiedToken {
  identity: Identity;
  expiresAtMs: number;
}

/**
 * Creates a subgraph's verifier: it needs only the gateway's public key (PEM). A token
 * verified once is known until it expires (the gateway reuses tokens, see
 * {@link createIdentitySigner}), so its signature is checked once, not per request.
 */
export function createIdentityVerifier(publicKeyPem: string, audience: string): IdentityVerifier {
  const key = createPublicKey(publicKeyPem);
  const verified = createCache<VerifiedToken>({ name: "identity-tokens-verified", maxEntries: 10_000, ttlMs: IDENTITY_TTL_SECONDS * 1000 });
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        if (known.expiresAtMs > Date.now()) return known.identity;
        throw new IdentityError("identity token refused: ERR_JWT_EXPIRED");
      }
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ["EdDSA"],
          issuer: IDENTITY_ISSUER,
          audience,
          requiredClaims: ["sub", "exp", "iat"],
          maxTokenAge: IDENTITY_TTL_SECONDS * 2,
        });
        const { sub, tenant, role, scope, exp } = payload;
        if (typeof sub !== "string" || !isTenantId(tenant) || !isRole(role) || typeof scope !== "string" || typeof exp !== "number") {
          throw new IdentityError("identity token claims are malformed");
        }
        const identity = { sub, tenant, role, scopes: scope.split(" ").filter(Boolean) };
        verified.set(token, { identity, expiresAtMs: exp * 1000 });
        return identity;
      } catch (error) {
        if (error instanceof IdentityError) throw error;
        if (error instanceof joseErrors.JOSEError) throw new IdentityError(`identity token refused: ${error.code}`);
        throw error;
      }
    },
  };
}
