import { sql, type Kysely } from "kysely";
import { uuidv7 } from "../../../lib/ids";
import type { BridgeDatabase } from "../database";

/** The channel notified, on commit, when a PENDING row lands in the inbox: workers wake on it. */
export const INBOX_CHANNEL = "bridge_inbox";

/** One accepted delivery, as intake stores it. */
export interface NewInboxEntry {
  webhookId: string;
  tenantId: string;
  type: string;
  contactKey: string | null;
  eventTimestamp: Date;
  /** The body's JSON text exactly as received, so nothing is lost to a parse and re-serialise (large numbers). */
  payloadJson: string;
  /** PENDING for a supported event, IGNORED for a type the bridge does not handle. */
  status: "PENDING" | "IGNORED";
  /** Why an IGNORED row was ignored, when the type alone does not say. */
  note?: string;
}

/**
 * Stores a delivery unless the tenant's inbox already holds its webhook id: "stored" when
 * this call added it, "duplicate" when a retry already had. Runs under the tenant's
 * row-level security; a PENDING row also notifies {@link INBOX_CHANNEL} in the same
 * transaction, so workers hear of it only once it is committed.
 *
 * One statement, so one round trip (this is the path GHL waits on): the inserted row is
 * selected from the CTE that binds the tenant, which makes Postgres bind it before the row's
 * policy check, and the statement is its own transaction.
 */
export async function storeInboxEntry(db: Kysely<BridgeDatabase>, entry: NewInboxEntry): Promise<"stored" | "duplicate"> {
  const { rows } = await sql<{ stored: number }>`
    with tenant as (select set_config('app.tenant_id', ${entry.tenantId}, true) as tenant_id),
    inserted as (
      insert into bridge.inbox (id, webhook_id, tenant_id, type, contact_key, event_timestamp, payload, status, last_error, processed_at)
      select ${uuidv7()}, ${entry.webhookId}, tenant.tenant_id, ${entry.type}, ${entry.contactKey}, ${entry.eventTimestamp}, ${entry.payloadJson}::jsonb, ${entry.status}, ${entry.note ?? null}, null
      from tenant
      on conflict (tenant_id, webhook_id) do nothing
      returning status
    )
    select count(*)::int as stored
    from (select case when status = 'PENDING' then pg_notify(${INBOX_CHANNEL}, '') end from inserted) as notified`.execute(db);
  return rows[0]?.stored === 1 ? "stored" : "duplicate";
}
