import { Field, InputType } from "type-graphql";
import { ErrorCode, clientError } from "../../../../lib/errors";

/** Longest range a report covers: two years, leap day included. */
const MAX_RANGE_MS = 731 * 24 * 3600 * 1000;

/** A half-open time range, [start, end): leads created at `start` count, at `end` do not. */
@InputType({ description: "A half-open time range [start, end) of at most two years." })
export class DateRangeInput {
  @Field()
  start!: Date;

  @Field()
  end!: Date;
}

/** A validated range. */
export interface DateRange {
  start: Date;
  end: Date;
}

/** Checks a client's range: end after start, at most two years. */
export function toDateRange(input: DateRangeInput): DateRange {
  const { start, end } = input;
  if (end.getTime() <= start.getTime()) throw clientError(ErrorCode.BAD_USER_INPUT, "`range.end` must be after `range.start`", { argument: "range" });
  if (end.getTime() - start.getTime() > MAX_RANGE_MS) throw clientError(ErrorCode.BAD_USER_INPUT, "`range` may span at most two years", { argument: "range" });
  return { start, end };
}
