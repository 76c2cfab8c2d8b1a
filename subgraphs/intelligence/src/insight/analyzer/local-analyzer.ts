import { BuyingTimeline } from "../../../../leads/src/lead/lead.enums";
import { AnalysisProvider, MessageIntent, Sentiment, Urgency } from "../insight.enums";
import type { ExtractedFacts, MessageAnalysis, MessageAnalyzer, MessageToAnalyze } from "./message-analyzer";

/** Options for {@link createLocalAnalyzer}. */
export interface LocalAnalyzerOptions {
  /** Area names of the market, spelled as they should be reported (e.g. "Round Rock"). */
  knownAreas: readonly string[];
}

/**
 * Creates the rule-based analyzer: deterministic, in-process, no network. It is the
 * analyzer of last resort (the Anthropic analyzer falls back to it), so it must answer
 * every string, empty or hostile, without throwing.
 */
export function createLocalAnalyzer(options: LocalAnalyzerOptions): MessageAnalyzer {
  const findAreas = createAreaFinder(options.knownAreas);
  return {
    provider: AnalysisProvider.LOCAL,
    analyze: async (message: MessageToAnalyze) => analyzeBody(message.body, findAreas),
  };
}

function analyzeBody(body: string, findAreas: (text: string) => string[]): MessageAnalysis {
  const text = normalize(body);
  const lower = text.toLowerCase();
  const timeline = readTimeline(lower);
  const extracted: ExtractedFacts = { budgetMax: readBudgetMax(lower), bedrooms: readBedrooms(lower), areas: findAreas(text), timeline };
  const intent = readIntent(lower, extracted);
  return {
    intent: intent.intent,
    sentiment: readSentiment(lower),
    urgency: readUrgency(lower, intent.intent, timeline),
    extracted,
    summary: summarize(intent, extracted),
    provider: AnalysisProvider.LOCAL,
    fallbackReason: null,
  };
}

/** Folds the spellings phones produce (curly quotes, full-width digits, runs of spaces) so one pattern covers them. */
function normalize(body: string): string {
  return body
    .normalize("NFKC")
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/\s+/g, " ")
    .trim();
}

// ---------------------------------------------------------------------------
// Intent

interface IntentReading {
  intent: MessageIntent;
  /** False when nothing in the message pointed anywhere and BUY is only the default. */
  stated: boolean;
}

