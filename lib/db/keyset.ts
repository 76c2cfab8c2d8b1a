import { sql, type RawBuilder } from "kysely";
import type { KeysetPosition } from "../pagination/cursor";
import type { PageRequest } from "../pagination/page-request";

/** A unique sort: a non-null sort column plus the id column as tie-breaker. */
export interface KeysetOrder {
  /** Qualified column reference, e.g. `l.created_at`. */
  sortColumn: string;
  idColumn: string;
  descending: boolean;
}

/** The SQL direction a request reads in: backward pages read the sort in reverse. */
export function readsDescending(order: KeysetOrder, request: PageRequest): boolean {
  return request.direction === "forward" ? order.descending : !order.descending;
}

/** `(sort, id) > / < (cursor)`: the rows after `position` when reading in `descending` order. */
export function beyond(order: KeysetOrder, position: KeysetPosition, descending: boolean): RawBuilder<boolean> {
  const op = sql.raw(descending ? "<" : ">");
  return sql<boolean>`(${sql.ref(order.sortColumn)}, ${sql.ref(order.idColumn)}) ${op} (${position.value}, ${position.id})`;
}

/** `order by sort, id` in the given direction. */
export function orderBy(order: KeysetOrder, descending: boolean): RawBuilder<unknown> {
  const dir = sql.raw(descending ? "desc" : "asc");
  return sql`${sql.ref(order.sortColumn)} ${dir}, ${sql.ref(order.idColumn)} ${dir}`;
}
