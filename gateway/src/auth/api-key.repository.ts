import type { ColumnType, Insertable, Kysely, Selectable } from "kysely";

/** `gateway.api_keys`. */
export interface ApiKeyTable {
  id: string;
  tenant_id: string;
  name: string;
  role: string;
  scopes: string[];
  key_prefix: string;
  key_hash: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  rotated_from: string | null;
}

/** The gateway's tables. */
export interface GatewayDatabase {
  "gateway.api_keys": ApiKeyTable;
}

/** An API key row. */
export type ApiKeyRow = Selectable<ApiKeyTable>;
type Db = Kysely<GatewayDatabase>;

/** The key with this public prefix, if any. */
export function findApiKeyByPrefix(db: Db, prefix: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom("gateway.api_keys").selectAll().where("key_prefix", "=", prefix).executeTakeFirst();
}

/** Records use, at most once a minute per key so hot keys do not write on every request. */
export async function touchApiKey(db: Db, id: string): Promise<void> {
  await db
    .updateTable("gateway.api_keys")
    .set({ last_used_at: new Date() })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", new Date(Date.now() - 60_000))]))
    .execute();
}

/** Inserts a key (owner connection: the CLI). */
export function insertApiKey(db: Db, row: Insertable<ApiKeyTable>): Promise<ApiKeyRow> {
  return db.insertInto("gateway.api_keys").values(row).returningAll().executeTakeFirstOrThrow();
}

/** A tenant's keys, or every key. */
export function listApiKeys(db: Db, tenantId?: string): Promise<ApiKeyRow[]> {
  let query = db.selectFrom("gateway.api_keys").selectAll().orderBy("created_at");
  if (tenantId) query = query.where("tenant_id", "=", tenantId);
  return query.execute();
}

/** One key by id. */
export function findApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom("gateway.api_keys").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Sets a key's expiry or revocation time. */
export async function endApiKey(db: Db, id: string, change: { expires_at?: Date; revoked_at?: Date }): Promise<void> {
  await db.updateTable("gateway.api_keys").set(change).where("id", "=", id).execute();
}
