import { Directive, Field, ObjectType, registerEnumType } from "type-graphql";

/** Why a mutation could not be applied (an expected failure, not a bug). */
export enum UserErrorCode {
  INVALID_INPUT = "INVALID_INPUT",
  NOT_FOUND = "NOT_FOUND",
  CONFLICT = "CONFLICT",
  ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION",
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
