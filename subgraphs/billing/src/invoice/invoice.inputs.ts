import { Field, InputType } from "type-graphql";

/** Which period to close. */
@InputType()
export class CloseBillingPeriodInput {
  @Field({ description: "The calendar month, `YYYY-MM` (UTC). It must have ended." })
  period!: string;
}
