import DataLoader from "dataloader";
import type { Kysely } from "kysely";
import { withTenant } from "../../../../lib/db/tenant";
import { isUuid } from "../../../../lib/ids";
import { mapConnection, toConnection, type Connection } from "../../../../lib/pagination/connection";
import { loaderPerPageRequest } from "../../../../lib/pagination/page-loaders";
import type { PageRequest } from "../../../../lib/pagination/page-request";
import { listAppointmentsForLeads } from "../appointment/appointment.repository";
import { toAppointment } from "../appointment/appointment.service";
import type { Appointment } from "../appointment/appointment.type";
import type { LeadsDatabase } from "../database";
import { listNotesForLeads } from "../note/note.repository";
import type { Note } from "../note/note.type";
import { findLeadsByIds } from "./lead.repository";
import { toLead, toNote } from "./lead.service";
import type { Lead } from "./lead.type";

/** Per-request DataLoaders: every lead lookup, notes page and appointments page is one statement per batch. */
export interface LeadLoaders {
  /** Leads of the caller's tenant by id; another tenant's id or a malformed one is null. */
  leadById: DataLoader<string, Lead | null>;
  /** The same page of notes for many leads. */
  notes(request: PageRequest): DataLoader<string, Connection<Note>>;
  /** The same page of appointments for many leads. */
  appointments(request: PageRequest): DataLoader<string, Connection<Appointment>>;
}

/** Creates the loaders for one request, bound to the caller's tenant. */
export function createLeadLoaders(db: Kysely<LeadsDatabase>, tenantId: string): LeadLoaders {
  const leadById = new DataLoader<string, Lead | null>(async (ids) => {
    const valid = ids.filter(isUuid).map((id) => id.toLowerCase());
    const rows = valid.length ? await withTenant(db, tenantId, (trx) => findLeadsByIds(trx, tenantId, valid)) : [];
    const byId = new Map(rows.map((row) => [row.id, toLead(row)]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  });

  const notes = loaderPerPageRequest<string, Connection<Note>>(async (request, leadIds) => {
    const pages = await withTenant(db, tenantId, (trx) => listNotesForLeads(trx, tenantId, leadIds, request));
    return leadIds.map((id) => mapConnection(toConnection(request, pages.get(id)!, (row) => ({ value: row.sort_value, id: row.id })), toNote));
  });

  const appointments = loaderPerPageRequest<string, Connection<Appointment>>(async (request, leadIds) => {
    const pages = await withTenant(db, tenantId, (trx) => listAppointmentsForLeads(trx, tenantId, leadIds, request));
    return leadIds.map((id) => mapConnection(toConnection(request, pages.get(id)!, (row) => ({ value: row.sort_value, id: row.id })), toAppointment));
  });

  return { leadById, notes, appointments };
}
