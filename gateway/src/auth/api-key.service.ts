import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import { uuidv7 } from "../../../lib/ids";
import type { Role } from "../../../lib/auth/roles";
import { isRole } from "../../../lib/auth/roles";
import * as repo from "./api-key.repository";
import type { ApiKeyRow, GatewayDatabase } from "./api-key.repository";

type Db = Kysely<GatewayDatabase>;

/** An API key as shown to operators (never the secret). */
export interface ApiKeyInfo {
  id: string;
  tenantId: string;
  name: string;
  role: Role;
  scopes: string[];
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** What a valid key grants. */
export interface ApiKeyGrant {
  keyId: string;
  tenantId: string;
  role: Role;
  scopes: string[];
  /** When the key stops being valid; null for a key without an expiry. */
  expiresAt: Date | null;
}

// `ehk_<prefix>_<secret>`: the prefix finds the row, only the secret's hash is stored.
const KEY_FORMAT = /^ehk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

function hash(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

function toInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    role: row.role as Role,
    scopes: row.scopes,
    prefix: row.key_prefix,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

/** Issues a key; the plaintext is returned once and never stored. */
export async function createApiKey(
  db: Db,
  spec: { tenantId: string; name: string; role: Role; scopes: string[]; expiresAt: Date | null; rotatedFrom?: string },
): Promise<{ key: string; info: ApiKeyInfo }> {
  const prefix = randomBytes(9).toString("base64url").replace(/[-_]/g, "x").slice(0, 12);
  const secret = randomBytes(32).toString("base64url");
  const row = await repo.insertApiKey(db, {
    id: uuidv7(),
    tenant_id: spec.tenantId,
    name: spec.name,
    role: spec.role,
    scopes: spec.scopes,
    key_prefix: prefix,
    key_hash: hash(secret),
    expires_at: spec.expiresAt,
    revoked_at: null,
    last_used_at: null,
    rotated_from: spec.rotatedFrom ?? null,
  });
  return { key: `ehk_${prefix}_${secret}`, info: toInfo(row) };
}

/** Lists keys (optionally of one tenant). */
export async function listApiKeys(db: Db, tenantId?: string): Promise<ApiKeyInfo[]> {
  return (await repo.listApiKeys(db, tenantId)).map(toInfo);
}

/** Issues a successor with the same grants; the old key stays valid for `overlapSeconds`. */
export async function rotateApiKey(db: Db, id: string, overlapSeconds: number): Promise<{ key: string; info: ApiKeyInfo } | null> {
  return db.transaction().execute(async (trx) => {
    const old = await repo.findApiKey(trx, id);
    if (!old || old.revoked_at) return null;
    const overlapEnd = new Date(Date.now() + overlapSeconds * 1000);
    const expiresAt = old.expires_at && old.expires_at < overlapEnd ? old.expires_at : overlapEnd;
    await repo.endApiKey(trx, id, { expires_at: expiresAt });
    return createApiKey(trx, { tenantId: old.tenant_id, name: old.name, role: old.role as Role, scopes: old.scopes, expiresAt: old.expires_at && old.expires_at > overlapEnd ? old.expires_at : null, rotatedFrom: old.id });
  });
}

/** Revokes a key at once. */
export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  const key = await repo.findApiKey(db, id);
  if (!key) return false;
  await repo.endApiKey(db, id, { revoked_at: new Date() });
  return true;
}

/** Checks a presented key: well-formed, known, hash matches, not revoked, not expired. */
export async function verifyApiKey(db: Db, presented: string): Promise<ApiKeyGrant | null> {
  const match = KEY_FORMAT.exec(presented);
  if (!match) return null;
  const row = await repo.findApiKeyByPrefix(db, match[1]!);
  if (!row) return null;
  const ok = timingSafeEqual(Buffer.from(hash(match[2]!), "hex"), Buffer.from(row.key_hash, "hex"));
  const now = new Date();
  if (!ok || row.revoked_at || (row.expires_at && row.expires_at <= now) || !isRole(row.role)) return null;
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) void repo.touchApiKey(db, row.id).catch(() => undefined);
  return { keyId: row.id, tenantId: row.tenant_id, role: row.role, scopes: row.scopes, expiresAt: row.expires_at };
}
