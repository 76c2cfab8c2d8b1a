import { sql, type Kysely } from "kysely";
import { isUuid } from "../ids";
import type { PageResult } from "../pagination/connection";
import type { PageRequest } from "../pagination/page-request";
import { beyond, orderBy, readsDescending, type KeysetOrder } from "./keyset";

/** Which child rows to page, per parent: `notes` of a lead, `scores` of a lead, ... */
export interface ChildTable {
  /** Qualified table name, e.g. `leads.notes`; its alias in the query is `c`. */
  table: string;
  /** The column naming the parent, e.g. `lead_id` (uuid). */
  parentColumn: string;
  /** The sort over `c.*` columns, e.g. `{ sortColumn: "c.created_at", idColumn: "c.id", descending: true }`. */
  order: KeysetOrder;
}

/** A child row with its keyset sort value as Postgres renders it (full precision, for cursors). */
export type WithSortValue<Row> = Row & { sort_value: string };

/**
 * The same page of child rows for many parents in one statement: the DataLoader batch
 * behind every "connection on an entity" field, so statements never grow with page size.
 *
 * Each parent's rows are numbered in read order and counted; the page is the first
 * `limit + 1` past the cursor, and each parent's first row always comes back too, carrying
 * the total and telling (by lying before the cursor) whether the page has rows before it.
 */
export async function listPagesByParent<Row extends object, DB = unknown>(
  db: Kysely<DB>,
  child: ChildTable,
  tenantId: string,
  parentIds: readonly string[],
  request: PageRequest,
): Promise<Map<string, PageResult<WithSortValue<Row>>>> {
  const pages = new Map<string, PageResult<WithSortValue<Row>>>();
  for (const id of parentIds) pages.set(id, { rows: [], totalCount: 0, hasRowsBeforeCursor: false });
  // A malformed id has no children; casting it to uuid would fail the whole batch.
  const ids = parentIds.filter(isUuid);
  if (ids.length === 0) return pages;
  const descending = readsDescending(child.order, request);
  const inRange = request.cursor ? beyond(child.order, request.cursor, descending) : sql<boolean>`true`;
  const parent = sql.ref(`c.${child.parentColumn}`);
  const { rows } = await sql<WithSortValue<Row> & { parent_key: string; total: number; in_range: boolean; position: number; rank: number }>`
    select * from (
      select numbered.*, row_number() over (partition by parent_key, in_range order by position) as rank
      from (
        select c.*, ${parent}::text as parent_key, ${sql.ref(child.order.sortColumn)}::text as sort_value,
          (count(*) over (partition by ${parent}))::int as total,
          row_number() over (partition by ${parent} order by ${orderBy(child.order, descending)}) as position,
          ${inRange} as in_range
        from ${sql.table(child.table)} c
        where c.tenant_id = ${tenantId} and ${parent} = any(${sql.val(ids)}::uuid[])
      ) numbered
    ) ranked
    where (in_range and rank <= ${request.limit + 1}) or position = 1
    order by parent_key, position`.execute(db);
  for (const { parent_key, total, in_range, position: _position, rank: _rank, ...row } of rows) {
    const page = pages.get(parent_key);
    if (!page) continue;
    page.totalCount = total;
    if (in_range) page.rows.push(row as unknown as WithSortValue<Row>);
    else page.hasRowsBeforeCursor = true;
  }
  return pages;
}
