import type { BuyingTimeline, FinancingStatus, LeadStatus, PropertyType } from "../../../leads/src/lead/lead.enums";
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

/** What the lead is looking for: its own fields first, facts from its messages where those are empty. */
export interface SearchProfile {
  budgetMin: number | null;
  budgetMax: number | null;
  bedroomsMin: number | null;
  areas: string[];
  propertyTypes: PropertyType[];
  timeline: BuyingTimeline;
}

/** The lead's search, with gaps filled from what its messages said. */
export function searchProfile(features: LeadFeatures): SearchProfile {
  const { extracted } = features;
  return {
    budgetMin: features.budgetMin,
    budgetMax: features.budgetMax ?? extracted.budgetMax,
    bedroomsMin: features.bedroomsMin ?? extracted.bedrooms,
    areas: features.preferredAreas.length > 0 ? features.preferredAreas : extracted.areas,
    propertyTypes: features.propertyTypes,
    timeline: features.timeline === "UNKNOWN" && extracted.timeline !== null ? extracted.timeline : features.timeline,
  };
}
