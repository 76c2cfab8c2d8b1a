import type { BuyingTimeline } from "../../../../leads/src/lead/lead.enums";
import type { AnalysisProvider, MessageChannel, MessageIntent, Sentiment, Urgency } from "../insight.enums";

/** A message to read. The body is already length-checked by the caller. */
export interface MessageToAnalyze {
  body: string;
  channel: MessageChannel;
}

/** Facts a message states about what the lead wants; null or empty when it does not say. */
export interface ExtractedFacts {
  /** Highest budget, whole dollars. */
  budgetMax: number | null;
  bedrooms: number | null;
  /** Area names as the market knows them (e.g. "Round Rock"). */
  areas: string[];
  timeline: BuyingTimeline | null;
}

/** What an analyzer read from one message. */
export interface MessageAnalysis {
  intent: MessageIntent;
  sentiment: Sentiment;
  urgency: Urgency;
  extracted: ExtractedFacts;
  /** One or two sentences a realtor can read at a glance. */
  summary: string;
  /** The analyzer that produced this analysis (after any fallback). */
  provider: AnalysisProvider;
  /** Why the configured provider was not used (malformed reply, refusal, timeout), or null. */
  fallbackReason: string | null;
}

/** Reads a message. Implementations never throw for a bad reply: they fall back and say why. */
export interface MessageAnalyzer {
  /** The provider this analyzer tries first. */
  readonly provider: AnalysisProvider;
  analyze(message: MessageToAnalyze): Promise<MessageAnalysis>;
}
