import { sql, type Kysely, type Migration } from "kysely";
import { grantTenantTables } from "../../../lib/db/migrate";

/**
 * Appointments mirrored from GHL calendars, one row per GHL appointment of a lead. GHL may
 * deliver an appointment's updates late and out of order, so each row keeps the GHL stamp of
 * the version it holds, and a delivery older than that changes nothing. Deletions are kept
 * apart as tombstones: a late update of a deleted appointment must not bring it back, and
 * the appointments table then holds only live rows, which is what `Lead.appointments` pages.
 */
export function addAppointments(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`
        create table leads.appointments (
          id uuid primary key,
          tenant_id text not null,
          ghl_appointment_id text not null,
          lead_id uuid not null references leads.leads (id) on delete cascade,
          calendar_id text,
          status text not null,
          title text,
          start_time timestamptz not null,
          end_time timestamptz not null,
          ghl_updated_at timestamptz not null,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          unique (tenant_id, ghl_appointment_id),
          constraint appointment_span check (end_time >= start_time)
        )`.execute(db);
      // Lead.appointments: a lead's appointments by start time.
      await sql`create index appointments_tenant_lead on leads.appointments (tenant_id, lead_id, start_time, id)`.execute(db);
      // The cascade from a deleted lead.
      await sql`create index appointments_lead on leads.appointments (lead_id)`.execute(db);
      await sql`
        create table leads.deleted_appointments (
          tenant_id text not null,
          ghl_appointment_id text not null,
          deleted_at timestamptz not null,
          primary key (tenant_id, ghl_appointment_id)
        )`.execute(db);
      await grantTenantTables(db, "leads", ["appointments", "deleted_appointments"], appRole);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table leads.deleted_appointments`.execute(db);
      await sql`drop table leads.appointments`.execute(db);
    },
  };
}
