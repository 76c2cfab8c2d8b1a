import { BuyingTimeline, type FinancingStatus, type LeadStatus, type PropertyType } from "../../../leads/src/lead/lead.enums";
import type { ExtractedFacts } from "../insight/analyzer/message-analyzer";
import type { MessageIntent, Urgency } from "../insight/insight.enums";

/**
 * Intelligence's own picture of a lead, built from the events log: what the lead said in
 * GHL and in the leads subgraph, plus what its messages revealed.
 */
export interface LeadFeatures {
  tenantId: string;
  leadId: string;
  /** Advances on every change that can move the score or the matches: the cache key. */
  revision: number;
  /** The lead's version in the leads subgraph, as last seen in the log. */
  leadVersion: number;
  status: LeadStatus;
  financing: FinancingStatus;
  timeline: BuyingTimeline;
  budgetMin: number | null;
  budgetMax: number | null;
  bedroomsMin: number | null;
  preferredAreas: string[];
  propertyTypes: PropertyType[];
  doNotContact: boolean;
  /** Inbound messages analyzed so far. */
  inboundMessages: number;
  latestIntent: MessageIntent | null;
  latestUrgency: Urgency | null;
  /** Facts the lead's messages stated, newest wins per fact. */
  extracted: ExtractedFacts;
}

/**
 * Everything the score and the matches depend on, as one string: two feature sets with the
 * same fingerprint score and match alike (identity and version fields are left out).
 */
export function featuresFingerprint(features: LeadFeatures): string {
  const { tenantId: _t, leadId: _l, revision: _r, leadVersion: _v, ...scored } = features;
  return JSON.stringify(scored);
}

/** What the lead is looking for: its own fields first, facts from its messages where those are empty. */
export interface SearchProfile {
  budgetMin: number | null;
  budgetMax: number | null;
  bedroomsMin: number | null;
  areas: string[];
  propertyTypes: PropertyType[];
  timeline: BuyingTimeline;
}

// Soonest first: a lead that said "as soon as possible" in a message is that soon, whatever
// its CRM field still says (and so moving that field sooner can never lower the score).
const TIMELINE_ORDER: readonly BuyingTimeline[] = [
  BuyingTimeline.IMMEDIATE,
  BuyingTimeline.WITHIN_3_MONTHS,
  BuyingTimeline.WITHIN_6_MONTHS,
  BuyingTimeline.WITHIN_12_MONTHS,
  BuyingTimeline.JUST_BROWSING,
  BuyingTimeline.UNKNOWN,
];

function sooner(a: BuyingTimeline, b: BuyingTimeline | null): BuyingTimeline {
  return b !== null && TIMELINE_ORDER.indexOf(b) < TIMELINE_ORDER.indexOf(a) ? b : a;
}

/** The lead's search, with gaps filled from what its messages said; the timeline is the sooner of the two. */
export function searchProfile(features: LeadFeatures): SearchProfile {
  const { extracted } = features;
  return {
    budgetMin: features.budgetMin,
    budgetMax: features.budgetMax ?? extracted.budgetMax,
    bedroomsMin: features.bedroomsMin ?? extracted.bedrooms,
    areas: features.preferredAreas.length > 0 ? features.preferredAreas : extracted.areas,
    propertyTypes: features.propertyTypes,
    timeline: sooner(features.timeline, extracted.timeline),
  };
}
