import { Field, InputType, Int } from "type-graphql";
import { PlanCode } from "../plan/plan.catalog";

/** A team installing the app: the tenant is the one the service caller acts for. */
@InputType()
export class ProvisionAccountInput {
  @Field({ description: "The team's name (1 to 200 characters)." })
  name!: string;

  @Field(() => PlanCode, { defaultValue: PlanCode.STARTER })
  plan!: PlanCode;

  @Field(() => Int, { defaultValue: 14, description: "Days of free trial from now (0 to 90); 0 starts billing today." })
  trialDays!: number;
}

/** A team removing the app. */
@InputType()
export class DeactivateAccountInput {
  @Field(() => String, { nullable: true, description: "Why, kept with the account's history (at most 500 characters)." })
  reason?: string | null;
}

/** The plan to move to. */
@InputType()
export class ChangePlanInput {
  @Field(() => PlanCode)
  plan!: PlanCode;
}
