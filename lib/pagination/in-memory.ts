import type { KeysetPosition } from "./cursor";
import type { PageResult } from "./connection";
import type { PageRequest } from "./page-request";

/**
 * Pages a list that is already sorted in memory (a ranking computed in code), by keyset
 * like the SQL pages: `compare(position, item)` orders a cursor position against an item
 * in the list's sort order (negative: the position comes first). Cursors stay valid while
 * the list changes underneath them, which an index would not.
 */
export function pageInMemory<T>(
  sorted: readonly T[],
  request: PageRequest,
  compare: (position: KeysetPosition, item: T) => number,
): PageResult<T> {
  const { cursor } = request;
  let rows: T[];
  let hasRowsBeforeCursor = false;
  if (request.direction === "forward") {
    const start = cursor ? sorted.findIndex((item) => compare(cursor, item) < 0) : 0;
    const from = start === -1 ? sorted.length : start;
    hasRowsBeforeCursor = from > 0;
    rows = sorted.slice(from, from + request.limit + 1);
  } else {
    const end = cursor ? sorted.findIndex((item) => compare(cursor, item) <= 0) : sorted.length;
    const to = end === -1 ? sorted.length : end;
    hasRowsBeforeCursor = to < sorted.length;
    rows = sorted.slice(Math.max(0, to - request.limit - 1), to).reverse();
  }
  return { rows, totalCount: sorted.length, hasRowsBeforeCursor };
}
