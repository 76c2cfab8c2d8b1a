import { Field, Int, ObjectType } from "type-graphql";
import { connectionType } from "../../../../lib/pagination/connection";
import { ScoreTier } from "./score.enums";
import { ScoreFactorName } from "./score.model";

/** One part of a score's explanation. */
@ObjectType({ description: "One part of a score: what it looked at and what it added." })
export class ScoreFactor {
  @Field(() => ScoreFactorName)
  name!: ScoreFactorName;

  @Field(() => Int, { description: "Points this factor contributed (negative for penalties); the factors sum to the score." })
  points!: number;

  @Field({ description: "The fact and its effect, in words a realtor can repeat to a client." })
  explanation!: string;
}

/** A lead's score at one moment. */
@ObjectType({ description: "How likely a lead is to transact soon, 0-100, with the reasons." })
export class LeadScore {
  @Field(() => Int, { description: "0-100: the sum of the factors' points." })
  value!: number;

  @Field(() => ScoreTier)
  tier!: ScoreTier;

  @Field(() => [ScoreFactor])
  factors!: ScoreFactor[];

  @Field({ description: "The scoring model that produced this score." })
  modelVersion!: string;

  @Field()
  scoredAt!: Date;
}

/** `LeadScoreConnection`: a page of a lead's score history. */
export const LeadScoreConnection = connectionType("LeadScore", LeadScore);
