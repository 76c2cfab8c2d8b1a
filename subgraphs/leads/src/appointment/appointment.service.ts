import type { Kysely } from "kysely";
import { z } from "zod";
import type { Identity } from "../../../../lib/auth/identity";
import { withTenant } from "../../../../lib/db/tenant";
import { UserErrorCode, invalidInput, userError, type UserError } from "../../../../lib/graphql/user-error";
import { uuidv7 } from "../../../../lib/ids";
import type { AppointmentRow, LeadsDatabase } from "../database";
import { findLeadByGhlIdForUpdate } from "../lead/lead.repository";
import { ghlContactIdError, noLeadForContact } from "../lead/lead.service";
import { AppointmentStatus } from "./appointment.enums";
import type { RecordAppointmentFromGhlInput } from "./appointment.inputs";
import * as repo from "./appointment.repository";
import type { Appointment } from "./appointment.type";

type Db = Kysely<LeadsDatabase>;

/** What `recordAppointmentFromGhl` did. */
export interface RecordAppointmentResult {
  appointment: Appointment | null;
  /** False when nothing changed: a version as new or newer was stored, or the appointment was deleted. */
  applied: boolean;
  userErrors: UserError[];
}

/** Maps an appointment row to the GraphQL domain object. */
export function toAppointment(row: AppointmentRow): Appointment {
  return {
    id: row.id,
    leadId: row.lead_id,
    ghlAppointmentId: row.ghl_appointment_id,
    calendarId: row.calendar_id,
    status: row.status as AppointmentStatus,
    title: row.title,
    startTime: row.start_time,
    endTime: row.end_time,
    ghlUpdatedAt: row.ghl_updated_at,
  };
}

const ghlId = (what: string) => z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, `is not a GHL ${what} id`);
const instant = z.date().refine((date) => !Number.isNaN(date.getTime()), "must be a valid date-time");

const appointmentInput = z.object({
  ghlAppointmentId: ghlId("appointment"),
  calendarId: ghlId("calendar").nullable().optional(),
  title: z.string().trim().max(200, "must be at most 200 characters").nullable().optional(),
  ghlUpdatedAt: instant,
  status: z.enum(AppointmentStatus).nullable().optional(),
  startTime: instant.nullable().optional(),
  endTime: instant.nullable().optional(),
});

/** The user errors of an input the mutation cannot apply; empty when it can. */
function inputErrors(input: RecordAppointmentFromGhlInput): UserError[] {
  const contactError = ghlContactIdError(input.ghlContactId);
  const errors = contactError ? [contactError] : [];
  const parsed = appointmentInput.safeParse(input);
  if (!parsed.success) return [...errors, ...invalidInput(parsed.error.issues)];
  if (input.deleted) return errors;
  // A deletion names the appointment only; a live version must say what and when it is.
  for (const field of ["status", "startTime", "endTime"] as const) {
    if (input[field] == null) errors.push(userError(UserErrorCode.INVALID_INPUT, "is required unless the appointment is deleted", field));
  }
  if (input.startTime && input.endTime && input.endTime < input.startTime) errors.push(userError(UserErrorCode.INVALID_INPUT, "must not be before startTime", "endTime"));
  return errors;
}

/**
 * Records one delivered version of a GHL appointment of the lead mirroring its contact.
 * Idempotent and order-proof: a version is stored only when newer (by `ghlUpdatedAt`) than
 * the one held, so replays and late deliveries change nothing, and a deletion is final. A
 * deletion needs no lead (the contact may be gone already); a live version does.
 */
export async function recordAppointmentFromGhl(db: Db, identity: Identity, input: RecordAppointmentFromGhlInput): Promise<RecordAppointmentResult> {
  const errors = inputErrors(input);
  if (errors.length) return { appointment: null, applied: false, userErrors: errors };
  const tenantId = identity.tenant;
  return withTenant(db, tenantId, async (trx) => {
    if (input.deleted) {
      const deleted = await repo.deleteGhlAppointment(trx, tenantId, input.ghlAppointmentId, input.ghlUpdatedAt);
      return { appointment: null, applied: deleted, userErrors: [] };
    }
    if (await repo.isAppointmentDeleted(trx, tenantId, input.ghlAppointmentId)) return { appointment: null, applied: false, userErrors: [] };
    // Locking the lead orders this against the lead's deletion (which cascades to its appointments).
    const lead = await findLeadByGhlIdForUpdate(trx, tenantId, input.ghlContactId);
    if (!lead) return { appointment: null, applied: false, userErrors: [noLeadForContact()] };
    const stored = await repo.upsertNewerAppointment(trx, {
      id: uuidv7(),
      tenant_id: tenantId,
      ghl_appointment_id: input.ghlAppointmentId,
      lead_id: lead.id,
      calendar_id: input.calendarId ?? null,
      status: input.status!,
      title: input.title?.trim() || null,
      start_time: input.startTime!,
      end_time: input.endTime!,
      ghl_updated_at: input.ghlUpdatedAt,
    });
    if (stored) return { appointment: toAppointment(stored), applied: true, userErrors: [] };
    const current = await repo.findGhlAppointment(trx, tenantId, input.ghlAppointmentId);
    return { appointment: current ? toAppointment(current) : null, applied: false, userErrors: [] };
  });
}
