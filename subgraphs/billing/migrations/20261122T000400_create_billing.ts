import { sql, type Kysely, type Migration } from "kysely";
import { grantTenantTables } from "../../../lib/db/migrate";

const TABLES = ["accounts", "plan_changes", "usage_events", "usage_counters", "invoices", "invoice_lines"] as const;

/** Billing's accounts, plan history, usage meters and invoices; tenant-scoped with row-level security. */
export function createBilling(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`
        create table billing.accounts (
          tenant_id text primary key,
          name text not null,
          plan text not null,
          status text not null,
          trial_ends_at timestamptz,
          created_at timestamptz not null default now(),
          canceled_at timestamptz,
          updated_at timestamptz not null default now()
        )`.execute(db);

      // Every provisioning, plan change, cancellation and reactivation: what invoices prorate over.
      await sql`
        create table billing.plan_changes (
          id uuid primary key,
          tenant_id text not null,
          kind text not null,
          plan text,
          previous_plan text,
          effective_at timestamptz not null,
          changed_at timestamptz not null default now(),
          changed_by text not null,
          note text
        )`.execute(db);
      await sql`create index plan_changes_tenant_order on billing.plan_changes (tenant_id, changed_at, id)`.execute(db);

      // One row per metered log event: the key that makes a replayed event count once.
      await sql`
        create table billing.usage_events (
          event_id bigint primary key,
          tenant_id text not null,
          meter text not null,
          period_start timestamptz not null
        )`.execute(db);
      await sql`create index usage_events_tenant_period on billing.usage_events (tenant_id, period_start)`.execute(db);

      await sql`
        create table billing.usage_counters (
          tenant_id text not null,
          period_start timestamptz not null,
          meter text not null,
          quantity integer not null check (quantity >= 0),
          primary key (tenant_id, period_start, meter)
        )`.execute(db);

      await sql`
        create table billing.invoices (
          id uuid primary key,
          tenant_id text not null,
          number text not null,
          period_start timestamptz not null,
          period_end timestamptz not null,
          plan text not null,
          status text not null,
          currency text not null,
          subtotal_cents integer not null check (subtotal_cents >= 0),
          total_cents integer not null check (total_cents >= 0),
          issued_at timestamptz not null default now(),
          closed_by text not null,
          -- What makes closing a period twice produce no second invoice.
          unique (tenant_id, period_start),
          unique (tenant_id, number)
        )`.execute(db);

      await sql`
        create table billing.invoice_lines (
          id uuid primary key,
          invoice_id uuid not null references billing.invoices (id) on delete cascade,
          tenant_id text not null,
          position smallint not null,
          kind text not null,
          description text not null,
          meter text,
          quantity integer not null,
          unit_price_cents integer,
          amount_cents integer not null check (amount_cents >= 0),
          unique (invoice_id, position)
        )`.execute(db);
      await sql`create index invoice_lines_tenant_invoice on billing.invoice_lines (tenant_id, invoice_id)`.execute(db);

      await grantTenantTables(db, "billing", TABLES, appRole);

      // The scheduler closes periods for every tenant; row-level security hides them all from
      // the app role, so this function (owner's rights) names the accounts that still need an
      // invoice for a period, and nothing else.
      await sql`
        create function billing.accounts_to_invoice(period_start timestamptz, period_end timestamptz)
        returns setof text
        language sql stable security definer
        set search_path = pg_catalog, billing
        as $$
          select a.tenant_id from billing.accounts a
          where a.created_at < period_end
            and (a.canceled_at is null or a.canceled_at >= period_start)
            and not exists (select 1 from billing.invoices i where i.tenant_id = a.tenant_id and i.period_start = accounts_to_invoice.period_start)
          order by a.tenant_id
        $$`.execute(db);
      await sql`revoke all on function billing.accounts_to_invoice(timestamptz, timestamptz) from public`.execute(db);
      await sql`grant execute on function billing.accounts_to_invoice(timestamptz, timestamptz) to ${sql.id(appRole)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop function billing.accounts_to_invoice(timestamptz, timestamptz)`.execute(db);
      for (const table of [...TABLES].reverse()) await sql`drop table ${sql.id("billing", table)}`.execute(db);
    },
  };
}
