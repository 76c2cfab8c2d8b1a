import { Field, ObjectType } from "type-graphql";
import { UserError } from "../../../../lib/graphql/user-error";
import { Invoice } from "./invoice.type";

/** Result of `closeBillingPeriod`. */
@ObjectType()
export class CloseBillingPeriodPayload {
  @Field(() => Invoice, { nullable: true })
  invoice!: Invoice | null;

  @Field({ description: "False when the period was already closed: the existing invoice is returned and no second one is made." })
  created!: boolean;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
