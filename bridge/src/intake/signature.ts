import { createPublicKey, verify, constants, type KeyObject } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** Header of the current scheme: Ed25519 over the raw body, base64. */
export const SIGNATURE_HEADER = "x-ghl-signature";
/** Header of the legacy scheme: RSA-SHA256 (PKCS#1 v1.5) over the raw body, base64. */
export const LEGACY_SIGNATURE_HEADER = "x-wh-signature";

/** Why a delivery's signature was refused; safe to log (it says nothing about the body). */
export type SignatureFailure = "missing" | "malformed" | "invalid" | "legacy_disabled";

/** The outcome of checking one delivery's signature. */
export type SignatureCheck = { ok: true; scheme: "ed25519" | "rsa_legacy" } | { ok: false; reason: SignatureFailure };

/** Which keys verify deliveries, and until when the legacy scheme is honoured. */
export interface SignatureKeys {
  /** Ed25519 public keys (PEM); more than one while GHL rotates its key. */
  publicKeys: readonly string[];
  /** RSA public key (PEM) of the legacy scheme. */
  legacyPublicKey?: string;
  /** The legacy scheme is accepted only before this instant; absent, never. */
  legacySignatureUntil?: Date;
}

/** Checks webhook signatures against configured keys. */
export interface SignatureVerifier {
  /** Verifies `body` (the raw bytes, exactly as received) against the request's signature headers. */
  verify(body: Buffer, headers: IncomingHttpHeaders): SignatureCheck;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ED25519_SIGNATURE_BYTES = 64;

/** Parses a PEM public key of the given type; throws naming what is wrong (never the key). */
export function parsePublicKey(pem: string, type: "ed25519" | "rsa", label: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error(`${label} is not a valid PEM public key`);
  }
  if (key.asymmetricKeyType !== type) throw new Error(`${label} must be an ${type === "ed25519" ? "Ed25519" : "RSA"} key; got ${key.asymmetricKeyType ?? "unknown"}`);
  return key;
}

/** `crypto.verify` that answers false, rather than throwing, for a signature it cannot even parse. */
function verifies(algorithm: string | null, body: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return algorithm === null ? verify(null, body, key, signature) : verify(algorithm, body, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}

type HeaderSignature = { kind: "absent" } | { kind: "malformed" } | { kind: "present"; bytes: Buffer };

/** A signature header's bytes; GHL sends `N/A` when it has no signature of that scheme. */
function headerSignature(headers: IncomingHttpHeaders, name: string): HeaderSignature {
  const value = headers[name];
  if (value === undefined) return { kind: "absent" };
  // A repeated header is not something GHL sends: refuse rather than guess which one counts.
  if (typeof value !== "string") return { kind: "malformed" };
  const text = value.trim();
  if (text === "" || text.toUpperCase() === "N/A") return { kind: "absent" };
  if (!BASE64.test(text)) return { kind: "malformed" };
  return { kind: "present", bytes: Buffer.from(text, "base64") };
}

/**
 * Creates the verifier for GHL webhook signatures: `X-GHL-Signature` (Ed25519, any of the
 * configured keys), else `x-wh-signature` (RSA-SHA256) while the legacy cut-off is in the
 * future. Keys are parsed here, so a bad key fails at startup rather than on a delivery.
 */
export function createSignatureVerifier(keys: SignatureKeys, now: () => number = Date.now): SignatureVerifier {
  if (keys.publicKeys.length === 0) throw new Error("at least one Ed25519 webhook public key is required");
  const ed25519 = keys.publicKeys.map((pem, index) => parsePublicKey(pem, "ed25519", `webhook public key #${index + 1}`));
  const legacy = keys.legacyPublicKey === undefined ? undefined : parsePublicKey(keys.legacyPublicKey, "rsa", "legacy webhook public key");
  const legacyUntil = keys.legacySignatureUntil?.getTime();

  return {
    verify(body, headers) {
      const current = headerSignature(headers, SIGNATURE_HEADER);
      if (current.kind === "present" && current.bytes.length === ED25519_SIGNATURE_BYTES) {
        if (ed25519.some((key) => verifies(null, body, key, current.bytes))) return { ok: true, scheme: "ed25519" };
      }
      // During the migration GHL sends both headers: a delivery whose Ed25519 signature fails
      // may still be genuine under the legacy scheme, while that scheme is honoured.
      const old = headerSignature(headers, LEGACY_SIGNATURE_HEADER);
      const legacyOpen = legacy !== undefined && legacyUntil !== undefined && now() < legacyUntil;
      if (old.kind === "present" && legacyOpen) {
        if (verifies("sha256", body, legacy, old.bytes)) return { ok: true, scheme: "rsa_legacy" };
      }
      if (current.kind === "present") return { ok: false, reason: "invalid" };
      if (current.kind === "malformed") return { ok: false, reason: "malformed" };
      if (old.kind === "present") return { ok: false, reason: legacyOpen ? "invalid" : "legacy_disabled" };
      if (old.kind === "malformed") return { ok: false, reason: "malformed" };
      return { ok: false, reason: "missing" };
    },
  };
}
