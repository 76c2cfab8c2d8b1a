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
