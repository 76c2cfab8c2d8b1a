import { sql, type Insertable, type Kysely } from "kysely";
import { beyond, orderBy, readsDescending, type KeysetOrder } from "../../../../lib/db/keyset";
import type { PageResult } from "../../../../lib/pagination/connection";
import type { PageRequest } from "../../../../lib/pagination/page-request";
import type { LeadsDatabase, NoteRow, NoteTable } from "../database";

/** A note row with its keyset sort value. */
export type PagedNoteRow = NoteRow & { sort_value: string };

// Newest first: what a realtor wants to read.
const NOTE_ORDER: KeysetOrder = { sortColumn: "n.created_at", idColumn: "n.id", descending: true };

/**
 * The same page of notes for many leads in one statement. Each lead's notes are numbered
 * in read order and counted; the page is the first `limit + 1` past the cursor, and each
 * lead's first row always comes back too, carrying the total and telling (by lying
 * before the cursor) whether the page has rows before it.
 */
export async function listNotesForLeads(
  db: Kysely<LeadsDatabase>,
  tenantId: string,
  leadIds: readonly string[],
  request: PageRequest,
): Promise<Map<string, PageResult<PagedNoteRow>>> {
  const descending = readsDescending(NOTE_ORDER, request);
  const inRange = request.cursor ? beyond(NOTE_ORDER, request.cursor, descending) : sql<boolean>`true`;
  const { rows } = await sql<PagedNoteRow & { total: number; in_range: boolean }>`
    select * from (
      select numbered.*, row_number() over (partition by lead_id, in_range order by position) as rank
      from (
        select n.*, n.created_at::text as sort_value,
          (count(*) over (partition by n.lead_id))::int as total,
          row_number() over (partition by n.lead_id order by ${orderBy(NOTE_ORDER, descending)}) as position,
          ${inRange} as in_range
        from leads.notes n
        where n.tenant_id = ${tenantId} and n.lead_id = any(${sql.val(leadIds)}::uuid[])
      ) numbered
    ) ranked
    where (in_range and rank <= ${request.limit + 1}) or position = 1
    order by lead_id, position`.execute(db);
  const pages = new Map<string, PageResult<PagedNoteRow>>();
  for (const id of leadIds) pages.set(id, { rows: [], totalCount: 0, hasRowsBeforeCursor: false });
  for (const { total, in_range, ...note } of rows) {
    const page = pages.get(note.lead_id)!;
    page.totalCount = total;
    if (in_range) page.rows.push(note);
    else page.hasRowsBeforeCursor = true;
  }
  return pages;
}

/** Inserts a note. */
export function insertNote(db: Kysely<LeadsDatabase>, row: Insertable<NoteTable>): Promise<NoteRow> {
  return db.insertInto("leads.notes").values(row).returningAll().executeTakeFirstOrThrow();
}
