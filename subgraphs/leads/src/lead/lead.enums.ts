import { registerEnumType } from "type-graphql";

/** Where a lead first came from. */
export enum LeadSource {
  WEBSITE = "WEBSITE",
  ZILLOW = "ZILLOW",
  REALTOR_COM = "REALTOR_COM",
  FACEBOOK = "FACEBOOK",
  GOOGLE_ADS = "GOOGLE_ADS",
  REFERRAL = "REFERRAL",
  OPEN_HOUSE = "OPEN_HOUSE",
  SIGN_CALL = "SIGN_CALL",
  GHL_IMPORT = "GHL_IMPORT",
  OTHER = "OTHER",
}

/** Pipeline position of a lead. Legal moves are in `lead.status.ts`. */
export enum LeadStatus {
  NEW = "NEW",
  CONTACTED = "CONTACTED",
  QUALIFIED = "QUALIFIED",
  APPOINTMENT_SET = "APPOINTMENT_SET",
  UNDER_CONTRACT = "UNDER_CONTRACT",
  CLOSED_WON = "CLOSED_WON",
  CLOSED_LOST = "CLOSED_LOST",
}

/** Type guard for a {@link LeadStatus} name (as stored, or as an event carries it). */
export function isLeadStatus(value: unknown): value is LeadStatus {
  return Object.values(LeadStatus).some((status) => status === value);
}

/** How soon the lead intends to buy. */
export enum BuyingTimeline {
  IMMEDIATE = "IMMEDIATE",
  WITHIN_3_MONTHS = "WITHIN_3_MONTHS",
  WITHIN_6_MONTHS = "WITHIN_6_MONTHS",
  WITHIN_12_MONTHS = "WITHIN_12_MONTHS",
  JUST_BROWSING = "JUST_BROWSING",
  UNKNOWN = "UNKNOWN",
}

/** How far the lead's financing has got. */
export enum FinancingStatus {
  CASH = "CASH",
  PRE_APPROVED = "PRE_APPROVED",
  PRE_QUALIFIED = "PRE_QUALIFIED",
  NOT_STARTED = "NOT_STARTED",
  UNKNOWN = "UNKNOWN",
}

/** Kinds of property a lead is looking for. */
export enum PropertyType {
  SINGLE_FAMILY = "SINGLE_FAMILY",
  CONDO = "CONDO",
  TOWNHOUSE = "TOWNHOUSE",
  MULTI_FAMILY = "MULTI_FAMILY",
  LAND = "LAND",
  MANUFACTURED = "MANUFACTURED",
}

registerEnumType(LeadSource, { name: "LeadSource", description: "Where a lead first came from." });
registerEnumType(LeadStatus, { name: "LeadStatus", description: "Pipeline position of a lead." });
registerEnumType(BuyingTimeline, { name: "BuyingTimeline", description: "How soon the lead intends to buy." });
registerEnumType(FinancingStatus, { name: "FinancingStatus", description: "How far the lead's financing has got." });
registerEnumType(PropertyType, { name: "PropertyType", description: "Kinds of property a lead is looking for." });
