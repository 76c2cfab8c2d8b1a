import type { Insertable, Kysely } from "kysely";
import { listPagesByParent, type ChildTable, type WithSortValue } from "../../../../lib/db/pages-by-parent";
import type { PageResult } from "../../../../lib/pagination/connection";
import type { PageRequest } from "../../../../lib/pagination/page-request";
import type { InsightRow, InsightTable, IntelligenceDatabase } from "../database";

type Db = Kysely<IntelligenceDatabase>;

/** An insight row with its keyset sort value. */
export type PagedInsightRow = WithSortValue<InsightRow>;

// Newest first.
const INSIGHTS: ChildTable = { table: "intelligence.insights", parentColumn: "lead_id", order: { sortColumn: "c.analyzed_at", idColumn: "c.id", descending: true } };

/** The same page of insights for many leads, in one statement. */
export function listInsightsForLeads(db: Db, tenantId: string, leadIds: readonly string[], request: PageRequest): Promise<Map<string, PageResult<PagedInsightRow>>> {
  return listPagesByParent<InsightRow, IntelligenceDatabase>(db, INSIGHTS, tenantId, leadIds, request);
}

/**
 * Inserts an insight; returns null when its message was already analyzed (the same log
 * event read twice), which makes ingestion idempotent.
 */
export async function insertInsight(db: Db, row: Insertable<InsightTable>): Promise<InsightRow | null> {
  const inserted = await db
    .insertInto("intelligence.insights")
    .values(row)
    .onConflict((oc) => oc.columns(["tenant_id", "message_id"]).where("message_id", "is not", null).doNothing())
    .returningAll()
    .executeTakeFirst();
  return inserted ?? null;
}
