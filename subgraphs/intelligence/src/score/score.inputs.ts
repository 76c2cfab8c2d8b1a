import { Field, ID, InputType } from "type-graphql";

/** Which lead to score again. */
@InputType()
export class RescoreLeadInput {
  @Field(() => ID)
  leadId!: string;
}
