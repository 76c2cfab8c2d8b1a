import { registerEnumType } from "type-graphql";

/** The channel a message arrived on (GHL's message types, folded). */
export enum MessageChannel {
  SMS = "SMS",
  EMAIL = "EMAIL",
  CALL = "CALL",
  VOICEMAIL = "VOICEMAIL",
  WHATSAPP = "WHATSAPP",
  LIVE_CHAT = "LIVE_CHAT",
  FACEBOOK = "FACEBOOK",
  INSTAGRAM = "INSTAGRAM",
  OTHER = "OTHER",
}

/** What the lead wants, as read from a message. */
export enum MessageIntent {
  BUY = "BUY",
  SELL = "SELL",
  RENT = "RENT",
  INFO_REQUEST = "INFO_REQUEST",
  NOT_INTERESTED = "NOT_INTERESTED",
}

/** The tone of a message. */
export enum Sentiment {
  POSITIVE = "POSITIVE",
  NEUTRAL = "NEUTRAL",
  NEGATIVE = "NEGATIVE",
}

/** How soon the lead expects to act, as read from a message. */
export enum Urgency {
  LOW = "LOW",
  MEDIUM = "MEDIUM",
  HIGH = "HIGH",
}

/** Which analyzer produced an insight. */
export enum AnalysisProvider {
  /** The rule-based analyzer that runs in-process, with no network. */
  LOCAL = "LOCAL",
  /** Anthropic's API (enabled by `ANTHROPIC_API_KEY`). */
  ANTHROPIC = "ANTHROPIC",
}

registerEnumType(MessageChannel, { name: "MessageChannel", description: "The channel a message arrived on." });
registerEnumType(MessageIntent, { name: "MessageIntent", description: "What the lead wants, as read from a message." });
registerEnumType(Sentiment, { name: "Sentiment", description: "The tone of a message." });
registerEnumType(Urgency, { name: "Urgency", description: "How soon the lead expects to act." });
registerEnumType(AnalysisProvider, { name: "AnalysisProvider", description: "Which analyzer produced an insight." });
