/**
 * # Lead score, rules model
 *
 * A lead's score says how ready it is to buy, on a 0..100 scale a realtor can read at a
 * glance. It is the plain sum of six factors, each stated as a sentence ("Pre-approved for a
 * mortgage: +22"), so the number can always be checked by hand. The five positive factors max
 * out at exactly 100 together:
 *
 * | Factor | Max | Points |
 * |---|---|---|
 * | `FINANCING` | 25 | CASH 25, PRE_APPROVED 22, PRE_QUALIFIED 14, NOT_STARTED 4, UNKNOWN 0 |
 * | `TIMELINE` | 20 | IMMEDIATE 20, WITHIN_3_MONTHS 16, WITHIN_6_MONTHS 10, WITHIN_12_MONTHS 5, JUST_BROWSING 1, UNKNOWN 0 |
 * | `BUDGET_FIT` | 20 | 0 without a maximum budget; else `round(20 * min(affordableListings, 10) / 10)` |
 * | `SEARCH_SPECIFICITY` | 15 | areas named 5, minimum bedrooms 4, property types named 3, maximum budget 3 |
 * | `ENGAGEMENT` | 20 | `min(inboundMessages, 3) * 2`; 8 once the pipeline reached APPOINTMENT_SET (APPOINTMENT_SET, UNDER_CONTRACT, CLOSED_WON); latest intent BUY/SELL 3, RENT/INFO_REQUEST 1, NOT_INTERESTED/none 0; latest urgency HIGH 3, MEDIUM 2, LOW/none 0 |
 * | `DO_NOT_CONTACT` | penalty | only when the lead asked not to be contacted: `-min(40, sum of the five above)` |
 *
 * Timeline, budget, bedrooms and areas come from {@link searchProfile}: the lead's own fields,
 * with gaps filled from what its messages said. The penalty is capped by the subtotal so the
 * score never goes below 0 while still being exactly the sum of its factors.
 *
 * Every factor explains itself as the fact and its effect, in words a realtor can repeat:
 * "Wants to buy within 3 months: +16", "7 available listings in Round Rock, Cedar Park fit the
 * $450,000 budget: +14", "No budget given yet: +0", "Asked not to be contacted: -40". All five
 * positive factors are always listed, even at +0, so a realtor sees what is missing.
 *
 * Tiers: HOT at 70 and above, WARM at 40 and above, COLD below ({@link tierFor}).
 *
 * The model is deterministic: no clock, no randomness; the factors always come in the order
 * of {@link ScoreFactorName}. Any change to the rules must bump {@link SCORE_MODEL_VERSION},
 * because stored scores name the version that produced them.
 *
 * @packageDocumentation
 */
import { registerEnumType } from "type-graphql";
import { BuyingTimeline, FinancingStatus, LeadStatus } from "../../../leads/src/lead/lead.enums";
import { searchProfile, type LeadFeatures, type SearchProfile } from "../features/lead-features";
import { MessageIntent, Urgency } from "../insight/insight.enums";
import { ScoreTier } from "./score.enums";

/** The rules this file implements; stored scores carry it, so bump it with any rule change. */
export const SCORE_MODEL_VERSION = "rules-2026.11";

/** The factors of a lead's score, in the order a score lists them. */
export enum ScoreFactorName {
  FINANCING = "FINANCING",
  TIMELINE = "TIMELINE",
  BUDGET_FIT = "BUDGET_FIT",
  SEARCH_SPECIFICITY = "SEARCH_SPECIFICITY",
  ENGAGEMENT = "ENGAGEMENT",
  DO_NOT_CONTACT = "DO_NOT_CONTACT",
}

