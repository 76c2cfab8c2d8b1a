import type { EventPayload, StoredEvent } from "../../../../lib/events/event-types";
import type { BuyingTimeline, FinancingStatus, LeadStatus, PropertyType } from "../../../leads/src/lead/lead.enums";
import type { MessageAnalysis } from "../insight/analyzer/message-analyzer";
import { featuresFingerprint, type LeadFeatures } from "./lead-features";

type LeadSnapshot = EventPayload<"LeadCreated">["lead"];

/** Events that change intelligence's picture of a lead. */
export type FeatureEvent = Extract<StoredEvent, { type: "LeadCreated" | "LeadUpdated" | "LeadStatusChanged" | "LeadDeleted" }>;

/** The types of {@link FeatureEvent}. */
export const FEATURE_EVENT_TYPES: readonly FeatureEvent["type"][] = ["LeadCreated", "LeadUpdated", "LeadStatusChanged", "LeadDeleted"];

/** Whether an event feeds the lead features read model. */
export function isFeatureEvent(event: StoredEvent): event is FeatureEvent {
  return (FEATURE_EVENT_TYPES as readonly string[]).includes(event.type);
}

/** What applying an event does to a lead's features. */
export type FeatureChange = { kind: "unchanged" } | { kind: "deleted" } | { kind: "changed"; features: LeadFeatures };

const NO_FACTS = { budgetMax: null, bedrooms: null, areas: [], timeline: null };

function fromSnapshot(tenantId: string, leadId: string, lead: LeadSnapshot, current: LeadFeatures | null): LeadFeatures {
  // The event log's snapshot carries enum values as strings; the leads subgraph only writes valid ones.
  return {
    tenantId,
    leadId,
    revision: current?.revision ?? 0,
    leadVersion: lead.version,
    status: lead.status as LeadStatus,
    financing: lead.financing as FinancingStatus,
    timeline: lead.timeline as BuyingTimeline,
    budgetMin: lead.budgetMin,
    budgetMax: lead.budgetMax,
    bedroomsMin: lead.bedroomsMin,
    preferredAreas: lead.preferredAreas,
    propertyTypes: lead.propertyTypes as PropertyType[],
    doNotContact: lead.doNotContact,
    inboundMessages: current?.inboundMessages ?? 0,
    latestIntent: current?.latestIntent ?? null,
    latestUrgency: current?.latestUrgency ?? null,
    extracted: current?.extracted ?? NO_FACTS,
  };
}

/** `next` with its revision advanced when a scoring field differs from `current`. */
function revised(current: LeadFeatures | null, next: LeadFeatures): FeatureChange {
  // A change to anything the score or the matches depend on is a new revision.
  if (current && featuresFingerprint(current) === featuresFingerprint(next)) {
    return next.leadVersion === current.leadVersion ? { kind: "unchanged" } : { kind: "changed", features: { ...next, revision: current.revision } };
  }
  return { kind: "changed", features: { ...next, revision: (current?.revision ?? 0) + 1 } };
}

/**
 * Applies a lead event to the lead's current features. Events at or below the version
 * already applied change nothing, so a replayed log is harmless.
 */
export function applyFeatureEvent(current: LeadFeatures | null, event: FeatureEvent): FeatureChange {
  const { tenantId, aggregateId: leadId } = event;
  switch (event.type) {
    case "LeadCreated":
    case "LeadUpdated":
      if (current && current.leadVersion >= event.payload.lead.version) return { kind: "unchanged" };
      return revised(current, fromSnapshot(tenantId, leadId, event.payload.lead, current));
    case "LeadStatusChanged":
      // A status change for a lead never seen created cannot be scored: nothing to build on.
      if (!current || current.leadVersion >= event.payload.version) return { kind: "unchanged" };
      return revised(current, { ...current, status: event.payload.to as LeadStatus, leadVersion: event.payload.version });
    case "LeadDeleted":
      return current ? { kind: "deleted" } : { kind: "unchanged" };
  }
}

/** The features after the lead's newest analyzed inbound message: newest stated fact wins. */
export function applyAnalysis(current: LeadFeatures, analysis: MessageAnalysis): LeadFeatures {
  const { extracted } = analysis;
  return {
    ...current,
    revision: current.revision + 1,
    inboundMessages: current.inboundMessages + 1,
    latestIntent: analysis.intent,
    latestUrgency: analysis.urgency,
    extracted: {
      budgetMax: extracted.budgetMax ?? current.extracted.budgetMax,
      bedrooms: extracted.bedrooms ?? current.extracted.bedrooms,
      areas: extracted.areas.length > 0 ? extracted.areas : current.extracted.areas,
      timeline: extracted.timeline ?? current.extracted.timeline,
    },
  };
}
