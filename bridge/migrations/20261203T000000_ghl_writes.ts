import { sql, type Kysely, type Migration } from "kysely";
import { grantTenantTables } from "../../lib/db/migrate";

/**
 * The score write-back's pending writes, one row per lead whose GHL contact is owed a
 * `PUT`. The write-back's consumer records a score change here in the transaction that
 * moves its log position, so a change is either still in the log or in this table: a
 * restart between the two loses nothing (it used to be a timer in memory).
 *
 * - `version` takes a fresh value from the sequence on every change: a sender that read
 *   version v deletes the row only while it is still v, so a change that arrived during the
 *   `PUT` (or a row deleted and recorded again) is written once more, never dropped.
 * - `due_at` is when the row may next be claimed: the debounce after the first change, then
 *   the claimer's lease, a retry's backoff, or the location's rate-limit pause.
 */
export function addGhlWrites(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`create sequence bridge.ghl_write_versions`.execute(db);
      await sql`
        create table bridge.ghl_writes (
          tenant_id text not null,
          lead_id text not null,
          version bigint not null default nextval('bridge.ghl_write_versions'),
          due_at timestamptz not null,
          attempts integer not null default 0,
          last_error text,
          first_changed_at timestamptz not null default now(),
          primary key (tenant_id, lead_id)
        )`.execute(db);
      await sql`create index ghl_writes_due on bridge.ghl_writes (tenant_id, due_at)`.execute(db);
      await grantTenantTables(db, "bridge", ["ghl_writes"], appRole);
      await sql`grant usage on sequence bridge.ghl_write_versions to ${sql.id(appRole)}`.execute(db);

      // Claims cross tenants, so it is the owner's (like `claim_inbox`). The caller names how
      // many each location may take now (what its rate budget and concurrency leave), so
      // nothing is claimed that would wait in memory; what it returns is leased.
      await sql`
        create function bridge.claim_ghl_writes(p_tenants text[], p_limits integer[], p_lease_ms integer)
        returns table (tenant_id text, lead_id text, version bigint, attempts integer)
        language plpgsql volatile security definer
        set search_path = pg_catalog, pg_temp
        as $$
        #variable_conflict use_column
        begin
          return query
          with due as (
            select w.tenant_id, w.lead_id
            from unnest(p_tenants, p_limits) as l(tenant_id, max_rows)
            cross join lateral (
              select d.tenant_id, d.lead_id
              from bridge.ghl_writes d
              where d.tenant_id = l.tenant_id and d.due_at <= now()
              order by d.due_at
              limit l.max_rows
              for update skip locked
            ) w
          )
          update bridge.ghl_writes t
          set due_at = now() + make_interval(secs => p_lease_ms / 1000.0)
          from due
          where t.tenant_id = due.tenant_id and t.lead_id = due.lead_id
          returning t.tenant_id, t.lead_id, t.version, t.attempts;
        end
        $$`.execute(db);
      await sql`revoke all on function bridge.claim_ghl_writes(text[], integer[], integer) from public`.execute(db);
      await sql`grant execute on function bridge.claim_ghl_writes(text[], integer[], integer) to ${sql.id(appRole)}`.execute(db);

      // Settling runs as the caller with the tenant bound, in one round trip:
      // - 'written': the write is done (or can never be done); the row goes, unless it
      //   changed meanwhile, when it is due again after the debounce, attempts reset;
      // - 'retry': due again after p_delay_ms, one attempt more, with the reason kept;
      // - 'postpone': due again after p_delay_ms (the location's rate-limit pause), no attempt spent.
      await sql`
        create function bridge.settle_ghl_write(p_tenant text, p_lead text, p_version bigint, p_result text, p_delay_ms integer, p_note text)
        returns void
        language plpgsql volatile
        set search_path = pg_catalog, pg_temp
        as $$
        begin
          perform set_config('app.tenant_id', p_tenant, true);
          if p_result = 'written' then
            delete from bridge.ghl_writes w where w.tenant_id = p_tenant and w.lead_id = p_lead and w.version = p_version;
            if not found then
              update bridge.ghl_writes w
              set due_at = now() + make_interval(secs => p_delay_ms / 1000.0), attempts = 0, last_error = null
              where w.tenant_id = p_tenant and w.lead_id = p_lead;
            end if;
          elsif p_result = 'retry' then
            update bridge.ghl_writes w
            set due_at = now() + make_interval(secs => p_delay_ms / 1000.0), attempts = w.attempts + 1, last_error = p_note
            where w.tenant_id = p_tenant and w.lead_id = p_lead;
          elsif p_result = 'postpone' then
            update bridge.ghl_writes w
            set due_at = now() + make_interval(secs => p_delay_ms / 1000.0)
            where w.tenant_id = p_tenant and w.lead_id = p_lead;
          else
            raise exception 'unknown write-back settlement %', p_result using errcode = '22023';
          end if;
        end
        $$`.execute(db);
      await sql`revoke all on function bridge.settle_ghl_write(text, text, bigint, text, integer, text) from public`.execute(db);
      await sql`grant execute on function bridge.settle_ghl_write(text, text, bigint, text, integer, text) to ${sql.id(appRole)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop function bridge.settle_ghl_write(text, text, bigint, text, integer, text)`.execute(db);
      await sql`drop function bridge.claim_ghl_writes(text[], integer[], integer)`.execute(db);
      await sql`drop table bridge.ghl_writes`.execute(db);
      await sql`drop sequence bridge.ghl_write_versions`.execute(db);
    },
  };
}
