import type { BuyingTimeline } from "../../../leads/src/lead/lead.enums";
import type { InsightRow } from "../database";
import type { AnalysisProvider, MessageChannel, MessageIntent, Sentiment, Urgency } from "./insight.enums";
import type { ConversationInsight } from "./insight.type";

/** Maps a stored insight to the GraphQL `ConversationInsight`; columns hold only enum values the analyzers produced. */
export function toInsight(row: InsightRow): ConversationInsight {
  return {
    id: row.id,
    channel: row.channel as MessageChannel,
    intent: row.intent as MessageIntent,
    sentiment: row.sentiment as Sentiment,
    urgency: row.urgency as Urgency,
    extracted: {
      budgetMax: row.extracted_budget_max,
      bedrooms: row.extracted_bedrooms,
      areas: row.extracted_areas,
      timeline: row.extracted_timeline as BuyingTimeline | null,
    },
    summary: row.summary,
    analyzedAt: row.analyzed_at,
    provider: row.provider as AnalysisProvider,
    fallbackReason: row.fallback_reason,
  };
}
