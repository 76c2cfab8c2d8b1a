import type { Kysely } from "kysely";
import { listPagesByParent, type ChildTable, type WithSortValue } from "../../../../lib/db/pages-by-parent";
import type { PageResult } from "../../../../lib/pagination/connection";
import type { PageRequest } from "../../../../lib/pagination/page-request";
import type { AnalyticsDatabase, LeadActivityRow } from "../database";

// Newest first.
const ACTIVITY: ChildTable = { table: "analytics.lead_activity", parentColumn: "lead_id", order: { sortColumn: "c.occurred_at", idColumn: "c.id", descending: true } };

/** The same page of activity for many leads, in one statement. */
export function listActivityForLeads(
  db: Kysely<AnalyticsDatabase>,
  tenantId: string,
  leadIds: readonly string[],
  request: PageRequest,
): Promise<Map<string, PageResult<WithSortValue<LeadActivityRow>>>> {
  return listPagesByParent<LeadActivityRow, AnalyticsDatabase>(db, ACTIVITY, tenantId, leadIds, request);
}
