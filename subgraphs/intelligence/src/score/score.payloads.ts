import { Field, ObjectType } from "type-graphql";
import { UserError } from "../../../../lib/graphql/user-error";
import { Lead } from "../lead/lead.type";
import { LeadScore } from "./score.type";

/** Result of `rescoreLead`. */
@ObjectType({ description: "The lead's new score, or why it could not be scored." })
export class RescoreLeadPayload {
  @Field(() => Lead, { nullable: true })
  lead!: Lead | null;

  @Field(() => LeadScore, { nullable: true })
  score!: LeadScore | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
