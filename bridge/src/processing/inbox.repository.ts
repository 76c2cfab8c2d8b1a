import { sql, type Kysely, type QueryExecutorProvider } from "kysely";
import type { BridgeDatabase, InboxStatus, InboxTable } from "../database";

/** The inbox as processing sees it: the intake's table plus the lease the claims migration adds. */
export type ProcessingDatabase = Omit<BridgeDatabase, "bridge.inbox"> & {
  "bridge.inbox": InboxTable & { locked_until: Date | null };
};

type Db = Kysely<ProcessingDatabase>;

/** Widens the intake's view of the bridge tables with the processing columns. */
export function processingDb(db: Kysely<BridgeDatabase>): Db {
  return db.withTables<ProcessingDatabase>();
}

/** A row a worker holds: its lease is identified by `attempts`, bumped by every claim. */
export interface ClaimedRow {
  id: string;
  webhookId: string;
  tenantId: string;
  type: string;
  contactKey: string | null;
  payload: unknown;
  receivedAt: Date;
  attempts: number;
}

interface ClaimRecord {
  id: string;
  webhook_id: string;
  tenant_id: string;
  type: string;
  contact_key: string | null;
  payload: unknown;
  received_at: Date;
  attempts: number;
}

/**
 * Claims up to `limit` due rows of any tenant for `leaseMs`, honouring each contact's
 * order (see the claims migration), of tenants whose id starts with `tenantPrefix` when
 * given. Runs outside any tenant: the function is the owner's.
 */
export async function claimInbox(db: QueryExecutorProvider, limit: number, leaseMs: number, tenantPrefix: string | null = null): Promise<ClaimedRow[]> {
  const { rows } = await sql<ClaimRecord>`select * from bridge.claim_inbox(${limit}, ${Math.ceil(leaseMs)}, ${tenantPrefix})`.execute(db);
  return rows.map((row) => ({
    id: row.id,
    webhookId: row.webhook_id,
    tenantId: row.tenant_id,
    type: row.type,
    contactKey: row.contact_key,
    payload: row.payload,
    receivedAt: row.received_at,
    attempts: row.attempts,
  }));
}

/** Statuses that end a row's processing. */
export type FinalStatus = Extract<InboxStatus, "APPLIED" | "IGNORED" | "DEAD">;

/**
 * Marks a held row finished and appends its `WebhookProcessed` event (by `producer`), in
 * one statement that is its own transaction (`bridge.finish_inbox`). Returns the time from
 * receipt to now in milliseconds, or null when the lease was lost (another worker took the
 * row over after this one's expired) and nothing was written.
 */
export async function finishRow(db: QueryExecutorProvider, row: ClaimedRow, status: FinalStatus, note: string | null, producer: string): Promise<number | null> {
  const { rows } = await sql<{ latency_ms: number | null }>`
    select bridge.finish_inbox(${row.tenantId}, ${row.id}::uuid, ${row.attempts}, ${status}, ${note}, ${producer}) as latency_ms`.execute(db);
  const latency = rows[0]?.latency_ms;
  return latency === null || latency === undefined ? null : Number(latency);
}

/** Puts a held row back for another attempt at `nextAttemptAt`; false when the lease was lost. */
export async function scheduleRetry(trx: Db, row: ClaimedRow, nextAttemptAt: Date, error: string): Promise<boolean> {
  const result = await trx
    .updateTable("bridge.inbox")
    .set({ status: "RETRYING", last_error: error, next_attempt_at: nextAttemptAt, locked_until: null })
    .where("tenant_id", "=", row.tenantId)
    .where("id", "=", row.id)
    .where("status", "=", "PROCESSING")
    .where("attempts", "=", row.attempts)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Channel the intake notifies (on commit) when it stores a row. */
export { INBOX_CHANNEL } from "../intake/inbox.repository";
