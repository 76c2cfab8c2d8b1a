import { ConfigError, envInt, envString } from "../../lib/config";
import { isTenantId } from "../../lib/ids";
import { GHL_ED25519_PUBLIC_KEY, GHL_LEGACY_RSA_PUBLIC_KEY } from "./intake/ghl-keys";
import { parsePublicKey } from "./intake/signature";

type Env = Readonly<Record<string, string | undefined>>;

/** How the bridge verifies and admits GHL webhooks. */
export interface GhlWebhookConfig {
  /** Ed25519 public keys (PEM) for `X-GHL-Signature`; several while GHL rotates its key. */
  publicKeys: string[];
  /** RSA public key (PEM) for the legacy `x-wh-signature`. */
  legacyPublicKey?: string;
  /** The legacy signature is accepted only before this instant; absent, never. */
  legacySignatureUntil?: Date;
  /** Oldest delivery `timestamp` accepted, in milliseconds before now. */
  maxAgeMs: number;
  /** Per location id, the secret its unsigned workflow webhooks must present. */
  workflowSecrets: Record<string, string>;
}

/** Default replay window: GHL retries for about 70 minutes after the first attempt. */
export const DEFAULT_WEBHOOK_MAX_AGE_MS = 90 * 60_000;
/** Shortest workflow secret accepted: it is the only thing guarding an unsigned route. */
const MIN_WORKFLOW_SECRET_LENGTH = 16;
const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/** `\n` escapes are accepted because .env files and CI secrets rarely keep newlines. */
function unescapeNewlines(raw: string): string {
  return raw.includes("\\n") ? raw.replace(/\\n/g, "\n") : raw;
}

/** One or more keys: PEM blocks one after another, or comma-separated base64 SPKI (a PEM's body). */
function publicKeyList(raw: string): string[] {
  const text = unescapeNewlines(raw);
  const blocks = text.match(PEM_BLOCK);
  if (blocks) return blocks.map((block) => `${block}\n`);
  return text
    .split(",")
    .map((part) => part.replace(/\s+/g, ""))
    .filter((part) => part !== "")
    .map((base64) => `-----BEGIN PUBLIC KEY-----\n${base64}\n-----END PUBLIC KEY-----\n`);
}

function workflowSecretMap(raw: string, name: string): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const pair of raw.split(",").map((part) => part.trim()).filter((part) => part !== "")) {
    const separator = pair.indexOf("=");
    const location = separator < 0 ? "" : pair.slice(0, separator).trim();
    const secret = separator < 0 ? "" : pair.slice(separator + 1).trim();
    // The value is never echoed: it holds secrets.
    if (!isTenantId(location)) throw new ConfigError(`${name} must be location=secret pairs separated by commas, each location a GHL location id`);
    if (secret.length < MIN_WORKFLOW_SECRET_LENGTH) throw new ConfigError(`${name}: the secret for ${location} must be at least ${MIN_WORKFLOW_SECRET_LENGTH} characters`);
    if (location in secrets) throw new ConfigError(`${name} names ${location} twice`);
    secrets[location] = secret;
  }
  return secrets;
}

/**
 * Reads the webhook settings: `GHL_WEBHOOK_PUBLIC_KEYS` (default: GHL's published Ed25519
 * key), `GHL_LEGACY_PUBLIC_KEY` (default: GHL's published RSA key), `GHL_LEGACY_SIGNATURE_UNTIL`
 * (ISO-8601; unset disables the legacy scheme), `GHL_WEBHOOK_MAX_AGE_MS` (default 90 minutes)
 * and `GHL_WORKFLOW_SECRETS` (`location=secret,...`). Throws {@link ConfigError} naming the
 * variable at fault.
 */
export function readGhlWebhookConfig(env: Env): GhlWebhookConfig {
  const keysRaw = envString(env, "GHL_WEBHOOK_PUBLIC_KEYS");
  const publicKeys = keysRaw === undefined ? [GHL_ED25519_PUBLIC_KEY] : publicKeyList(keysRaw);
  if (publicKeys.length === 0) throw new ConfigError("GHL_WEBHOOK_PUBLIC_KEYS holds no key");
  publicKeys.forEach((pem, index) => {
    try {
      parsePublicKey(pem, "ed25519", `key #${index + 1}`);
    } catch (error) {
      throw new ConfigError(`GHL_WEBHOOK_PUBLIC_KEYS: ${error instanceof Error ? error.message : "invalid key"}`);
    }
  });

  const legacyRaw = envString(env, "GHL_LEGACY_PUBLIC_KEY");
  const legacyPublicKey = legacyRaw === undefined ? GHL_LEGACY_RSA_PUBLIC_KEY : unescapeNewlines(legacyRaw);
  try {
    parsePublicKey(legacyPublicKey, "rsa", "the key");
  } catch (error) {
    throw new ConfigError(`GHL_LEGACY_PUBLIC_KEY: ${error instanceof Error ? error.message : "invalid key"}`);
  }

  const untilRaw = envString(env, "GHL_LEGACY_SIGNATURE_UNTIL");
  let legacySignatureUntil: Date | undefined;
  if (untilRaw !== undefined) {
    legacySignatureUntil = new Date(untilRaw);
    if (Number.isNaN(legacySignatureUntil.getTime())) throw new ConfigError(`GHL_LEGACY_SIGNATURE_UNTIL must be an ISO-8601 date-time; got "${untilRaw}"`);
  }

  const secretsRaw = envString(env, "GHL_WORKFLOW_SECRETS");
  return {
    publicKeys,
    legacyPublicKey,
    ...(legacySignatureUntil ? { legacySignatureUntil } : {}),
    maxAgeMs: envInt(env, "GHL_WEBHOOK_MAX_AGE_MS", DEFAULT_WEBHOOK_MAX_AGE_MS),
    workflowSecrets: secretsRaw === undefined ? {} : workflowSecretMap(secretsRaw, "GHL_WORKFLOW_SECRETS"),
  };
}
