import { sql, type Kysely } from "kysely";
import { uuidv7 } from "../../../lib/ids";
import { withTenant } from "../../../lib/db/tenant";
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
}

/**
 * Stores a delivery unless the tenant's inbox already holds its webhook id: "stored" when
 * this call added it, "duplicate" when a retry already had. Runs under the tenant's
 * row-level security; a PENDING row also notifies {@link INBOX_CHANNEL} in the same
 * transaction, so workers hear of it only once it is committed.
 */
export async function storeInboxEntry(db: Kysely<BridgeDatabase>, entry: NewInboxEntry): Promise<"stored" | "duplicate"> {
  return withTenant(db, entry.tenantId, async (trx) => {
    const inserted = await trx
      .insertInto("bridge.inbox")
      .values({
        id: uuidv7(),
        webhook_id: entry.webhookId,
        tenant_id: entry.tenantId,
        type: entry.type,
        contact_key: entry.contactKey,
        event_timestamp: entry.eventTimestamp,
        payload: sql<string>`${entry.payloadJson}::jsonb`,
        status: entry.status,
        last_error: null,
        processed_at: null,
      })
      .onConflict((conflict) => conflict.columns(["tenant_id", "webhook_id"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (inserted === undefined) return "duplicate";
    if (entry.status === "PENDING") await sql`select pg_notify(${INBOX_CHANNEL}, '')`.execute(trx);
    return "stored";
  });
}
