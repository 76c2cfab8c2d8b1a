import { sql, type QueryExecutorProvider } from "kysely";
import { setTransactionTenant } from "../../../lib/db/tenant";

/** A pending write a sender holds: its lease ends at the claim's `due_at`. */
export interface ClaimedWrite {
  tenantId: string;
  leadId: string;
  /** The change the sender is writing; a later change gives the row a new version. */
  version: string;
  /** Transient failures so far. */
  attempts: number;
}

/**
 * How a held write ended (see `bridge.settle_ghl_write`):
 * - `written`: done, or never possible; the row goes unless it changed meanwhile, when it
 *   is due again after `delayMs` (the debounce);
 * - `retry`: a transient failure; due again after `delayMs`, one attempt more;
 * - `postpone`: the location is out of budget; due again after `delayMs`, no attempt spent.
 */
export type WriteSettlement =
  | { result: "written"; delayMs: number }
  | { result: "retry"; delayMs: number; reason: string }
  | { result: "postpone"; delayMs: number };

/**
 * Records that these leads of one tenant changed: each gets a pending write due after
 * `debounceMs`, or, when one is pending already, a new version with its due time kept (the
 * debounce runs from the first change, so a lead rescored without pause is still written).
 * Runs in the caller's transaction, which it binds to the tenant.
 */
export async function recordScoreChanges(trx: QueryExecutorProvider, tenantId: string, leadIds: readonly string[], debounceMs: number): Promise<void> {
  await setTransactionTenant(trx, tenantId);
  await sql`
    insert into bridge.ghl_writes (tenant_id, lead_id, due_at)
    select ${tenantId}, lead_id, now() + make_interval(secs => ${debounceMs} / 1000.0)
    from unnest(${[...new Set(leadIds)]}::text[]) as lead_id
    on conflict (tenant_id, lead_id) do update set version = excluded.version`.execute(trx);
}

/** Claims, per location, up to its limit of due writes, leased for `leaseMs`. */
export async function claimGhlWrites(db: QueryExecutorProvider, limits: ReadonlyMap<string, number>, leaseMs: number): Promise<ClaimedWrite[]> {
  const { rows } = await sql<{ tenant_id: string; lead_id: string; version: string; attempts: number }>`
    select * from bridge.claim_ghl_writes(${[...limits.keys()]}::text[], ${[...limits.values()]}::int[], ${Math.ceil(leaseMs)})`.execute(db);
  return rows.map((row) => ({ tenantId: row.tenant_id, leadId: row.lead_id, version: String(row.version), attempts: row.attempts }));
}

/** Settles a held write, in one statement that is its own transaction. */
export async function settleGhlWrite(db: QueryExecutorProvider, write: ClaimedWrite, settlement: WriteSettlement): Promise<void> {
  const note = settlement.result === "retry" ? settlement.reason : null;
  await sql`
    select bridge.settle_ghl_write(${write.tenantId}, ${write.leadId}, ${write.version}::bigint, ${settlement.result}, ${Math.ceil(settlement.delayMs)}, ${note})`.execute(db);
}
