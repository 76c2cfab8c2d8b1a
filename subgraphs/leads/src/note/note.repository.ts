import type { Insertable, Kysely } from "kysely";
import { listPagesByParent, type ChildTable, type WithSortValue } from "../../../../lib/db/pages-by-parent";
import type { PageResult } from "../../../../lib/pagination/connection";
import type { PageRequest } from "../../../../lib/pagination/page-request";
import type { LeadsDatabase, NoteRow, NoteTable } from "../database";

/** A note row with its keyset sort value. */
export type PagedNoteRow = WithSortValue<NoteRow>;

// Newest first: what a realtor wants to read.
const NOTES: ChildTable = { table: "leads.notes", parentColumn: "lead_id", order: { sortColumn: "c.created_at", idColumn: "c.id", descending: true } };

/** The same page of notes for many leads, in one statement. */
export function listNotesForLeads(
  db: Kysely<LeadsDatabase>,
  tenantId: string,
  leadIds: readonly string[],
  request: PageRequest,
): Promise<Map<string, PageResult<PagedNoteRow>>> {
  return listPagesByParent<NoteRow, LeadsDatabase>(db, NOTES, tenantId, leadIds, request);
}

/** Inserts a note. */
export function insertNote(db: Kysely<LeadsDatabase>, row: Insertable<NoteTable>): Promise<NoteRow> {
  return db.insertInto("leads.notes").values(row).returningAll().executeTakeFirstOrThrow();
}

/** Inserts a note synced from GHL; undefined (and nothing written) when that GHL note is already stored. */
export function insertGhlNote(db: Kysely<LeadsDatabase>, row: Insertable<NoteTable>): Promise<NoteRow | undefined> {
  return db
    .insertInto("leads.notes")
    .values(row)
    .onConflict((oc) => oc.columns(["tenant_id", "ghl_note_id"]).where("ghl_note_id", "is not", null).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** The note synced from a GHL note, if stored. */
export function findGhlNote(db: Kysely<LeadsDatabase>, tenantId: string, ghlNoteId: string): Promise<NoteRow | undefined> {
  return db.selectFrom("leads.notes").selectAll().where("tenant_id", "=", tenantId).where("ghl_note_id", "=", ghlNoteId).executeTakeFirst();
}
