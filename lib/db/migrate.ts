import { Migrator, sql, type Kysely, type Migration } from "kysely";

/** The migrations of one service, applied in key order into its own Postgres schema. */
export interface MigrationSet {
  /** The Postgres schema the service owns; its migration bookkeeping lives there too. */
  schema: string;
  /** Timestamp-prefixed names to migrations. */
  migrations: Record<string, Migration>;
}

/**
 * Applies every pending migration of each set, in order, as the database owner.
 * Throws with the failing migration's name. Safe to run concurrently with another
 * process doing the same (Kysely takes an advisory lock per set).
 */
export async function migrateToLatest(db: Kysely<unknown>, sets: readonly MigrationSet[]): Promise<void> {
  for (const set of sets) {
    await sql`create schema if not exists ${sql.id(set.schema)}`.execute(db);
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => set.migrations },
      migrationTableSchema: set.schema,
    });
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === "Error");
    if (error || failed) {
      const cause = error instanceof Error ? error.message : String(error);
      throw new Error(`migration ${set.schema}/${failed?.migrationName ?? "?"} failed: ${cause}`, { cause: error });
    }
  }
}

/**
 * Ensures the login role that services connect as exists, owns nothing, bypasses nothing,
 * and has the given password. Concurrent callers race benignly.
 */
export async function ensureAppRole(db: Kysely<unknown>, role: string, password: string): Promise<void> {
  await sql`
    do $$ begin
      create role ${sql.id(role)} login nosuperuser nobypassrls nocreatedb nocreaterole;
    exception when duplicate_object then null;
    end $$`.execute(db);
  await sql`alter role ${sql.id(role)} with login nosuperuser nobypassrls password ${sql.lit(password)}`.execute(db);
  await sql`grant connect on database ${sql.id(await currentDatabase(db))} to ${sql.id(role)}`.execute(db);
}

async function currentDatabase(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(db);
  return rows[0]!.name;
}

/**
 * Grants the app role use of a service schema, and confines each named table to the
 * current tenant with row-level security. Call from a migration after creating tables.
 */
export async function grantTenantTables(db: Kysely<unknown>, schema: string, tables: readonly string[], appRole: string): Promise<void> {
  await sql`grant usage on schema ${sql.id(schema)} to ${sql.id(appRole)}`.execute(db);
  for (const table of tables) {
    const ref = sql.id(schema, table);
    await sql`grant select, insert, update, delete on ${ref} to ${sql.id(appRole)}`.execute(db);
    await sql`alter table ${ref} enable row level security`.execute(db);
    await sql`drop policy if exists tenant_isolation on ${ref}`.execute(db);
    await sql`
      create policy tenant_isolation on ${ref}
        using (tenant_id = current_setting('app.tenant_id', true))
        with check (tenant_id = current_setting('app.tenant_id', true))`.execute(db);
  }
}
