import type { ConnectionArguments } from "../../../lib/pagination/page-request";
import { toPageRequest } from "../../../lib/pagination/page-request";
import { toConnection, type Connection } from "../../../lib/pagination/connection";
import { pageInMemory } from "../../../lib/pagination/in-memory";

/**
 * A connection over an account's short history (an invoice a month, a plan change now and
 * then), newest first by `(at, id)`: read whole and paged by keyset in memory, so cursors
 * behave exactly like the SQL-paged connections.
 */
export function pageNewestFirst<T>(name: string, items: readonly T[], args: ConnectionArguments, positionOf: (item: T) => { at: Date; id: string }): Connection<T> {
  const request = toPageRequest(args, name, isIsoInstant);
  const keyOf = (item: T) => {
    const { at, id } = positionOf(item);
    return { value: at.toISOString(), id };
  };
  const sorted = [...items].sort((a, b) => compareDescending(keyOf(a), keyOf(b)));
  const page = pageInMemory(sorted, request, (position, item) => compareDescending(position, keyOf(item)));
  return toConnection(request, page, keyOf);
}

function compareDescending(a: { value: string; id: string }, b: { value: string; id: string }): number {
  if (a.value !== b.value) return a.value > b.value ? -1 : 1;
  return a.id === b.id ? 0 : a.id > b.id ? -1 : 1;
}

/** The cursor sort values these connections issue: `Date#toISOString()`, which compares as text. */
function isIsoInstant(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) && !Number.isNaN(Date.parse(value));
}
