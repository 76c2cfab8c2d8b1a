import type { Kysely } from "kysely";
import { withTenant } from "../../../../lib/db/tenant";
import { toConnection, type Connection } from "../../../../lib/pagination/connection";
import { isTimestampSortValue, type KeysetPosition } from "../../../../lib/pagination/cursor";
import { pageInMemory } from "../../../../lib/pagination/in-memory";
import { queryKeyOf, toPageRequest, type ConnectionArguments } from "../../../../lib/pagination/page-request";
import { LeadStatus, type LeadSource } from "../../../leads/src/lead/lead.enums";
import type { AnalyticsDatabase } from "../database";
import { PIPELINE } from "../facts/pipeline";
import type { DateRange } from "./date-range";
import * as repo from "./report.repository";
import { VolumeInterval, type PipelineFunnel, type ScoreDistribution, type SourcePerformance, type VolumeBucket, type WebhookLatency } from "./report.types";

type Db = Kysely<AnalyticsDatabase>;

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** The funnel of the leads created in `range`. */
export async function pipelineFunnel(db: Db, tenantId: string, range: DateRange): Promise<PipelineFunnel> {
  const { total, reached, lost } = await withTenant(db, tenantId, (trx) => repo.funnelCounts(trx, tenantId, range));
  const stages = PIPELINE.map((status, stage) => ({
    status,
    reached: reached[stage] ?? 0,
    conversionFromPrevious: stage === 0 ? null : ratio(reached[stage] ?? 0, reached[stage - 1] ?? 0),
  }));
  return { totalLeads: total, stages: [...stages, { status: LeadStatus.CLOSED_LOST, reached: lost, conversionFromPrevious: null }] };
}

/** Per-source performance of the leads created in `range`, by source name. */
export async function sourcePerformance(db: Db, tenantId: string, range: DateRange): Promise<SourcePerformance[]> {
  const rows = await withTenant(db, tenantId, (trx) => repo.sourceStats(trx, tenantId, range));
  return rows.map((row) => ({
    // The leads subgraph writes only LeadSource values.
    source: row.source as LeadSource,
    leads: row.leads,
    qualifiedRate: row.qualified / row.leads,
    wonRate: row.won / row.leads,
    averageScore: row.average_score,
    medianHoursToFirstContact: row.median_hours,
  }));
}

/** Ten score buckets of the leads created in `range`. */
export async function scoreDistribution(db: Db, tenantId: string, range: DateRange): Promise<ScoreDistribution> {
  const { buckets: counts, unscored } = await withTenant(db, tenantId, (trx) => repo.scoreCounts(trx, tenantId, range));
  const buckets = Array.from({ length: 10 }, (_, i) => ({ min: i * 10, max: i === 9 ? 100 : i * 10 + 9, total: 0, hot: 0, warm: 0, cold: 0 }));
  for (const { bucket, tier, leads } of counts) {
    const target = buckets[bucket]!;
    target.total += leads;
    if (tier === "HOT") target.hot += leads;
    else if (tier === "WARM") target.warm += leads;
    else target.cold += leads;
  }
  return { buckets, unscored };
}

const UNIT: Record<VolumeInterval, repo.TruncUnit> = { [VolumeInterval.HOUR]: "hour", [VolumeInterval.DAY]: "day", [VolumeInterval.WEEK]: "week" };
const STEP_MS: Record<VolumeInterval, number> = { [VolumeInterval.HOUR]: 3_600_000, [VolumeInterval.DAY]: 86_400_000, [VolumeInterval.WEEK]: 7 * 86_400_000 };

/** The UTC start of the bucket holding `time`: hours, days, or weeks starting on Monday. */
function bucketStart(time: Date, interval: VolumeInterval): number {
  const day = Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate());
  if (interval === VolumeInterval.HOUR) return day + time.getUTCHours() * 3_600_000;
  if (interval === VolumeInterval.DAY) return day;
  return day - ((time.getUTCDay() + 6) % 7) * 86_400_000;
}

/**
 * Leads created per bucket over `range`, every bucket included (empty ones as 0), oldest
 * first, as a connection whose cursors are bucket starts. The first and last buckets may
 * be cut by the range; they count only what lies inside it.
 */
export async function leadVolume(db: Db, tenantId: string, interval: VolumeInterval, range: DateRange, args: ConnectionArguments): Promise<Connection<VolumeBucket>> {
  const request = toPageRequest(args, queryKeyOf("leadVolume", { interval, start: range.start, end: range.end }), isTimestampSortValue);
  const counts = await withTenant(db, tenantId, (trx) => repo.volumeCounts(trx, tenantId, range, UNIT[interval]));
  const buckets: VolumeBucket[] = [];
  for (let start = bucketStart(range.start, interval); start < range.end.getTime(); start += STEP_MS[interval]) {
    buckets.push({ start: new Date(start), end: new Date(start + STEP_MS[interval]), leads: counts.get(start) ?? 0 });
  }
  const compare = (position: KeysetPosition, bucket: VolumeBucket) => Date.parse(position.value) - bucket.start.getTime();
  const page = pageInMemory(buckets, request, compare);
  return toConnection(request, page, (bucket) => ({ value: bucket.start.toISOString(), id: BUCKET_CURSOR_ID }));
}

// Buckets have no ids of their own: their start orders them, and the cursor's id slot holds a constant.
const BUCKET_CURSOR_ID = "00000000-0000-7000-8000-000000000000";

/** Webhook processing latency and failures in `range`. */
export async function webhookLatency(db: Db, tenantId: string, range: DateRange): Promise<WebhookLatency> {
  const row = await withTenant(db, tenantId, (trx) => repo.webhookStats(trx, tenantId, range));
  return { processed: row.processed, p50Ms: row.p50, p95Ms: row.p95, p99Ms: row.p99, errorRate: ratio(row.failed, row.processed) };
}