// "not interested in condos" is a preference, not an opt-out; only these objects make it one.
const NOT_INTERESTED =
  /\b(stop (texting|messaging|calling|contacting|emailing)|no longer interested|unsubscribe|remove me|take me off|leave me alone|do not (contact|text|call|message)|don'?t (contact|text|call|message) me|wrong number|opt me out|opt out)\b|\bnot interested\b(?! in)|\bnot interested in (selling|buying|renting|moving|it|this|that|your|any|a realtor|an agent)\b|^stop\W*$/;
const SELL =
  /\b(sell|selling|list (my|our) (house|home|condo|townhouse|property|place)|listing (my|our)|put (my|our) (house|home|condo|place) on the market|what('s| is) my (house|home|condo|place) worth|home valuation)\b/;
const BUY =
  /\b(buy|buying|purchase|purchasing|pre-?approved|pre-?qualified|mortgage|down payment|first[- ]time (home ?)?buyer|house hunting|home search|looking for (a|an) (home|house|condo|townhouse|townhome|property|place to buy)|make an offer|put in an offer|schedule a (tour|showing)|tour (it|the|this)|see the (house|home|property))\b/;
// A buyer's current lease and the rent they pay now say nothing about wanting to rent.
const CURRENT_TENANCY = /\b(my|our|the|current) lease\b|\b(paying|pay) rent\b|\b(instead of|stop|done|tired of) renting\b/g;
const RENT = /\b(rent|renting|rental|lease|leasing|tenant)\b/;
const INFO_REQUEST = /\?|\b(more (info|information|details)|details (on|about)|send me (info|information|details|the listing)|tell me (more )?about|i'd like to know|wondering)\b/;

/** Reads what the lead wants; earlier rules win because an opt-out or a listing outranks any buying talk around it. */
function readIntent(lower: string, facts: ExtractedFacts): IntentReading {
  if (NOT_INTERESTED.test(lower)) return { intent: MessageIntent.NOT_INTERESTED, stated: true };
  if (SELL.test(lower)) return { intent: MessageIntent.SELL, stated: true };
  if (BUY.test(lower)) return { intent: MessageIntent.BUY, stated: true };
  if (RENT.test(lower.replace(CURRENT_TENANCY, " "))) return { intent: MessageIntent.RENT, stated: true };
  const statesWants = facts.budgetMax !== null || facts.bedrooms !== null;
  if (INFO_REQUEST.test(lower) && !statesWants) return { intent: MessageIntent.INFO_REQUEST, stated: true };
  return { intent: MessageIntent.BUY, stated: statesWants || facts.areas.length > 0 || facts.timeline !== null };
}

// ---------------------------------------------------------------------------
// Sentiment

const POSITIVE_WORDS = new Set([
  "love", "loved", "loving", "great", "perfect", "excited", "exciting", "awesome", "amazing", "thanks", "thank", "wonderful",
  "happy", "glad", "beautiful", "nice", "good", "appreciate", "appreciated", "helpful", "fantastic", "gorgeous", "impressed",
  "pleased", "excellent", "thrilled",
]);
const NEGATIVE_WORDS = new Set([
  "hate", "hated", "bad", "terrible", "awful", "annoyed", "annoying", "frustrated", "frustrating", "disappointed", "disappointing",
  "angry", "upset", "unhappy", "spam", "spamming", "worst", "ridiculous", "rude", "overpriced", "horrible", "waste", "useless",
  "sucks", "stressed", "stressful", "worried", "problem", "problems", "scam", "harassing", "harassment",
]);
const NEGATORS = new Set(["not", "no", "never", "hardly", "barely", "nothing", "without", "dont", "cant", "wont", "isnt", "wasnt", "arent", "didnt", "doesnt"]);
const NEGATION_REACH = 3;
const HOSTILE_PHRASES = /\bstop (texting|messaging|calling|contacting|emailing)\b|\bleave me alone\b/g;

/** Sums a small lexicon per clause, flipping a word a nearby negator governs ("not happy", "no problem"). */
function readSentiment(lower: string): Sentiment {
  const clauses = lower.split(/[.,;:!?\n]+/);
  const score = clauses.reduce((sum, clause) => sum + clauseScore(clause), 0) - (lower.match(HOSTILE_PHRASES)?.length ?? 0);
  if (score > 0) return Sentiment.POSITIVE;
  if (score < 0) return Sentiment.NEGATIVE;
  return Sentiment.NEUTRAL;
}

function clauseScore(clause: string): number {
  const words = clause.match(/[a-z']+/g) ?? [];
  return words.reduce((sum, word, index) => {
    const polarity = POSITIVE_WORDS.has(word) ? 1 : NEGATIVE_WORDS.has(word) ? -1 : 0;
    return sum + (polarity !== 0 && isNegated(words, index) ? -polarity : polarity);
  }, 0);
}

function isNegated(words: readonly string[], index: number): boolean {
  return words.slice(Math.max(0, index - NEGATION_REACH), index).some((word) => word.endsWith("n't") || NEGATORS.has(word));
}

// ---------------------------------------------------------------------------
// Urgency

// "not urgent" must not read as urgent, hence the lookbehind.
const HIGH_URGENCY =
  /\b(asap|a\.s\.a\.p|as soon as possible|right away|immediately|(?<!\b(not|no|nothing) (that |very |super )?)urgent(ly)?|this week|this weekend|today|tonight|tomorrow)\b|\b(lease|rental) (ends|is ending|is up|expires|runs out)\b|\blease ending\b|\bend of (my|our) lease\b/;

/** HIGH for now-or-never wording, MEDIUM for a move within about three months; an opt-out is never urgent. */
function readUrgency(lower: string, intent: MessageIntent, timeline: BuyingTimeline | null): Urgency {
  if (intent === MessageIntent.NOT_INTERESTED) return Urgency.LOW;
  if (timeline === BuyingTimeline.IMMEDIATE || HIGH_URGENCY.test(lower)) return Urgency.HIGH;
  if (timeline === BuyingTimeline.WITHIN_3_MONTHS || /\bsoon\b/.test(lower)) return Urgency.MEDIUM;
  return Urgency.LOW;
}

// ---------------------------------------------------------------------------
// Timeline

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  "a couple of": 2, "a couple": 2, "couple of": 2, couple: 2, "a few": 3, few: 3, several: 4, a: 1, an: 1,
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
};
// Longest first, so "a couple of" is not read as "a".
const NUMBER = `(?:\\d{1,3}|${Object.keys(NUMBER_WORDS).sort((x, y) => y.length - x.length).join("|")})`;
const DURATION = new RegExp(`(?<![\\w.])(${NUMBER})(?: ?(?:-|to|or) ?(${NUMBER}))? ?-? ?(day|week|month|year)s?(?![a-z])`, "g");
const UNIT_DAYS: Readonly<Record<string, number>> = { day: 1, week: 7, month: 30, year: 365 };
// Durations that look back ("for 6 months", "2 weeks ago"), say how often ("twice a week") or describe a thing
// ("30 year mortgage") are not plans.
const NOT_A_PLAN_BEFORE = /\b(for|past|last|been|once|twice|times|per)( the)? $/;
const DESCRIBES_THING = /^ ?(ago|old|mortgage|loan|fixed|lease)\b/;

const IMMEDIATE = /\b(asap|a\.s\.a\.p|as soon as possible|right away|immediately|this month|end of (the|this) month|next week)\b/;
const RELATIVE_TIMELINES: ReadonlyArray<readonly [RegExp, BuyingTimeline]> = [
  [/\bnext month\b/, BuyingTimeline.WITHIN_3_MONTHS],
  [/\b(by|this|in the|before|over the|this coming) (spring|summer|fall|autumn|winter)\b|\bbefore school starts\b/, BuyingTimeline.WITHIN_3_MONTHS],
  [/\bhalf a year\b/, BuyingTimeline.WITHIN_6_MONTHS],
  [/\bnext (year|spring|summer|fall|autumn|winter)\b|\bend of (the )?year\b|\byear[- ]end\b|\bthis year\b/, BuyingTimeline.WITHIN_12_MONTHS],
];
const BROWSING = /\b(just (looking|browsing|curious|checking)|browsing|window shopping|no rush|not in a (rush|hurry)|no hurry|not ready( yet)?)\b/;

/** Reads when the lead means to move; a stated time outranks "just looking" said alongside it. */
function readTimeline(lower: string): BuyingTimeline | null {
  if (IMMEDIATE.test(lower)) return BuyingTimeline.IMMEDIATE;
  const fromDuration = readDuration(lower);
  if (fromDuration !== null) return fromDuration;
  const relative = RELATIVE_TIMELINES.find(([pattern]) => pattern.test(lower));
  if (relative) return relative[1];
  return BROWSING.test(lower) ? BuyingTimeline.JUST_BROWSING : null;
}

function readDuration(lower: string): BuyingTimeline | null {
  for (const match of lower.matchAll(DURATION)) {
    const start = match.index;
    const end = start + match[0].length;
    if (NOT_A_PLAN_BEFORE.test(lower.slice(Math.max(0, start - 12), start)) || DESCRIBES_THING.test(lower.slice(end))) continue;
    // A range ("3 to 6 months") is as long as its far end.
    const count = numberValue(match[2] ?? match[1] ?? "");
    const timeline = count === null ? null : timelineWithin(count * (UNIT_DAYS[match[3] ?? ""] ?? 0));
    if (timeline !== null) return timeline;
  }
  return null;
}

function timelineWithin(days: number): BuyingTimeline | null {
  if (days <= 0) return null;
  if (days <= 28) return BuyingTimeline.IMMEDIATE;
  if (days <= 92) return BuyingTimeline.WITHIN_3_MONTHS;
  if (days <= 184) return BuyingTimeline.WITHIN_6_MONTHS;
  if (days <= 366) return BuyingTimeline.WITHIN_12_MONTHS;
  return null;
}

function numberValue(word: string): number | null {
  if (/^\d+$/.test(word)) return Number(word);
  return NUMBER_WORDS[word] ?? null;
}

// ---------------------------------------------------------------------------
// Budget

const MIN_BUDGET = 50_000;
const MAX_BUDGET = 20_000_000;
const MONEY = /(?<![\w.])(\$ ?)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)? ?(k|thousand|grand|mm|mil|million|m)?(?![\w])/g;
const MULTIPLIERS: Readonly<Record<string, number>> = { k: 1e3, thousand: 1e3, grand: 1e3, m: 1e6, mm: 1e6, mil: 1e6, million: 1e6 };
// A bare number is a budget only after budget wording; otherwise zip codes and phone numbers would be read as prices.
const BUDGET_CONTEXT = /\b(budget|up to|under|below|max|maximum|around|about|approved for|no more than|less than|price range|between|spend|afford|at most)\b[^\d]{0,12}$/;
const NOT_MONEY_AFTER = /^ ?(sq|square|sf|ft|feet|acres?|miles?)\b/;

/** The highest plausible amount the message names, in whole dollars. */
function readBudgetMax(lower: string): number | null {
  const amounts = [...lower.matchAll(MONEY)].map((match) => moneyValue(lower, match)).filter((value): value is number => value !== null);
  if (/\bhalf a (million|mil)\b/.test(lower)) amounts.push(500_000);
  if (/(?<!half )\b(a|one) (million|mil)\b/.test(lower)) amounts.push(1_000_000);
  const plausible = amounts.filter((value) => value >= MIN_BUDGET && value <= MAX_BUDGET);
  return plausible.length > 0 ? Math.max(...plausible) : null;
}

function moneyValue(lower: string, match: RegExpExecArray): number | null {
  const [text, dollarSign, whole = "", fraction = "", suffix] = match;
  const start = match.index;
  if (NOT_MONEY_AFTER.test(lower.slice(start + text.length))) return null;
  const looksLikeMoney = dollarSign !== undefined || suffix !== undefined || whole.includes(",");
  if (!looksLikeMoney && !BUDGET_CONTEXT.test(lower.slice(Math.max(0, start - 40), start))) return null;
  const value = Number(whole.replace(/,/g, "") + fraction) * (suffix ? (MULTIPLIERS[suffix] ?? 1) : 1);
  return Number.isFinite(value) ? Math.round(value) : null;
}

// ---------------------------------------------------------------------------
// Bedrooms

const BEDROOM_COUNT = "(\\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)";
const BEDROOMS = new RegExp(`(?<![\\w.])${BEDROOM_COUNT}(?: ?(?:-|to|or) ?${BEDROOM_COUNT})? ?-? ?(?:bedrooms?|beds?|bdrms?|bds?|brs?)(?![a-z])`, "g");

/** The fewest bedrooms the lead asks for: a range ("3-4 bedrooms") counts from its low end. */
function readBedrooms(lower: string): number | null {
  for (const match of lower.matchAll(BEDROOMS)) {
    const count = numberValue(match[1] ?? "");
    if (count !== null && count >= 1 && count <= 10) return count;
  }
  return null;
}

// ---------------------------------------------------------------------------
// Areas

interface AreaPattern {
  canonical: string;
  pattern: RegExp;
}

interface AreaMention {
  canonical: string;
  start: number;
  end: number;
}

/** Compiles the known areas once; the finder returns canonical names in order of first mention. */
function createAreaFinder(knownAreas: readonly string[]): (text: string) => string[] {
  const patterns = distinctAreas(knownAreas).map(areaPattern);
  return (text) => {
    const mentions = patterns.flatMap(({ canonical, pattern }) =>
      [...text.matchAll(pattern)].map((match) => ({ canonical, start: match.index, end: match.index + match[0].length })),
    );
    return [...new Set(withoutOverlaps(mentions).map((mention) => mention.canonical))];
  };
}

function distinctAreas(knownAreas: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const area of knownAreas) {
    const canonical = area.trim().replace(/\s+/g, " ");
    if (canonical !== "" && !byKey.has(canonical.toLowerCase())) byKey.set(canonical.toLowerCase(), canonical);
  }
  return [...byKey.values()];
}

function areaPattern(canonical: string): AreaPattern {
  const escaped = canonical.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s+");
  return { canonical, pattern: new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "giu") };
}

/** Keeps the longest name at each place, so "West Austin" is not also read as "Austin". */
function withoutOverlaps(mentions: readonly AreaMention[]): AreaMention[] {
  const ordered = [...mentions].sort((x, y) => x.start - y.start || y.end - x.end);
  const kept: AreaMention[] = [];
  for (const mention of ordered) {
    const previous = kept[kept.length - 1];
    if (!previous || mention.start >= previous.end) kept.push(mention);
  }
  return kept;
}

// ---------------------------------------------------------------------------
// Summary

const INTENT_PHRASES: Readonly<Record<MessageIntent, string>> = {
  [MessageIntent.BUY]: "Wants to buy",
  [MessageIntent.SELL]: "Wants to sell",
  [MessageIntent.RENT]: "Wants to rent",
  [MessageIntent.INFO_REQUEST]: "Asks for information",
  [MessageIntent.NOT_INTERESTED]: "Not interested",
};
const TIMELINE_PHRASES: Readonly<Record<BuyingTimeline, string | null>> = {
  [BuyingTimeline.IMMEDIATE]: "wants to move right away",
  [BuyingTimeline.WITHIN_3_MONTHS]: "wants to move within 3 months",
  [BuyingTimeline.WITHIN_6_MONTHS]: "wants to move within 6 months",
  [BuyingTimeline.WITHIN_12_MONTHS]: "wants to move within a year",
  [BuyingTimeline.JUST_BROWSING]: "just browsing",
  [BuyingTimeline.UNKNOWN]: null,
};

/** One sentence a realtor can read at a glance, e.g. "Wants to buy: up to $450,000, 3 bedrooms, in Round Rock; wants to move within 3 months." */
function summarize(intent: IntentReading, facts: ExtractedFacts): string {
  if (!intent.stated) return "No clear request.";
  const details = [
    facts.budgetMax !== null ? `up to ${formatDollars(facts.budgetMax)}` : null,
    facts.bedrooms !== null ? `${facts.bedrooms} bedroom${facts.bedrooms === 1 ? "" : "s"}` : null,
    facts.areas.length > 0 ? `in ${joinNames(facts.areas)}` : null,
  ].filter((detail): detail is string => detail !== null);
  const timeline = facts.timeline === null ? null : TIMELINE_PHRASES[facts.timeline];
  return `${INTENT_PHRASES[intent.intent]}${details.length > 0 ? `: ${details.join(", ")}` : ""}${timeline ? `; ${timeline}` : ""}.`;
}

// Grouped by hand rather than with Intl so the summary does not depend on the ICU data the runtime ships.
function formatDollars(amount: number): string {
  return `$${String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`;
}

function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
