import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { generateIdentityKeyPair } from "./auth/identity";

/** Secrets `npm start` generates once into the data directory for local development. */
export interface DevSecrets {
  jwtSecret: string;
  identityPrivateKey: string;
  identityPublicKey: string;
  appDbPassword: string;
}

function isDevSecrets(value: unknown): value is DevSecrets {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return ["jwtSecret", "identityPrivateKey", "identityPublicKey", "appDbPassword"].every((k) => typeof v[k] === "string");
}

/** Path of the dev secrets file in `dataDir`. */
export function devSecretsPath(dataDir: string): string {
  return join(dataDir, "secrets.json");
}

/** Reads the dev secrets, or returns null when `npm start` has not generated them yet. */
export function readDevSecrets(dataDir: string): DevSecrets | null {
  const path = devSecretsPath(dataDir);
  if (!existsSync(path)) return null;
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!isDevSecrets(parsed)) throw new Error(`${path} is not a valid dev secrets file; delete it to regenerate`);
  return parsed;
}

/** Reads the dev secrets, generating and saving them (mode 0600) on first use. */
export function loadOrCreateDevSecrets(dataDir: string): { secrets: DevSecrets; created: boolean } {
  const existing = readDevSecrets(dataDir);
  if (existing) return { secrets: existing, created: false };
  const keys = generateIdentityKeyPair();
  const secrets: DevSecrets = {
    jwtSecret: randomBytes(48).toString("base64url"),
    identityPrivateKey: keys.privateKeyPem,
    identityPublicKey: keys.publicKeyPem,
    appDbPassword: randomBytes(24).toString("base64url"),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(devSecretsPath(dataDir), JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return { secrets, created: true };
}
