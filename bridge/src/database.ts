import type { ColumnType, Generated, Selectable } from "kysely";

/** Where an inbox row is in its life: intake writes PENDING or IGNORED, processing the rest. */
export type InboxStatus = "PENDING" | "IGNORED" | "PROCESSING" | "APPLIED" | "RETRYING" | "DEAD";

/** `bridge.inbox`: one row per accepted webhook delivery, unique per tenant and webhook id. */
export interface InboxTable {
  id: string;
  /** GHL's `webhookId`; for a workflow delivery without one, the SHA-256 of its raw body. */
  webhook_id: string;
  /** The GHL location the event belongs to. */
  tenant_id: string;
  /** The payload's `type` (`Workflow` for workflow deliveries). */
  type: string;
  /** The GHL contact the event concerns, when it names one: what orders events per contact. */
  contact_key: string | null;
  /** When GHL says the event happened (receipt time when a workflow delivery does not say). */
  event_timestamp: Date;
  /** The parsed body, as received. */
  payload: ColumnType<unknown, string, string>;
  received_at: Generated<Date>;
  status: InboxStatus;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_error: string | null;
  processed_at: Date | null;
}

/** An inbox row as read. */
export type InboxRow = Selectable<InboxTable>;

/** `bridge.ghl_writes`: a lead whose GHL contact is owed a score write-back (see its migration). */
export interface GhlWritesTable {
  tenant_id: string;
  lead_id: string;
  version: Generated<string>;
  due_at: Date;
  attempts: Generated<number>;
  last_error: string | null;
  first_changed_at: Generated<Date>;
}

/** The bridge's tables, as Kysely sees them. */
export interface BridgeDatabase {
  "bridge.inbox": InboxTable;
  "bridge.ghl_writes": GhlWritesTable;
}