registerEnumType(ScoreFactorName, {
  name: "ScoreFactorName",
  description: "One factor of a lead's score.",
  valuesConfig: {
    FINANCING: { description: "How far the lead's financing has got (max 25)." },
    TIMELINE: { description: "How soon the lead wants to buy (max 20)." },
    BUDGET_FIT: { description: "How many available listings the lead's budget meets (max 20)." },
    SEARCH_SPECIFICITY: { description: "How precisely the lead described its search (max 15)." },
    ENGAGEMENT: { description: "Messages, pipeline progress, intent and urgency (max 20)." },
    DO_NOT_CONTACT: { description: "Penalty when the lead asked not to be contacted (down to -40, never below a 0 score)." },
  },
});

/** What the score is computed from. */
export interface ScoringInput {
  /** The lead; timeline and search come from {@link searchProfile} (messages fill gaps). */
  features: LeadFeatures;
  /** Available listings in the lead's areas (all areas when it named none) priced within its budget (price <= budgetMax and, when set, >= budgetMin): the market the budget meets. */
  affordableListings: number;
}

/** One line of a score: its points and the sentence that justifies them. */
export interface ScoreFactor {
  name: ScoreFactorName;
  /** Whole points; negative only for `DO_NOT_CONTACT`. */
  points: number;
  /** The fact and its effect, for a realtor: "Pre-approved for a mortgage: +22". */
  explanation: string;
}

/** A lead's score: the sum of its factors, its tier, and the model that produced it. */
export interface ScoreResult {
  /** Exactly the sum of `factors[].points`; a whole number in 0..100. */
  value: number;
  tier: ScoreTier;
  /** Financing, timeline, budget fit, search specificity, engagement, then do-not-contact when it applies. */
  factors: ScoreFactor[];
  modelVersion: string;
}

/** Points the do-not-contact penalty takes away at most. */
const DO_NOT_CONTACT_MAX_PENALTY = 40;
/** Affordable listings at which the budget fit is full: beyond this the market is simply open. */
const BUDGET_FIT_FULL_AT = 10;
const BUDGET_FIT_MAX = 20;
/** Inbound messages that still add engagement: past three, volume says little more. */
const MESSAGES_COUNTED = 3;
const POINTS_PER_MESSAGE = 2;
const APPOINTMENT_POINTS = 8;

const FINANCING_POINTS: Readonly<Record<FinancingStatus, number>> = {
  [FinancingStatus.CASH]: 25,
  [FinancingStatus.PRE_APPROVED]: 22,
  [FinancingStatus.PRE_QUALIFIED]: 14,
  [FinancingStatus.NOT_STARTED]: 4,
  [FinancingStatus.UNKNOWN]: 0,
};

const FINANCING_FACTS: Readonly<Record<FinancingStatus, string>> = {
  [FinancingStatus.CASH]: "Paying cash",
  [FinancingStatus.PRE_APPROVED]: "Pre-approved for a mortgage",
  [FinancingStatus.PRE_QUALIFIED]: "Pre-qualified for a mortgage",
  [FinancingStatus.NOT_STARTED]: "Has not started on financing yet",
  [FinancingStatus.UNKNOWN]: "Financing not known yet",
};

const TIMELINE_POINTS: Readonly<Record<BuyingTimeline, number>> = {
  [BuyingTimeline.IMMEDIATE]: 20,
  [BuyingTimeline.WITHIN_3_MONTHS]: 16,
  [BuyingTimeline.WITHIN_6_MONTHS]: 10,
  [BuyingTimeline.WITHIN_12_MONTHS]: 5,
  [BuyingTimeline.JUST_BROWSING]: 1,
  [BuyingTimeline.UNKNOWN]: 0,
};

const TIMELINE_FACTS: Readonly<Record<BuyingTimeline, string>> = {
  [BuyingTimeline.IMMEDIATE]: "Wants to buy now",
  [BuyingTimeline.WITHIN_3_MONTHS]: "Wants to buy within 3 months",
  [BuyingTimeline.WITHIN_6_MONTHS]: "Wants to buy within 6 months",
  [BuyingTimeline.WITHIN_12_MONTHS]: "Wants to buy within 12 months",
  [BuyingTimeline.JUST_BROWSING]: "Just browsing",
  [BuyingTimeline.UNKNOWN]: "Timeline not known yet",
};

