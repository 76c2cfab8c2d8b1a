import { sql, type Kysely } from "kysely";
import type { AnalyticsDatabase } from "../database";

/** A tenant's live leads: in total, created since `todayStart`, by current tier, and unscored. */
export function dashboardCounts(db: Kysely<AnalyticsDatabase>, tenantId: string, todayStart: Date) {
  return db
    .selectFrom("analytics.lead_facts")
    .where("tenant_id", "=", tenantId)
    .where("deleted_at", "is", null)
    .select([
      sql<number>`count(*)::int`.as("leads"),
      sql<number>`count(*) filter (where created_at >= ${todayStart})::int`.as("created_today"),
      sql<number>`count(*) filter (where tier = 'HOT')::int`.as("hot"),
      sql<number>`count(*) filter (where tier = 'WARM')::int`.as("warm"),
      sql<number>`count(*) filter (where tier = 'COLD')::int`.as("cold"),
      sql<number>`count(*) filter (where score is null)::int`.as("unscored"),
    ])
    .executeTakeFirstOrThrow();
}
