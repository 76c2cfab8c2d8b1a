import { Field, InputType, ObjectType } from "type-graphql";
import { Lead } from "../lead/lead.type";
import { ScoreTier } from "./score.enums";
import { LeadScore } from "./score.type";

/** Which scores a `leadScored` subscriber receives. */
@InputType({ description: "Which new scores to receive." })
export class LeadScoredFilter {
  @Field(() => ScoreTier, { nullable: true, description: "Only scores in this tier or a hotter one (HOT > WARM > COLD); omitted: every score." })
  minTier?: ScoreTier | null;
}

/** A lead was scored, as `leadScored` delivers it. */
@ObjectType({ description: "A lead was given a new score." })
export class LeadScoredEvent {
  @Field(() => Lead)
  lead!: Lead;

  @Field(() => LeadScore)
  score!: LeadScore;

  @Field(() => ScoreTier, { nullable: true, description: "The lead's tier before this score; null for its first score." })
  previousTier!: ScoreTier | null;
}