/** What each named part of the search is worth, and how it reads in a sentence. */
const SPECIFICITY_PARTS: readonly { label: string; missing: string; points: number; given: (p: SearchProfile) => boolean }[] = [
  { label: "areas", missing: "areas", points: 5, given: (p) => p.areas.length > 0 },
  { label: "minimum bedrooms", missing: "bedrooms", points: 4, given: (p) => p.bedroomsMin !== null },
  { label: "property types", missing: "property types", points: 3, given: (p) => p.propertyTypes.length > 0 },
  { label: "a budget", missing: "budget", points: 3, given: (p) => p.budgetMax !== null },
];

const INTENT_POINTS: Readonly<Record<MessageIntent, number>> = {
  [MessageIntent.BUY]: 3,
  [MessageIntent.SELL]: 3,
  [MessageIntent.RENT]: 1,
  [MessageIntent.INFO_REQUEST]: 1,
  [MessageIntent.NOT_INTERESTED]: 0,
};

const INTENT_FACTS: Readonly<Record<MessageIntent, string>> = {
  [MessageIntent.BUY]: "wants to buy",
  [MessageIntent.SELL]: "wants to sell",
  [MessageIntent.RENT]: "asking about renting",
  [MessageIntent.INFO_REQUEST]: "asking for information",
  [MessageIntent.NOT_INTERESTED]: "says not interested",
};

const URGENCY_POINTS: Readonly<Record<Urgency, number>> = {
  [Urgency.HIGH]: 3,
  [Urgency.MEDIUM]: 2,
  [Urgency.LOW]: 0,
};

/** Pipeline stages at or past a booked appointment, and how each reads. CLOSED_LOST is not past it. */
const APPOINTMENT_REACHED: Readonly<Partial<Record<LeadStatus, string>>> = {
  [LeadStatus.APPOINTMENT_SET]: "appointment set",
  [LeadStatus.UNDER_CONTRACT]: "under contract",
  [LeadStatus.CLOSED_WON]: "deal closed",
};

/**
 * Scores a lead with the rules model documented at the top of this file.
 * Pure: the same input always gives a deep-equal result.
 */
export function scoreLead(input: ScoringInput): ScoreResult {
  const { features } = input;
  const profile = searchProfile(features);
  const positive = [
    financingFactor(features.financing),
    timelineFactor(profile.timeline),
    budgetFitFactor(profile, wholeCount(input.affordableListings)),
    specificityFactor(profile),
    engagementFactor(features),
  ];
  const factors = features.doNotContact ? [...positive, doNotContactFactor(sumPoints(positive))] : positive;
  const value = sumPoints(factors);
  return { value, tier: tierFor(value), factors, modelVersion: SCORE_MODEL_VERSION };
}

/** The band a score falls in: HOT at 70 and above, WARM at 40 and above, COLD below. */
export function tierFor(value: number): ScoreTier {
  if (value >= 70) return ScoreTier.HOT;
  if (value >= 40) return ScoreTier.WARM;
  return ScoreTier.COLD;
}

function financingFactor(financing: FinancingStatus): ScoreFactor {
  return factor(ScoreFactorName.FINANCING, FINANCING_POINTS[financing], FINANCING_FACTS[financing]);
}

function timelineFactor(timeline: BuyingTimeline): ScoreFactor {
  return factor(ScoreFactorName.TIMELINE, TIMELINE_POINTS[timeline], TIMELINE_FACTS[timeline]);
}

