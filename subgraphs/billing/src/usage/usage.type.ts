import { Field, Int, ObjectType } from "type-graphql";
import { Money } from "../money/money";
import { BillingPeriodType } from "../period/billing-period.type";
import { UsageMeter } from "./usage-meter";

/** One meter's usage in a period against the plan's allowance. */
@ObjectType({ description: "One meter's usage in a period against the plan's allowance." })
export class MeterUsage {
  @Field(() => UsageMeter)
  meter!: UsageMeter;

  @Field(() => Int)
  used!: number;

  @Field(() => Int)
  included!: number;

  @Field(() => Int, { description: "Units beyond the allowance so far." })
  overage!: number;

  @Field(() => Money, { description: "What the overage so far would cost at the current plan." })
  overageAmount!: Money;
}

/** An account's usage in the current period. */
@ObjectType({ description: "An account's metered usage in one period." })
export class Usage {
  @Field(() => BillingPeriodType)
  period!: BillingPeriodType;

  @Field(() => [MeterUsage])
  meters!: MeterUsage[];
}
