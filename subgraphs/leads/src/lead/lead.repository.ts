import { sql, type Insertable, type Kysely, type Updateable } from "kysely";
import { beyond, orderBy, readsDescending, type KeysetOrder } from "../../../../lib/db/keyset";
import type { PageResult } from "../../../../lib/pagination/connection";
import type { PageRequest } from "../../../../lib/pagination/page-request";
import type { LeadRow, LeadTable, LeadsDatabase, MessageTable } from "../database";

/** A lead row plus its sort value as Postgres renders it (full precision, for cursors). */
export type SortedLeadRow = LeadRow & { sort_value: string };

/** Conditions of a lead listing, already validated. */
export interface LeadListFilter {
  statuses?: readonly string[];
  sources?: readonly string[];
  tags?: readonly string[];
  search?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

/** Columns `listLeads` can sort by. */
export type LeadSortColumn = "created_at" | "updated_at" | "sort_name";

type Db = Kysely<LeadsDatabase>;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function filtered(db: Db, tenantId: string, filter: LeadListFilter) {
  let query = db.selectFrom("leads.leads as l").where("l.tenant_id", "=", tenantId);
  if (filter.statuses?.length) query = query.where("l.status", "in", filter.statuses);
  if (filter.sources?.length) query = query.where("l.source", "in", filter.sources);
  if (filter.tags?.length) query = query.where(sql<boolean>`l.tags @> ${sql.val(filter.tags)}::text[]`);
  if (filter.search) query = query.where("l.search_text", "like", `%${escapeLike(filter.search.toLowerCase())}%`);
  if (filter.createdAfter) query = query.where("l.created_at", ">=", filter.createdAfter);
  if (filter.createdBefore) query = query.where("l.created_at", "<", filter.createdBefore);
  return query;
}

/**
 * One page of a tenant's leads by keyset. Two statements whatever the page size: the
 * page itself, and the total plus whether any row (the cursor's own included) lies on
 * the near side of the cursor, which is what makes a page "have previous" rows.
 */
export async function listLeads(
  db: Db,
  tenantId: string,
  filter: LeadListFilter,
  sort: { column: LeadSortColumn; descending: boolean },
  request: PageRequest,
): Promise<PageResult<SortedLeadRow>> {
  const order: KeysetOrder = { sortColumn: `l.${sort.column}`, idColumn: "l.id", descending: sort.descending };
  const descending = readsDescending(order, request);
  let page = filtered(db, tenantId, filter)
    .selectAll("l")
    .select(sql<string>`${sql.ref(`l.${sort.column}`)}::text`.as("sort_value"))
    .orderBy(orderBy(order, descending))
    .limit(request.limit + 1);
  if (request.cursor) page = page.where(beyond(order, request.cursor, descending));

  const totals = filtered(db, tenantId, filter).select((eb) => [
    eb.fn.countAll<number>().as("total"),
    (request.cursor ? sql<boolean | null>`bool_or(not ${beyond(order, request.cursor, descending)})` : sql<boolean | null>`false`).as("before"),
  ]);
  const [rows, summary] = await Promise.all([page.execute(), totals.executeTakeFirstOrThrow()]);
  return { rows, totalCount: summary.total, hasRowsBeforeCursor: summary.before === true };
}

/** Leads by id within the tenant, in one statement. */
export function findLeadsByIds(db: Db, tenantId: string, ids: readonly string[]): Promise<LeadRow[]> {
  return db.selectFrom("leads.leads").selectAll().where("tenant_id", "=", tenantId).where("id", "in", ids).execute();
}

/** One lead, locked for update in the caller's transaction. */
export function findLeadForUpdate(db: Db, tenantId: string, id: string): Promise<LeadRow | undefined> {
  return db.selectFrom("leads.leads").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id).forUpdate().executeTakeFirst();
}

/** The lead mirroring a GHL contact, locked for update. */
export function findLeadByGhlIdForUpdate(db: Db, tenantId: string, ghlContactId: string): Promise<LeadRow | undefined> {
  return db
    .selectFrom("leads.leads")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("ghl_contact_id", "=", ghlContactId)
    .forUpdate()
    .executeTakeFirst();
}

/** Inserts a lead; with a GHL id already present it inserts nothing and returns undefined. */
export function insertLead(db: Db, row: Insertable<LeadTable>): Promise<LeadRow | undefined> {
  return db
    .insertInto("leads.leads")
    .values(row)
    .onConflict((oc) => oc.columns(["tenant_id", "ghl_contact_id"]).where("ghl_contact_id", "is not", null).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Applies changes and bumps the version. */
export function updateLead(db: Db, tenantId: string, id: string, changes: Updateable<LeadTable>): Promise<LeadRow> {
  return db
    .updateTable("leads.leads")
    .set({ ...changes, updated_at: new Date() })
    .set((eb) => ({ version: eb("version", "+", 1) }))
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Deletes a lead (its notes cascade); returns whether it existed. */
export async function deleteLead(db: Db, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom("leads.leads").where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Records that a message was seen; false (and nothing written) when it was recorded before. */
export async function insertMessage(db: Db, row: Insertable<MessageTable>): Promise<boolean> {
  const result = await db
    .insertInto("leads.messages")
    .values(row)
    .onConflict((oc) => oc.columns(["tenant_id", "message_id"]).doNothing())
    .executeTakeFirst();
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
}
