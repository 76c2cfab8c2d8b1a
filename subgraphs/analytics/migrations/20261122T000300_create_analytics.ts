import { sql, type Kysely, type Migration } from "kysely";
import { grantTenantTables } from "../../../lib/db/migrate";

/** Analytics' read models, projected from the events log; tenant-scoped with row-level security. */
export function createAnalytics(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One row per lead: what the funnel, source and score reports aggregate over.
      await sql`
        create table analytics.lead_facts (
          tenant_id text not null,
          lead_id uuid not null,
          source text not null,
          status text not null,
          created_at timestamptz not null,
          -- Furthest pipeline stage ever reached: 0 NEW .. 5 CLOSED_WON.
          max_stage smallint not null,
          lost boolean not null default false,
          first_contact_at timestamptz,
          score smallint,
          tier text,
          deleted_at timestamptz,
          primary key (tenant_id, lead_id)
        )`.execute(db);
      await sql`create index lead_facts_tenant_created on analytics.lead_facts (tenant_id, created_at)`.execute(db);

      // A lead's timeline, one row per log event; event_id makes a replayed event a no-op.
      await sql`
        create table analytics.lead_activity (
          id uuid primary key,
          tenant_id text not null,
          lead_id uuid not null,
          event_id bigint not null unique,
          kind text not null,
          occurred_at timestamptz not null,
          from_status text,
          to_status text,
          score smallint,
          tier text,
          previous_tier text,
          channel text,
          author text,
          changed_fields text[]
        )`.execute(db);
      await sql`create index lead_activity_tenant_lead on analytics.lead_activity (tenant_id, lead_id, occurred_at desc, id desc)`.execute(db);

      await sql`
        create table analytics.webhook_events (
          event_id bigint primary key,
          tenant_id text not null,
          webhook_type text not null,
          latency_ms double precision not null,
          outcome text not null,
          occurred_at timestamptz not null
        )`.execute(db);
      await sql`create index webhook_events_tenant_time on analytics.webhook_events (tenant_id, occurred_at)`.execute(db);

      await grantTenantTables(db, "analytics", ["lead_facts", "lead_activity", "webhook_events"], appRole);
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["webhook_events", "lead_activity", "lead_facts"]) await sql`drop table ${sql.id("analytics", table)}`.execute(db);
    },
  };
}
