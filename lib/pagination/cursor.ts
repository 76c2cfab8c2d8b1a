import { ErrorCode, clientError } from "../errors";
import { isUuid } from "../ids";

/** A keyset position: the sort value and the id of the row at the page edge. */
export interface KeysetPosition {
  value: string;
  id: string;
}

interface CursorPayload {
  /** The ordering (and filter fingerprint) the cursor was issued for. */
  q: string;
  v: string;
  i: string;
}

function isCursorPayload(value: unknown): value is CursorPayload {
  if (typeof value !== "object" || value === null) return false;
  const { q, v, i } = value as Record<string, unknown>;
  return typeof q === "string" && typeof v === "string" && typeof i === "string" && i.length <= 64 && v.length <= 512;
}

/** Encodes an opaque cursor for `position` within the query identified by `queryKey`. */
export function encodeCursor(queryKey: string, position: KeysetPosition): string {
  const payload: CursorPayload = { q: queryKey, v: position.value, i: position.id };
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
}

/**
 * Decodes a client's cursor. A cursor that is malformed, or was issued for a different
 * ordering or filter, is a `BAD_USER_INPUT` error naming the argument.
 */
export function decodeCursor(
  queryKey: string,
  cursor: string,
  argument: "after" | "before",
  isSortValue: (value: string) => boolean = () => true,
): KeysetPosition {
  let payload: unknown;
  try {
    if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error("not base64url");
    payload = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw clientError(ErrorCode.BAD_USER_INPUT, `\`${argument}\` is not a valid cursor`, { argument });
  }
  if (!isCursorPayload(payload)) throw clientError(ErrorCode.BAD_USER_INPUT, `\`${argument}\` is not a valid cursor`, { argument });
  // Checked before the position: a well-formed cursor from another listing deserves the precise message.
  if (payload.q !== queryKey) {
    throw clientError(ErrorCode.BAD_USER_INPUT, `\`${argument}\` was issued for a different ordering or filter; restart paging without it`, { argument });
  }
  if (!isUuid(payload.i) || !isSortValue(payload.v)) {
    throw clientError(ErrorCode.BAD_USER_INPUT, `\`${argument}\` is not a valid cursor`, { argument });
  }
  return { value: payload.v, id: payload.i.toLowerCase() };
}

const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)$/;

/** Sort-value guard for timestamp orderings (Postgres' text form of a timestamptz). */
export function isTimestampSortValue(value: string): boolean {
  return PG_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value.replace(" ", "T").replace(/([+-]\d{2})$/, "$1:00")));
}