function budgetFitFactor(profile: SearchProfile, affordable: number): ScoreFactor {
  if (profile.budgetMax === null) return factor(ScoreFactorName.BUDGET_FIT, 0, "No budget given yet");
  const points = Math.round((BUDGET_FIT_MAX * Math.min(affordable, BUDGET_FIT_FULL_AT)) / BUDGET_FIT_FULL_AT);
  const listings = affordable === 0 ? "No available listings" : `${affordable} available ${plural(affordable, "listing")}`;
  const where = profile.areas.length > 0 ? `in ${profile.areas.join(", ")}` : "in any area";
  const verb = affordable === 1 ? "fits" : "fit";
  return factor(ScoreFactorName.BUDGET_FIT, points, `${listings} ${where} ${verb} the ${budgetText(profile.budgetMin, profile.budgetMax)} budget`);
}

function specificityFactor(profile: SearchProfile): ScoreFactor {
  const given = SPECIFICITY_PARTS.filter((part) => part.given(profile));
  const missing = SPECIFICITY_PARTS.filter((part) => !part.given(profile));
  const points = sumOf(given.map((part) => part.points));
  if (given.length === 0) return factor(ScoreFactorName.SEARCH_SPECIFICITY, 0, "No search details given yet");
  const gave = `Search names ${joinWords(given.map((part) => part.label))}`;
  const explanation = missing.length === 0 ? gave : `${gave}; no ${joinWords(missing.map((part) => part.missing), "or")} yet`;
  return factor(ScoreFactorName.SEARCH_SPECIFICITY, points, explanation);
}

function engagementFactor(features: LeadFeatures): ScoreFactor {
  const messages = wholeCount(features.inboundMessages);
  const stage = APPOINTMENT_REACHED[features.status];
  const { latestIntent: intent, latestUrgency: urgency } = features;
  const points =
    Math.min(messages, MESSAGES_COUNTED) * POINTS_PER_MESSAGE +
    (stage === undefined ? 0 : APPOINTMENT_POINTS) +
    (intent === null ? 0 : INTENT_POINTS[intent]) +
    (urgency === null ? 0 : URGENCY_POINTS[urgency]);
  const facts = [
    messages === 0 ? "no messages yet" : `${messages} inbound ${plural(messages, "message")}`,
    ...(stage === undefined ? [] : [stage]),
    ...(intent === null ? [] : [INTENT_FACTS[intent]]),
    ...(urgency === null ? [] : [`${urgency.toLowerCase()} urgency`]),
  ];
  return factor(ScoreFactorName.ENGAGEMENT, points, capitalize(facts.join(", ")));
}

/** Capped by the subtotal so the score lands on 0 at worst, and stays exactly the sum of its factors. */
function doNotContactFactor(subtotal: number): ScoreFactor {
  const penalty = Math.min(DO_NOT_CONTACT_MAX_PENALTY, subtotal);
  // `0 - x` rather than `-x`: a penalty of nothing must be 0, not -0, or deep equality breaks.
  return factor(ScoreFactorName.DO_NOT_CONTACT, 0 - penalty, "Asked not to be contacted");
}

function factor(name: ScoreFactorName, points: number, fact: string): ScoreFactor {
  return { name, points, explanation: `${fact}: ${signed(points)}` };
}

function sumPoints(factors: readonly ScoreFactor[]): number {
  return sumOf(factors.map((f) => f.points));
}

function sumOf(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

/** Counts arrive from storage and events; a negative, fractional or missing one must not bend the score. */
function wholeCount(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

function signed(points: number): string {
  return points < 0 ? `-${Math.abs(points)}` : `+${points}`;
}

function budgetText(min: number | null, max: number): string {
  return min === null ? dollars(max) : `${dollars(min)}–${dollars(max)}`;
}

/**
 * Whole dollars with thousands separators. Done by hand rather than with `toLocaleString`
 * so the text never depends on the ICU data or locale of the machine.
 */
export function dollars(amount: number): string {
  const whole = Math.round(Math.abs(amount)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${amount < 0 ? "-" : ""}$${whole}`;
}

/** `word` for one, `word` + "s" otherwise: every noun used here pluralizes regularly. */
export function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}

/** "a", "a and b", "a, b and c". */
function joinWords(words: readonly string[], conjunction = "and"): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} ${conjunction} ${words[words.length - 1] ?? ""}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
