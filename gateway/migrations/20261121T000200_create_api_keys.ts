import { sql, type Kysely, type Migration } from "kysely";

/** Hashed, scoped, expiring API keys. */
export function createApiKeys(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`
        create table gateway.api_keys (
          id uuid primary key,
          tenant_id text not null,
          name text not null,
          role text not null,
          scopes text[] not null default '{}',
          key_prefix text not null unique,
          key_hash text not null,
          created_at timestamptz not null default now(),
          expires_at timestamptz,
          revoked_at timestamptz,
          last_used_at timestamptz,
          rotated_from uuid references gateway.api_keys (id)
        )`.execute(db);
      await sql`create index api_keys_tenant on gateway.api_keys (tenant_id, created_at)`.execute(db);
      // Keys are looked up before the tenant is known, so this table is not tenant-scoped
      // by row-level security; the gateway is its only reader.
      await sql`grant usage on schema gateway to ${sql.id(appRole)}`.execute(db);
      await sql`grant select, update (last_used_at) on gateway.api_keys to ${sql.id(appRole)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table gateway.api_keys`.execute(db);
    },
  };
}
