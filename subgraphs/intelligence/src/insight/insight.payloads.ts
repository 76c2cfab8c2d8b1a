import { Field, ObjectType } from "type-graphql";
import { UserError } from "../../../../lib/graphql/user-error";
import { Lead } from "../lead/lead.type";
import { LeadScore } from "../score/score.type";
import { ConversationInsight } from "./insight.type";

/** Result of `analyzeMessage`. */
@ObjectType({ description: "What the message said and the lead's new score, or why it could not be read." })
export class AnalyzeMessagePayload {
  @Field(() => ConversationInsight, { nullable: true })
  insight!: ConversationInsight | null;

  @Field(() => Lead, { nullable: true })
  lead!: Lead | null;

  @Field(() => LeadScore, { nullable: true, description: "The score after this message." })
  score!: LeadScore | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
