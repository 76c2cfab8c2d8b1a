import type { Insertable, Kysely } from "kysely";
import { listPagesByParent, type ChildTable, type WithSortValue } from "../../../../lib/db/pages-by-parent";
import type { PageResult } from "../../../../lib/pagination/connection";
import type { PageRequest } from "../../../../lib/pagination/page-request";
import type { AppointmentRow, AppointmentTable, LeadsDatabase } from "../database";

type Db = Kysely<LeadsDatabase>;

/** An appointment row with its keyset sort value. */
export type PagedAppointmentRow = WithSortValue<AppointmentRow>;

// Latest start first: upcoming appointments, then the most recent past ones.
const APPOINTMENTS: ChildTable = { table: "leads.appointments", parentColumn: "lead_id", order: { sortColumn: "c.start_time", idColumn: "c.id", descending: true } };

/** The same page of appointments for many leads, in one statement. */
export function listAppointmentsForLeads(db: Db, tenantId: string, leadIds: readonly string[], request: PageRequest): Promise<Map<string, PageResult<PagedAppointmentRow>>> {
  return listPagesByParent<AppointmentRow, LeadsDatabase>(db, APPOINTMENTS, tenantId, leadIds, request);
}

/**
 * Inserts the appointment, or overwrites the stored one when `row` is a newer version (by
 * `ghl_updated_at`); undefined, with nothing written, when the stored version is as new or newer.
 */
export function upsertNewerAppointment(db: Db, row: Insertable<AppointmentTable>): Promise<AppointmentRow | undefined> {
  return db
    .insertInto("leads.appointments")
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(["tenant_id", "ghl_appointment_id"])
        .doUpdateSet((eb) => ({
          lead_id: eb.ref("excluded.lead_id"),
          calendar_id: eb.ref("excluded.calendar_id"),
          status: eb.ref("excluded.status"),
          title: eb.ref("excluded.title"),
          start_time: eb.ref("excluded.start_time"),
          end_time: eb.ref("excluded.end_time"),
          ghl_updated_at: eb.ref("excluded.ghl_updated_at"),
          updated_at: new Date(),
        }))
        .whereRef("leads.appointments.ghl_updated_at", "<", "excluded.ghl_updated_at"),
    )
    .returningAll()
    .executeTakeFirst();
}

/** The stored appointment for a GHL appointment id, if any. */
export function findGhlAppointment(db: Db, tenantId: string, ghlAppointmentId: string): Promise<AppointmentRow | undefined> {
  return db.selectFrom("leads.appointments").selectAll().where("tenant_id", "=", tenantId).where("ghl_appointment_id", "=", ghlAppointmentId).executeTakeFirst();
}

/** Whether the GHL appointment was deleted. */
export async function isAppointmentDeleted(db: Db, tenantId: string, ghlAppointmentId: string): Promise<boolean> {
  const row = await db
    .selectFrom("leads.deleted_appointments")
    .select("ghl_appointment_id")
    .where("tenant_id", "=", tenantId)
    .where("ghl_appointment_id", "=", ghlAppointmentId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Marks the GHL appointment deleted (a tombstone) and removes its row; false, with nothing
 * changed, when it was deleted before.
 */
export async function deleteGhlAppointment(db: Db, tenantId: string, ghlAppointmentId: string, deletedAt: Date): Promise<boolean> {
  const tombstone = await db
    .insertInto("leads.deleted_appointments")
    .values({ tenant_id: tenantId, ghl_appointment_id: ghlAppointmentId, deleted_at: deletedAt })
    .onConflict((oc) => oc.columns(["tenant_id", "ghl_appointment_id"]).doNothing())
    .executeTakeFirst();
  await db.deleteFrom("leads.appointments").where("tenant_id", "=", tenantId).where("ghl_appointment_id", "=", ghlAppointmentId).execute();
  return (tombstone.numInsertedOrUpdatedRows ?? 0n) > 0n;
}
