import type { KeysetPosition } from "../../../../lib/pagination/cursor";
import type { RankedMatch } from "./match.model";

const SORT_VALUE = /^(\d{1,3}):(\d{1,15})$/;

/** Sort-value guard for match cursors: `<score>:<listedAt ms>`. */
export function isMatchSortValue(value: string): boolean {
  return SORT_VALUE.test(value);
}

/** A match's keyset position in the ranking (score desc, listedAt desc, id asc). */
export function matchPosition(match: RankedMatch): KeysetPosition {
  return { value: `${match.score}:${match.listing.listedAt.getTime()}`, id: match.listing.id };
}

/** Orders a cursor position against a match in ranking order (negative: the position comes first). */
export function compareToMatch(position: KeysetPosition, match: RankedMatch): number {
  const [, score, listedAt] = SORT_VALUE.exec(position.value) ?? [];
  if (Number(score) !== match.score) return match.score - Number(score);
  const time = match.listing.listedAt.getTime();
  if (Number(listedAt) !== time) return time - Number(listedAt);
  return position.id < match.listing.id ? -1 : position.id > match.listing.id ? 1 : 0;
}
