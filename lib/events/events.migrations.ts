import { sql, type Kysely, type Migration } from "kysely";
import { grantTenantTables, type MigrationSet } from "../db/migrate";
import { EVENTS_CHANNEL } from "./event-log";

/**
 * The advisory lock (two-key form) a transaction holds while it may append to the log:
 * readers look for its holders in pg_locks. No other lock in the platform uses this pair.
 */
const APPEND_LOCK = [7710, 1] as const;

/** Migrations of the shared `events` schema: the log, consumer offsets, and the commit-safe reader. */
export function eventsMigrations(appRole: string): MigrationSet {
  // Written into the append function; the channel is the readers' contract, never renamed.
  const channel = EVENTS_CHANNEL;
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
  const appendHorizon: Migration = {
    async up(db: Kysely<unknown>) {
      // Readers used to stop at the oldest transaction in flight (pg_snapshot_xmin). That
      // made every long transaction hold every reader back, including ones that never append
      // (a projection's batch, a report rebuild), and under load those batches grew longer
      // the further behind they fell. Now a transaction that appends declares itself before
      // its first write, by holding a shared advisory lock, and readers stop only at the oldest
      // declared transaction in flight. Why that is enough: an undeclared transaction that has
      // written can never append (checked below), and a declared one that has not written yet
      // will get an xid above every xid given out so far.
      await sql`
        create function events.begin_append()
        returns void
        language plpgsql volatile
        set search_path = pg_catalog, events
        as $$
        begin
          if current_setting('events.appending', true) = 'on' then
            return;
          end if;
          if pg_current_xact_id_if_assigned() is not null then
            raise exception 'events.begin_append() must run before the transaction''s first write'
              using errcode = '55000', hint = 'a transaction that appends to events.log declares it before writing anything';
          end if;
          perform pg_advisory_xact_lock_shared(${sql.lit(APPEND_LOCK[0])}, ${sql.lit(APPEND_LOCK[1])});
          perform set_config('events.appending', 'on', true);
        end
        $$`.execute(db);
      await sql`revoke all on function events.begin_append() from public`.execute(db);
      await sql`grant execute on function events.begin_append() to ${sql.id(appRole)}`.execute(db);

      // An append that is its transaction's first write declares itself; any other must have
      // been declared. The id and the xid are taken here, after the declaration, not as
      // column defaults: defaults are evaluated before BEFORE triggers, and nextval() itself
      // may assign the transaction its xid.
      await sql`
        create function events.log_before_insert()
        returns trigger
        language plpgsql
        set search_path = pg_catalog, events
        as $$
        begin
          perform events.begin_append();
          new.id := nextval('events.log_id_seq');
          new.tx := pg_current_xact_id();
          return new;
        end
        $$`.execute(db);
      await sql`alter table events.log alter column tx drop default, alter column id drop default`.execute(db);
      await sql`create trigger log_declared_append before insert on events.log for each row execute function events.log_before_insert()`.execute(db);

      // The snapshot (taken at statement start) comes before the lock table is read, so a
      // declared transaction missing from pg_locks has finished and a read in a later
      // statement sees its rows. The conversion matches pg_locks' 32-bit xids to the
      // snapshot's 64-bit ones: no two transactions in flight share the low 32 bits.
      await sql`
        create function events.append_horizon()
        returns xid8
        language plpgsql volatile security definer
        set search_path = pg_catalog, events
        as $$
        declare
          horizon xid8;
        begin
          -- A read under repeatable read uses the transaction's snapshot, which may predate
          -- this horizon and miss what committed in between: refused for every reader here.
          if current_setting('transaction_isolation') <> 'read committed' then
            raise exception 'reading events.log needs read committed isolation' using errcode = '25000';
          end if;
          -- PL/pgSQL, not SQL: a SQL function like this one is planned afresh on every call.
          with snap as (select pg_current_snapshot() as s),
          locks as materialized (select pid, locktype, classid, objid, objsubid, transactionid, mode, granted from pg_locks),
          appenders as (
            select l.transactionid::text::bigint as xid32
            from locks a join locks l on l.pid = a.pid
            where a.locktype = 'advisory' and a.classid = ${sql.lit(APPEND_LOCK[0])} and a.objid = ${sql.lit(APPEND_LOCK[1])} and a.objsubid = 2 and a.granted
              and l.locktype = 'transactionid' and l.mode = 'ExclusiveLock' and l.granted
          )
          select least(
            pg_snapshot_xmax(snap.s),
            (select min(x) from pg_snapshot_xip(snap.s) as x where (x::text::bigint & 4294967295) in (select xid32 from appenders))
          )
          into horizon
          from snap;
          return horizon;
        end
        $$`.execute(db);
      await sql`revoke all on function events.append_horizon() from public`.execute(db);

      // plpgsql and volatile, so the read takes a snapshot after the horizon was computed.
      await sql`
        create or replace function events.read_after(after_tx xid8, after_id bigint, max_rows integer)
        returns setof events.log
        language plpgsql volatile security definer
        set search_path = pg_catalog, events
        as $$
        declare
          horizon xid8;
        begin
          horizon := events.append_horizon();
          -- A row comparison, so the (tx, id) index gives a range scan: the "or" form of the
          -- same condition made every read scan the log from its start.
          return query
            select * from events.log l
            where (l.tx, l.id) > (after_tx, after_id) and l.tx < horizon
            order by l.tx, l.id
            limit max_rows;
        end
        $$`.execute(db);
      await sql`
        create or replace function events.head_position()
        returns table (tx xid8, id bigint)
        language plpgsql volatile security definer
        set search_path = pg_catalog, events
        as $$
        declare
          horizon xid8;
        begin
          horizon := events.append_horizon();
          return query
            select l.tx, l.id from events.log l
            where l.tx < horizon
            order by l.tx desc, l.id desc
            limit 1;
        end
        $$`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`
        create or replace function events.head_position()
        returns table (tx xid8, id bigint)
        language sql stable security definer
        set search_path = pg_catalog, events
        as $$
          select l.tx, l.id from events.log l
          where l.tx < pg_snapshot_xmin(pg_current_snapshot())
          order by l.tx desc, l.id desc
          limit 1
        $$`.execute(db);
      await sql`
        create or replace function events.read_after(after_tx xid8, after_id bigint, max_rows integer)
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
      await sql`drop function events.append_horizon()`.execute(db);
      await sql`drop trigger log_declared_append on events.log`.execute(db);
      await sql`alter table events.log alter column tx set default pg_current_xact_id(), alter column id set default nextval('events.log_id_seq')`.execute(db);
      await sql`drop function events.log_before_insert()`.execute(db);
      await sql`drop function events.begin_append()`.execute(db);
    },
  };
  const appendFunction: Migration = {
    async up(db: Kysely<unknown>) {
      // The one way an event is appended, from TypeScript (appendEvents) and from SQL (the
      // bridge finishing a webhook in one statement): the row, then its notification, which
      // names the event so readers can skip what they do not want.
      await sql`
        create function events.append(p_tenant text, p_type text, p_aggregate text, p_payload jsonb, p_producer text, p_occurred_at timestamptz default null)
        returns bigint
        language plpgsql volatile
        set search_path = pg_catalog, events
        as $$
        declare
          appended bigint;
        begin
          insert into events.log (tenant_id, type, aggregate_id, payload, producer, occurred_at)
          values (p_tenant, p_type, p_aggregate, p_payload, p_producer, coalesce(p_occurred_at, now()))
          returning id into appended;
          perform pg_notify(${sql.lit(channel)}, p_tenant || ':' || p_type || ':' || appended);
          return appended;
        end
        $$`.execute(db);
      await sql`revoke all on function events.append(text, text, text, jsonb, text, timestamptz) from public`.execute(db);
      await sql`grant execute on function events.append(text, text, text, jsonb, text, timestamptz) to ${sql.id(appRole)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop function events.append(text, text, text, jsonb, text, timestamptz)`.execute(db);
    },
  };
  const openBatch: Migration = {
    async up(db: Kysely<unknown>) {
      // A consumer's batch opens in one round trip instead of three: the consumer's lock
      // (replicas take turns), its declaration as an appender when it appends, its saved
      // position and the events after it. The position comes on every row and on one row
      // of nulls when nothing follows it, so the caller learns it either way. PL/pgSQL and
      // volatile: each statement takes a fresh snapshot, so the position is read after the
      // lock is held and the events after the position.
      await sql`
        create function events.open_batch(p_consumer text, p_max_rows integer, p_appends boolean)
        returns table (
          from_tx xid8, from_id bigint,
          id bigint, tenant_id text, type text, aggregate_id text, payload jsonb, occurred_at timestamptz, producer text, tx xid8
        )
        language plpgsql volatile
        set search_path = pg_catalog, events
        as $$
        declare
          position_tx xid8 := '0'::xid8;
          position_id bigint := 0;
        begin
          perform pg_advisory_xact_lock(hashtext('consumer:' || p_consumer));
          if p_appends then
            perform events.begin_append();
          end if;
          select o.last_tx, o.last_id into position_tx, position_id from events.consumer_offsets o where o.consumer = p_consumer;
          if not found then
            position_tx := '0'::xid8;
            position_id := 0;
          end if;
          return query
            select position_tx, position_id, e.id, e.tenant_id, e.type, e.aggregate_id, e.payload, e.occurred_at, e.producer, e.tx
            from (select 1) as one
            left join lateral events.read_after(position_tx, position_id, p_max_rows) as e on true;
        end
        $$`.execute(db);
      await sql`revoke all on function events.open_batch(text, integer, boolean) from public`.execute(db);
      await sql`grant execute on function events.open_batch(text, integer, boolean) to ${sql.id(appRole)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop function events.open_batch(text, integer, boolean)`.execute(db);
    },
  };
  return {
    schema: "events",
    migrations: {
      "20261121T000000_create_log": createLog,
      "20261122T000200_consumer_lag": consumerLag,
      "20261123T000000_head_position": headPosition,
      "20261202T000000_append_horizon": appendHorizon,
      "20261202T000100_append_function": appendFunction,
      "20261203T020000_open_batch": openBatch,
    },
  };
}
