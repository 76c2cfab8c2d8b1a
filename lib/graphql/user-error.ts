import { Directive, Field, ObjectType, registerEnumType } from "type-graphql";

/** Why a mutation could not be applied (an expected failure, not a bug). */
export enum UserErrorCode {
  INVALID_INPUT = "INVALID_INPUT",
  NOT_FOUND = "NOT_FOUND",
  CONFLICT = "CONFLICT",
  ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION",
  /** A plan change would leave this period's usage above the new plan's allowance. */
  USAGE_EXCEEDS_PLAN = "USAGE_EXCEEDS_PLAN",
  /** A billing period was asked to close before it ended. */
  PERIOD_NOT_ENDED = "PERIOD_NOT_ENDED",
  /** Usage of the period is still being metered from the events log; retry shortly. */
  USAGE_PENDING = "USAGE_PENDING",
  /** The account was on no plan during the period. */
  NOTHING_TO_BILL = "NOTHING_TO_BILL",
}
registerEnumType(UserErrorCode, { name: "UserErrorCode", description: "Why a mutation could not be applied." });

/** An expected mutation failure, returned in the payload's `userErrors`. */
@Directive("@shareable")
@ObjectType({ description: "An expected mutation failure the user can act on." })
export class UserError {
  @Field(() => [String], { description: "Path to the input field at fault, e.g. [\"input\", \"email\"]." })
  field!: string[];

  @Field()
  message!: string;

  @Field(() => UserErrorCode)
  code!: UserErrorCode;
}

/** Builds a {@link UserError}; `field` is relative to the mutation's `input`. */
export function userError(code: UserErrorCode, message: string, ...field: string[]): UserError {
  return { code, message, field: ["input", ...field] };
}

/** One failed validation rule. */
interface ValidationIssue {
  path: readonly PropertyKey[];
  message: string;
}

/** Maps validation issues (from zod) to `INVALID_INPUT` user errors under `input`. */
export function invalidInput(issues: readonly ValidationIssue[]): UserError[] {
  return issues.map((issue) => userError(UserErrorCode.INVALID_INPUT, issue.message, ...issue.path.map(String)));
}
