import { Field, Int, ObjectType } from "type-graphql";
import type { BillingPeriod } from "./billing-period";

/** A billing period as clients see it. */
@ObjectType("BillingPeriod", { description: "A calendar month in UTC: `start` inclusive, `end` exclusive." })
export class BillingPeriodType implements BillingPeriod {
  @Field({ description: "`YYYY-MM`: what `closeBillingPeriod` takes." })
  label!: string;

  @Field()
  start!: Date;

  @Field()
  end!: Date;

  @Field(() => Int)
  days!: number;
}
