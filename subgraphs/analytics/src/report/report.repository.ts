import { sql, type Kysely } from "kysely";
import type { AnalyticsDatabase } from "../database";
import { PIPELINE, QUALIFIED_STAGE, WON_STAGE } from "../facts/pipeline";
import type { DateRange } from "./date-range";

type Db = Kysely<AnalyticsDatabase>;

/** The leads a report covers: created in the range, not deleted. */
function cohort(db: Db, tenantId: string, range: DateRange) {
  return db
    .selectFrom("analytics.lead_facts")
    .where("tenant_id", "=", tenantId)
    .where("created_at", ">=", range.start)
    .where("created_at", "<", range.end)
    .where("deleted_at", "is", null);
}

/** Leads of the cohort that reached each pipeline stage (index = stage), and the lost ones. */
export function funnelCounts(db: Db, tenantId: string, range: DateRange): Promise<{ total: number; reached: number[]; lost: number }> {
  return cohort(db, tenantId, range)
    .select([
      sql<number>`count(*)::int`.as("total"),
      sql<number[]>`array[${sql.join(PIPELINE.map((_, stage) => sql`count(*) filter (where max_stage >= ${stage})::int`))}]`.as("reached"),
      sql<number>`count(*) filter (where lost)::int`.as("lost"),
    ])
    .executeTakeFirstOrThrow();
}

/** Per source: leads, qualified and won counts, mean score, median hours to first contact. */
export async function sourceStats(db: Db, tenantId: string, range: DateRange) {
  return cohort(db, tenantId, range)
    .select([
      "source",
      sql<number>`count(*)::int`.as("leads"),
      sql<number>`count(*) filter (where max_stage >= ${QUALIFIED_STAGE})::int`.as("qualified"),
      sql<number>`count(*) filter (where max_stage >= ${WON_STAGE})::int`.as("won"),
      sql<number | null>`avg(score)::float8`.as("average_score"),
      sql<number | null>`(percentile_cont(0.5) within group (order by extract(epoch from first_contact_at - created_at) / 3600))::float8`.as("median_hours"),
    ])
    .groupBy("source")
    .orderBy("source")
    .execute();
}

/** Scored leads per score bucket (0-9 ... 90-100) and tier, and the unscored count. */
export async function scoreCounts(db: Db, tenantId: string, range: DateRange) {
  const [buckets, unscored] = await Promise.all([
    cohort(db, tenantId, range)
      .where("score", "is not", null)
      .select([sql<number>`least(score / 10, 9)::int`.as("bucket"), "tier", sql<number>`count(*)::int`.as("leads")])
      .groupBy(["bucket", "tier"])
      .execute(),
    cohort(db, tenantId, range).where("score", "is", null).select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow(),
  ]);
  return { buckets, unscored: unscored.n };
}

/** Postgres' `date_trunc` unit of each interval. */
export type TruncUnit = "hour" | "day" | "week";

/** Leads created per non-empty bucket (bucket start, UTC). */
export async function volumeCounts(db: Db, tenantId: string, range: DateRange, unit: TruncUnit): Promise<Map<number, number>> {
  const rows = await cohort(db, tenantId, range)
    .select([sql<Date>`date_trunc(${unit}, created_at at time zone 'UTC') at time zone 'UTC'`.as("bucket"), sql<number>`count(*)::int`.as("leads")])
    .groupBy("bucket")
    .execute();
  return new Map(rows.map((row) => [row.bucket.getTime(), row.leads]));
}

/** Percentiles and failures of the webhooks processed in a range. */
export async function webhookStats(db: Db, tenantId: string, range: DateRange) {
  return db
    .selectFrom("analytics.webhook_events")
    .where("tenant_id", "=", tenantId)
    .where("occurred_at", ">=", range.start)
    .where("occurred_at", "<", range.end)
    .select([
      sql<number>`count(*)::int`.as("processed"),
      sql<number | null>`(percentile_cont(0.5) within group (order by latency_ms))::float8`.as("p50"),
      sql<number | null>`(percentile_cont(0.95) within group (order by latency_ms))::float8`.as("p95"),
      sql<number | null>`(percentile_cont(0.99) within group (order by latency_ms))::float8`.as("p99"),
      sql<number>`count(*) filter (where outcome in ('FAILED', 'DEAD'))::int`.as("failed"),
    ])
    .executeTakeFirstOrThrow();
}
