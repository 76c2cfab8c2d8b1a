import { sql, type Kysely, type Migration } from "kysely";
import { grantTenantTables, type MigrationSet } from "../db/migrate";

/** Migrations of the shared `events` schema: the log, consumer offsets, and the commit-safe reader. */
export function eventsMigrations(appRole: string): MigrationSet {
  const createLog: Migration = {
    async up(db: Kysely<unknown>) {
      await sql`
        create table events.log (
          id bigserial primary key,
          tenant_id text not null,
          type text not null,
          aggregate_id text not null,
          payload jsonb not null,
          occurred_at timestamptz not null default now(),
          producer text not null,
          tx xid8 not null default pg_current_xact_id()
        )`.execute(db);
      await sql`create index log_tx_id on events.log (tx, id)`.execute(db);
      await sql`create index log_tenant_aggregate on events.log (tenant_id, aggregate_id, id)`.execute(db);
      await sql`grant usage on sequence events.log_id_seq to ${sql.id(appRole)}`.execute(db);
      await grantTenantTables(db, "events", ["log"], appRole);

      await sql`
        create table events.consumer_offsets (
          consumer text primary key,
          last_tx xid8 not null,
          last_id bigint not null,
          updated_at timestamptz not null default now()
        )`.execute(db);
      await sql`grant select, insert, update on events.consumer_offsets to ${sql.id(appRole)}`.execute(db);

      // Consumers read every tenant's events; this owner-defined function is their only
      // way past the log's row-level security, and it enforces the commit-safe horizon.
      await sql`
        create function events.read_after(after_tx xid8, after_id bigint, max_rows integer)
        returns setof events.log
        language sql stable security definer
        set search_path = pg_catalog, events
        as $$
          select * from events.log
          where (tx > after_tx or (tx = after_tx and id > after_id))
            and tx < pg_snapshot_xmin(pg_current_snapshot())
          order by tx, id
          limit max_rows
        $$`.execute(db);
      await sql`revoke all on function events.read_after(xid8, bigint, integer) from public`.execute(db);
      await sql`grant execute on function events.read_after(xid8, bigint, integer) to ${sql.id(appRole)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop function events.read_after(xid8, bigint, integer)`.execute(db);
      await sql`drop table events.consumer_offsets`.execute(db);
      await sql`drop table events.log`.execute(db);
    },
  };
  const consumerLag: Migration = {
    async up(db: Kysely<unknown>) {
      // How far a consumer trails the log, across tenants: like `read_after`, an owner-defined
      // function is the app role's only view of other tenants' rows, and it returns counts only.
      await sql`
        create function events.consumer_lag(consumer_name text)
        returns table (events_behind bigint, oldest_unread_at timestamptz)
        language sql stable security definer
        set search_path = pg_catalog, events
        as $$
          with position as (
            select coalesce((select last_tx from events.consumer_offsets where consumer = consumer_name), '0'::xid8) as tx,
                   coalesce((select last_id from events.consumer_offsets where consumer = consumer_name), 0) as id
          )
          select count(*), min(l.occurred_at)
          from events.log l, position p
          where l.tx > p.tx or (l.tx = p.tx and l.id > p.id)
        $$`.execute(db);
      await sql`revoke all on function events.consumer_lag(text) from public`.execute(db);
      await sql`grant execute on function events.consumer_lag(text) to ${sql.id(appRole)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop function events.consumer_lag(text)`.execute(db);
    },
  };
  const headPosition: Migration = {
    async up(db: Kysely<unknown>) {
      // Where a live tail starts: the last event below the commit-safe horizon, the same rule
      // `read_after` applies, so reading forward from here skips nothing committed later.
      // Across tenants like `read_after`, and it returns the position only, never a row.
      await sql`
        create function events.head_position()
        returns table (tx xid8, id bigint)
        language sql stable security definer
        set search_path = pg_catalog, events
        as $$
          select l.tx, l.id from events.log l
          where l.tx < pg_snapshot_xmin(pg_current_snapshot())
          order by l.tx desc, l.id desc
          limit 1
        $$`.execute(db);
      await sql`revoke all on function events.head_position() from public`.execute(db);
      await sql`grant execute on function events.head_position() to ${sql.id(appRole)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop function events.head_position()`.execute(db);
    },
  };
  return {
    schema: "events",
    migrations: {
      "20261121T000000_create_log": createLog,
      "20261122T000200_consumer_lag": consumerLag,
      "20261123T000000_head_position": headPosition,
    },
  };
}
