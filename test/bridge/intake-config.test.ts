import { generateKeyPairSync } from "node:crypto";
import { readGhlWebhookConfig, DEFAULT_WEBHOOK_MAX_AGE_MS } from "../../bridge/src/config";
import { GHL_ED25519_PUBLIC_KEY, GHL_LEGACY_RSA_PUBLIC_KEY } from "../../bridge/src/intake/ghl-keys";
import { ConfigError } from "../../lib/config";

function ed25519Pem(): string {
  return generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString();
}

describe("the bridge's webhook settings", () => {
  it("default to GHL's published keys, no legacy cut-off, a 90-minute window and no workflow secrets", () => {
    expect(readGhlWebhookConfig({})).toEqual({
      publicKeys: [GHL_ED25519_PUBLIC_KEY],
      legacyPublicKey: GHL_LEGACY_RSA_PUBLIC_KEY,
      maxAgeMs: DEFAULT_WEBHOOK_MAX_AGE_MS,
      workflowSecrets: {},
    });
  });

  it("take several keys for a rotation, as PEM (newlines escaped) or comma-separated base64", () => {
    const [a, b] = [ed25519Pem(), ed25519Pem()];
    expect(readGhlWebhookConfig({ GHL_WEBHOOK_PUBLIC_KEYS: `${a}${b}`.replace(/\n/g, "\\n") }).publicKeys).toEqual([a, b]);
    const body = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, "");
    expect(readGhlWebhookConfig({ GHL_WEBHOOK_PUBLIC_KEYS: `${body(a)}, ${body(b)}` }).publicKeys).toEqual([a, b]);
  });

  it("read the legacy cut-off, the window and the workflow secrets", () => {
    const config = readGhlWebhookConfig({
      GHL_LEGACY_SIGNATURE_UNTIL: "2026-09-01T00:00:00Z",
      GHL_WEBHOOK_MAX_AGE_MS: "60000",
      GHL_WORKFLOW_SECRETS: "loc-1=0123456789abcdef0123, loc_2=fedcba9876543210fedc",
    });
    expect(config.legacySignatureUntil).toEqual(new Date("2026-09-01T00:00:00Z"));
    expect(config.maxAgeMs).toBe(60_000);
    expect(config.workflowSecrets).toEqual({ "loc-1": "0123456789abcdef0123", loc_2: "fedcba9876543210fedc" });
  });

  it.each([
    ["GHL_WEBHOOK_PUBLIC_KEYS", { GHL_WEBHOOK_PUBLIC_KEYS: GHL_LEGACY_RSA_PUBLIC_KEY }],
    ["GHL_WEBHOOK_PUBLIC_KEYS", { GHL_WEBHOOK_PUBLIC_KEYS: "not-a-key" }],
    ["GHL_LEGACY_PUBLIC_KEY", { GHL_LEGACY_PUBLIC_KEY: GHL_ED25519_PUBLIC_KEY }],
    ["GHL_LEGACY_SIGNATURE_UNTIL", { GHL_LEGACY_SIGNATURE_UNTIL: "someday" }],
    ["GHL_WEBHOOK_MAX_AGE_MS", { GHL_WEBHOOK_MAX_AGE_MS: "-5" }],
    ["GHL_WORKFLOW_SECRETS", { GHL_WORKFLOW_SECRETS: "loc-1=short" }],
    ["GHL_WORKFLOW_SECRETS", { GHL_WORKFLOW_SECRETS: "bad location=0123456789abcdef0123" }],
  ])("refuse a bad %s, naming it", (name, env) => {
    expect(() => readGhlWebhookConfig(env)).toThrow(ConfigError);
    expect(() => readGhlWebhookConfig(env)).toThrow(name);
  });

  it("never echo a workflow secret in an error", () => {
    expect(() => readGhlWebhookConfig({ GHL_WORKFLOW_SECRETS: "bad location=very-secret-value-123" })).toThrow(expect.objectContaining({ message: expect.not.stringContaining("very-secret") }));
  });
});
