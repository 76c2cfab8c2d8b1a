import { sql, type Kysely, type Migration } from "kysely";
import { grantTenantTables } from "../../../lib/db/migrate";

/** Leads and their notes, tenant-scoped with row-level security. */
export function createLeads(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`create extension if not exists pg_trgm`.execute(db);
      await sql`
        create table leads.leads (
          id uuid primary key,
          tenant_id text not null,
          ghl_contact_id text,
          first_name text not null,
          last_name text not null,
          email text,
          phone text,
          source text not null,
          status text not null,
          tags text[] not null default '{}',
          budget_min integer check (budget_min >= 0),
          budget_max integer check (budget_max >= 0),
          timeline text not null,
          financing text not null,
          property_types text[] not null default '{}',
          preferred_areas text[] not null default '{}',
          bedrooms_min integer check (bedrooms_min between 0 and 20),
          assigned_to text,
          do_not_contact boolean not null default false,
          version integer not null default 1,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          sort_name text generated always as (lower(last_name || ' ' || first_name)) stored,
          search_text text generated always as (
            lower(first_name || ' ' || last_name || ' ' || coalesce(email, '') || ' ' || coalesce(phone, ''))
          ) stored,
          constraint budget_range check (budget_min is null or budget_max is null or budget_min <= budget_max)
        )`.execute(db);
      // Every index that serves a tenant query starts with tenant_id.
      await sql`create unique index leads_tenant_ghl on leads.leads (tenant_id, ghl_contact_id) where ghl_contact_id is not null`.execute(db);
      await sql`create index leads_tenant_created on leads.leads (tenant_id, created_at, id)`.execute(db);
      await sql`create index leads_tenant_updated on leads.leads (tenant_id, updated_at, id)`.execute(db);
      await sql`create index leads_tenant_name on leads.leads (tenant_id, sort_name, id)`.execute(db);
      await sql`create index leads_tenant_status on leads.leads (tenant_id, status)`.execute(db);
      await sql`create index leads_tags on leads.leads using gin (tags)`.execute(db);
      await sql`create index leads_search on leads.leads using gin (search_text gin_trgm_ops)`.execute(db);

      await sql`
        create table leads.notes (
          id uuid primary key,
          tenant_id text not null,
          lead_id uuid not null references leads.leads (id) on delete cascade,
          body text not null,
          author text not null,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index notes_tenant_lead on leads.notes (tenant_id, lead_id, created_at, id)`.execute(db);
      await sql`create index notes_lead on leads.notes (lead_id)`.execute(db);

      await grantTenantTables(db, "leads", ["leads", "notes"], appRole);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table leads.notes`.execute(db);
      await sql`drop table leads.leads`.execute(db);
    },
  };
}
