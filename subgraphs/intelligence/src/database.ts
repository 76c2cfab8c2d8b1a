import type { ColumnType, Selectable } from "kysely";

/** `intelligence.lead_features`: the read model of each lead, built from the events log. */
export interface LeadFeaturesTable {
  tenant_id: string;
  lead_id: string;
  revision: ColumnType<number, number | undefined, number>;
  lead_version: number;
  status: string;
  financing: string;
  timeline: string;
  budget_min: number | null;
  budget_max: number | null;
  bedrooms_min: number | null;
  preferred_areas: string[];
  property_types: string[];
  do_not_contact: boolean;
  inbound_messages: ColumnType<number, number | undefined, number>;
  latest_intent: string | null;
  latest_urgency: string | null;
  extracted_budget_max: number | null;
  extracted_bedrooms: number | null;
  extracted_areas: ColumnType<string[], string[] | undefined, string[]>;
  extracted_timeline: string | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** `intelligence.scores`: every score a lead was given, newest last. */
export interface ScoreTable {
  id: string;
  tenant_id: string;
  lead_id: string;
  value: number;
  tier: string;
  /** The explanation, as written by the model; validated on read. */
  factors: ColumnType<unknown, string, never>;
  model_version: string;
  revision: number;
  scored_at: ColumnType<Date, Date | undefined, never>;
}

/** `intelligence.properties`: the listings leads are matched against. */
export interface PropertyTable {
  id: string;
  tenant_id: string;
  mls_number: string;
  address: string;
  city: string;
  area: string;
  price: number;
  bedrooms: number;
  /** numeric(3,1): pg returns it as text. */
  bathrooms: ColumnType<string, number, number>;
  square_feet: number;
  property_type: string;
  status: string;
  listed_at: Date;
}

/** `intelligence.insights`: what each analyzed message said. */
export interface InsightTable {
  id: string;
  tenant_id: string;
  lead_id: string;
  message_id: string | null;
  channel: string;
  intent: string;
  sentiment: string;
  urgency: string;
  extracted_budget_max: number | null;
  extracted_bedrooms: number | null;
  extracted_areas: string[];
  extracted_timeline: string | null;
  summary: string;
  provider: string;
  fallback_reason: string | null;
  analyzed_at: ColumnType<Date, Date | undefined, never>;
}

/** The tables the intelligence subgraph owns, as Kysely sees them. */
export interface IntelligenceDatabase {
  "intelligence.lead_features": LeadFeaturesTable;
  "intelligence.scores": ScoreTable;
  "intelligence.properties": PropertyTable;
  "intelligence.insights": InsightTable;
}

/** A lead-features row as read. */
export type LeadFeaturesRow = Selectable<LeadFeaturesTable>;
/** A score row as read. */
export type ScoreRow = Selectable<ScoreTable>;
/** A property row as read. */
export type PropertyRow = Selectable<PropertyTable>;
/** An insight row as read. */
export type InsightRow = Selectable<InsightTable>;
