import { Field, ObjectType } from "type-graphql";
import { UserError } from "../../../../lib/graphql/user-error";
import { Account, PlanChange } from "./account.type";

/** Result of `provisionAccount`. */
@ObjectType()
export class ProvisionAccountPayload {
  @Field(() => Account, { nullable: true })
  account!: Account | null;

  @Field({ description: "False when the tenant already had an active account: provisioning twice changes nothing." })
  created!: boolean;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

/** Result of `deactivateAccount`. */
@ObjectType()
export class DeactivateAccountPayload {
  @Field(() => Account, { nullable: true })
  account!: Account | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

/** Result of `changePlan`. */
@ObjectType()
export class ChangePlanPayload {
  @Field(() => Account, { nullable: true })
  account!: Account | null;

  @Field(() => PlanChange, { nullable: true, description: "The recorded change; null when the account was already on the plan." })
  change!: PlanChange | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
