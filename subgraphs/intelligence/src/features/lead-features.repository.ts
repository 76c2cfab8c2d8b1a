import type { Kysely } from "kysely";
import type { BuyingTimeline, FinancingStatus, LeadStatus, PropertyType } from "../../../leads/src/lead/lead.enums";
import type { IntelligenceDatabase, LeadFeaturesRow } from "../database";
import type { MessageIntent, Urgency } from "../insight/insight.enums";
import type { LeadFeatures } from "./lead-features";

type Db = Kysely<IntelligenceDatabase>;

/** Maps a stored row to features; the columns hold only values the model wrote. */
export function toLeadFeatures(row: LeadFeaturesRow): LeadFeatures {
  return {
    tenantId: row.tenant_id,
    leadId: row.lead_id,
    revision: row.revision,
    leadVersion: row.lead_version,
    status: row.status as LeadStatus,
    financing: row.financing as FinancingStatus,
    timeline: row.timeline as BuyingTimeline,
    budgetMin: row.budget_min,
    budgetMax: row.budget_max,
    bedroomsMin: row.bedrooms_min,
    preferredAreas: row.preferred_areas,
    propertyTypes: row.property_types as PropertyType[],
    doNotContact: row.do_not_contact,
    inboundMessages: row.inbound_messages,
    latestIntent: row.latest_intent as MessageIntent | null,
    latestUrgency: row.latest_urgency as Urgency | null,
    extracted: {
      budgetMax: row.extracted_budget_max,
      bedrooms: row.extracted_bedrooms,
      areas: row.extracted_areas,
      timeline: row.extracted_timeline as BuyingTimeline | null,
    },
  };
}

/**
 * The features of the given leads of one tenant (missing leads are absent from the result).
 * `forUpdate` locks the rows until the transaction ends: writers read-modify-write them.
 */
export async function findFeatures(db: Db, tenantId: string, leadIds: readonly string[], options: { forUpdate?: boolean } = {}): Promise<LeadFeatures[]> {
  if (leadIds.length === 0) return [];
  let query = db.selectFrom("intelligence.lead_features").selectAll().where("tenant_id", "=", tenantId).where("lead_id", "in", leadIds);
  if (options.forUpdate) query = query.forUpdate();
  return (await query.execute()).map(toLeadFeatures);
}

/** Writes many leads' features of one tenant in one statement. */
export async function saveFeatures(db: Db, features: readonly LeadFeatures[]): Promise<void> {
  if (features.length === 0) return;
  const rows = features.map((f) => ({
    tenant_id: f.tenantId,
    lead_id: f.leadId,
    revision: f.revision,
    lead_version: f.leadVersion,
    status: f.status,
    financing: f.financing,
    timeline: f.timeline,
    budget_min: f.budgetMin,
    budget_max: f.budgetMax,
    bedrooms_min: f.bedroomsMin,
    preferred_areas: f.preferredAreas,
    property_types: f.propertyTypes,
    do_not_contact: f.doNotContact,
    inbound_messages: f.inboundMessages,
    latest_intent: f.latestIntent,
    latest_urgency: f.latestUrgency,
    extracted_budget_max: f.extracted.budgetMax,
    extracted_bedrooms: f.extracted.bedrooms,
    extracted_areas: f.extracted.areas,
    extracted_timeline: f.extracted.timeline,
    updated_at: new Date(),
  }));
  await db
    .insertInto("intelligence.lead_features")
    .values(rows)
    .onConflict((oc) =>
      oc.columns(["tenant_id", "lead_id"]).doUpdateSet((eb) => ({
        revision: eb.ref("excluded.revision"),
        lead_version: eb.ref("excluded.lead_version"),
        status: eb.ref("excluded.status"),
        financing: eb.ref("excluded.financing"),
        timeline: eb.ref("excluded.timeline"),
        budget_min: eb.ref("excluded.budget_min"),
        budget_max: eb.ref("excluded.budget_max"),
        bedrooms_min: eb.ref("excluded.bedrooms_min"),
        preferred_areas: eb.ref("excluded.preferred_areas"),
        property_types: eb.ref("excluded.property_types"),
        do_not_contact: eb.ref("excluded.do_not_contact"),
        inbound_messages: eb.ref("excluded.inbound_messages"),
        latest_intent: eb.ref("excluded.latest_intent"),
        latest_urgency: eb.ref("excluded.latest_urgency"),
        extracted_budget_max: eb.ref("excluded.extracted_budget_max"),
        extracted_bedrooms: eb.ref("excluded.extracted_bedrooms"),
        extracted_areas: eb.ref("excluded.extracted_areas"),
        extracted_timeline: eb.ref("excluded.extracted_timeline"),
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .execute();
}

/** Forgets deleted leads: their features, scores and insights, in one statement. */
export async function deleteLeadIntelligence(db: Db, tenantId: string, leadIds: readonly string[]): Promise<void> {
  if (leadIds.length === 0) return;
  await db
    .with("insights", (qb) => qb.deleteFrom("intelligence.insights").where("tenant_id", "=", tenantId).where("lead_id", "in", leadIds))
    .with("scores", (qb) => qb.deleteFrom("intelligence.scores").where("tenant_id", "=", tenantId).where("lead_id", "in", leadIds))
    .deleteFrom("intelligence.lead_features")
    .where("tenant_id", "=", tenantId)
    .where("lead_id", "in", leadIds)
    .execute();
}
