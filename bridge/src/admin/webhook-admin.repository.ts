import { sql, type Kysely } from "kysely";
import type { BridgeDatabase, InboxStatus } from "../database";
import { INBOX_CHANNEL } from "../intake/inbox.repository";

/** An inbox row as operators see it: no payload, which holds a contact's personal data. */
export interface InboxSummary {
  id: string;
  webhookId: string;
  type: string;
  contactKey: string | null;
  status: InboxStatus;
  attempts: number;
  lastError: string | null;
  receivedAt: Date;
  processedAt: Date | null;
}

/** A tenant's rows of one status, newest first. Call in the tenant's transaction. */
export async function listInboxRows(db: Kysely<BridgeDatabase>, tenantId: string, status: InboxStatus, limit: number): Promise<InboxSummary[]> {
  const rows = await db
    .selectFrom("bridge.inbox")
    .select(["id", "webhook_id", "type", "contact_key", "status", "attempts", "last_error", "received_at", "processed_at"])
    .where("tenant_id", "=", tenantId)
    .where("status", "=", status)
    .orderBy("received_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    webhookId: row.webhook_id,
    type: row.type,
    contactKey: row.contact_key,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    receivedAt: row.received_at,
    processedAt: row.processed_at,
  }));
}

/**
 * Sends a DEAD row round again from a clean slate; false when the tenant has no such dead
 * row. Call in the tenant's transaction: the notification wakes the workers on commit.
 */
export async function replayDeadRow(db: Kysely<BridgeDatabase>, tenantId: string, id: string): Promise<boolean> {
  const result = await db
    .updateTable("bridge.inbox")
    .set({ status: "PENDING", attempts: 0, next_attempt_at: sql<Date>`now()`, last_error: null, processed_at: null })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .where("status", "=", "DEAD")
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await sql`select pg_notify(${INBOX_CHANNEL}, '')`.execute(db);
  return true;
}
