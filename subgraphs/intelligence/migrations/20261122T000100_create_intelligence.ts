import { sql, type Kysely, type Migration } from "kysely";
import { grantTenantTables } from "../../../lib/db/migrate";

/** The intelligence read model, scores, listings and insights; tenant-scoped with row-level security. */
export function createIntelligence(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // Fed only by the events log: intelligence never reads the leads schema.
      await sql`
        create table intelligence.lead_features (
          tenant_id text not null,
          lead_id uuid not null,
          revision integer not null default 1,
          lead_version integer not null,
          status text not null,
          financing text not null,
          timeline text not null,
          budget_min integer,
          budget_max integer,
          bedrooms_min integer,
          preferred_areas text[] not null default '{}',
          property_types text[] not null default '{}',
          do_not_contact boolean not null default false,
          inbound_messages integer not null default 0,
          latest_intent text,
          latest_urgency text,
          extracted_budget_max integer,
          extracted_bedrooms integer,
          extracted_areas text[] not null default '{}',
          extracted_timeline text,
          updated_at timestamptz not null default now(),
          primary key (tenant_id, lead_id)
        )`.execute(db);

      await sql`
        create table intelligence.scores (
          id uuid primary key,
          tenant_id text not null,
          lead_id uuid not null,
          value smallint not null check (value between 0 and 100),
          tier text not null,
          factors jsonb not null,
          model_version text not null,
          revision integer not null,
          -- clock_timestamp, not now(): two scores written by one transaction still order as written.
          scored_at timestamptz not null default clock_timestamp()
        )`.execute(db);
      await sql`create index scores_tenant_lead on intelligence.scores (tenant_id, lead_id, scored_at desc, id desc)`.execute(db);

      await sql`
        create table intelligence.properties (
          id uuid primary key,
          tenant_id text not null,
          mls_number text not null,
          address text not null,
          city text not null,
          area text not null,
          price integer not null check (price > 0),
          bedrooms smallint not null check (bedrooms between 0 and 20),
          bathrooms numeric(3, 1) not null check (bathrooms >= 0),
          square_feet integer not null check (square_feet >= 0),
          property_type text not null,
          status text not null,
          listed_at timestamptz not null,
          unique (tenant_id, mls_number)
        )`.execute(db);
      await sql`create index properties_tenant_area on intelligence.properties (tenant_id, area, status, price)`.execute(db);
      await sql`create index properties_tenant_listed on intelligence.properties (tenant_id, listed_at, id)`.execute(db);
      await sql`create index properties_tenant_price on intelligence.properties (tenant_id, price, id)`.execute(db);

      await sql`
        create table intelligence.insights (
          id uuid primary key,
          tenant_id text not null,
          lead_id uuid not null,
          message_id text,
          channel text not null,
          intent text not null,
          sentiment text not null,
          urgency text not null,
          extracted_budget_max integer,
          extracted_bedrooms integer,
          extracted_areas text[] not null default '{}',
          extracted_timeline text,
          summary text not null,
          provider text not null,
          fallback_reason text,
          analyzed_at timestamptz not null default clock_timestamp()
        )`.execute(db);
      await sql`create index insights_tenant_lead on intelligence.insights (tenant_id, lead_id, analyzed_at desc, id desc)`.execute(db);
      // A message ingested twice from the log yields one insight.
      await sql`create unique index insights_tenant_message on intelligence.insights (tenant_id, message_id) where message_id is not null`.execute(db);

      await grantTenantTables(db, "intelligence", ["lead_features", "scores", "properties", "insights"], appRole);
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["insights", "properties", "scores", "lead_features"]) {
        await sql`drop table ${sql.id("intelligence", table)}`.execute(db);
      }
    },
  };
}
