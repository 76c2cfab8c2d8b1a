import { Field, ID, Int, ObjectType } from "type-graphql";
import { BuyingTimeline } from "../../../leads/src/lead/lead.enums";
import { connectionType } from "../../../../lib/pagination/connection";
import { AnalysisProvider, MessageChannel, MessageIntent, Sentiment, Urgency } from "./insight.enums";

/** Facts a message stated; null or empty when it did not say. */
@ObjectType("ExtractedFacts", { description: "Facts a message stated about what the lead wants." })
export class ExtractedFactsType {
  @Field(() => Int, { nullable: true, description: "Highest budget, whole dollars." })
  budgetMax!: number | null;

  @Field(() => Int, { nullable: true })
  bedrooms!: number | null;

  @Field(() => [String])
  areas!: string[];

  @Field(() => BuyingTimeline, { nullable: true })
  timeline!: BuyingTimeline | null;
}

/** What one message from a lead said. */
@ObjectType({ description: "What one message from a lead said, read by an analyzer." })
export class ConversationInsight {
  @Field(() => ID)
  id!: string;

  @Field(() => MessageChannel)
  channel!: MessageChannel;

  @Field(() => MessageIntent)
  intent!: MessageIntent;

  @Field(() => Sentiment)
  sentiment!: Sentiment;

  @Field(() => Urgency)
  urgency!: Urgency;

  @Field(() => ExtractedFactsType)
  extracted!: ExtractedFactsType;

  @Field({ description: "One or two sentences a realtor can read at a glance." })
  summary!: string;

  @Field()
  analyzedAt!: Date;

  @Field(() => AnalysisProvider, { description: "The analyzer that produced this insight." })
  provider!: AnalysisProvider;

  @Field(() => String, { nullable: true, description: "Why the configured AI provider was not used (its reply was unusable), or null." })
  fallbackReason!: string | null;
}

/** `ConversationInsightConnection`: a page of a lead's insights. */
export const ConversationInsightConnection = connectionType("ConversationInsight", ConversationInsight);
