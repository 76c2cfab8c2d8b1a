import type { Selectable } from "kysely";

/** `analytics.lead_facts`: one row per lead, the unit every report aggregates. */
export interface LeadFactsTable {
  tenant_id: string;
  lead_id: string;
  source: string;
  status: string;
  created_at: Date;
  /** Furthest pipeline stage reached (see `pipeline.ts`). */
  max_stage: number;
  lost: boolean;
  first_contact_at: Date | null;
  score: number | null;
  tier: string | null;
  deleted_at: Date | null;
}

/** `analytics.lead_activity`: a lead's timeline, one row per log event. */
export interface LeadActivityTable {
  id: string;
  tenant_id: string;
  lead_id: string;
  event_id: number;
  kind: string;
  occurred_at: Date;
  from_status: string | null;
  to_status: string | null;
  score: number | null;
  tier: string | null;
  previous_tier: string | null;
  channel: string | null;
  author: string | null;
  changed_fields: string[] | null;
}

/** `analytics.webhook_events`: one row per processed GHL webhook. */
export interface WebhookEventTable {
  event_id: number;
  tenant_id: string;
  webhook_type: string;
  latency_ms: number;
  outcome: string;
  occurred_at: Date;
}

/** The tables the analytics subgraph owns, as Kysely sees them. */
export interface AnalyticsDatabase {
  "analytics.lead_facts": LeadFactsTable;
  "analytics.lead_activity": LeadActivityTable;
  "analytics.webhook_events": WebhookEventTable;
}

/** A lead-activity row as read. */
export type LeadActivityRow = Selectable<LeadActivityTable>;
