import { createHash } from "node:crypto";
import { ErrorCode, clientError } from "../errors";
import { decodeCursor, type KeysetPosition } from "./cursor";

/** Page size when neither `first` nor `last` is given. */
export const DEFAULT_PAGE_SIZE = 20;
/** Largest `first` or `last` a client may ask for. */
export const MAX_PAGE_SIZE = 100;

/** The four Relay connection arguments, as a client sent them. */
export interface ConnectionArguments {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A validated page request: which way to read, how many rows, from where. */
export interface PageRequest {
  /** `forward` reads after the cursor in sort order; `backward` reads before it. */
  direction: "forward" | "backward";
  limit: number;
  cursor: KeysetPosition | null;
  /** Identifies ordering and filter; cursors carry it so they cannot cross queries. */
  queryKey: string;
}

function checkSize(name: "first" | "last", value: number): number {
  if (!Number.isInteger(value) || value < 0) throw clientError(ErrorCode.BAD_USER_INPUT, `\`${name}\` must be a non-negative integer`, { argument: name });
  if (value > MAX_PAGE_SIZE) throw clientError(ErrorCode.BAD_USER_INPUT, `\`${name}\` must be at most ${MAX_PAGE_SIZE}; got ${value}`, { argument: name });
  return value;
}

/**
 * Validates connection arguments: at most one of `first`/`last`, sizes within
 * [0, {@link MAX_PAGE_SIZE}], `after` only with forward and `before` only with backward
 * paging, and cursors issued for this `queryKey` whose sort value passes `isSortValue`.
 */
export function toPageRequest(args: ConnectionArguments, queryKey: string, isSortValue?: (value: string) => boolean): PageRequest {
  const { first, after, last, before } = args;
  if (first != null && last != null) throw clientError(ErrorCode.BAD_USER_INPUT, "pass either `first` or `last`, not both", { argument: "first" });
  if (last != null || before != null) {
    if (after != null) throw clientError(ErrorCode.BAD_USER_INPUT, "`after` cannot be combined with `last`/`before`; page backward with `last` and `before`", { argument: "after" });
    if (first != null) throw clientError(ErrorCode.BAD_USER_INPUT, "`first` cannot be combined with `before`; page backward with `last` and `before`", { argument: "first" });
    return {
      direction: "backward",
      limit: checkSize("last", last ?? DEFAULT_PAGE_SIZE),
      cursor: before != null ? decodeCursor(queryKey, before, "before", isSortValue) : null,
      queryKey,
    };
  }
  return {
    direction: "forward",
    limit: checkSize("first", first ?? DEFAULT_PAGE_SIZE),
    cursor: after != null ? decodeCursor(queryKey, after, "after", isSortValue) : null,
    queryKey,
  };
}

/**
 * A query key for `toPageRequest`: the connection's name plus a fingerprint of its ordering
 * and filter, so a cursor from one listing is refused by another.
 */
export function queryKeyOf(name: string, orderingAndFilter: unknown): string {
  const fingerprint = createHash("sha256").update(JSON.stringify(orderingAndFilter)).digest("base64url").slice(0, 16);
  return `${name}:${fingerprint}`;
}
