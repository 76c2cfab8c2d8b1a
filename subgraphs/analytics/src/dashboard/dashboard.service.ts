import type { Kysely } from "kysely";
import { withTenant } from "../../../../lib/db/tenant";
import type { AnalyticsDatabase } from "../database";
import { pipelineFunnel } from "../report/report.service";
import { dashboardCounts } from "./dashboard.repository";
import type { DashboardSnapshot } from "./dashboard.type";

/** How far back the dashboard's funnel looks. */
const FUNNEL_WINDOW_MS = 30 * 86_400_000;

/** A tenant's dashboard as of `now`, from analytics' read models. */
export async function dashboardSnapshot(db: Kysely<AnalyticsDatabase>, tenantId: string, now: Date = new Date()): Promise<DashboardSnapshot> {
  const todayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  // The funnel's range is half-open: a millisecond past `now` keeps a lead created at `now` in it.
  const [funnel, counts] = await Promise.all([
    pipelineFunnel(db, tenantId, { start: new Date(now.getTime() - FUNNEL_WINDOW_MS), end: new Date(now.getTime() + 1) }),
    withTenant(db, tenantId, (trx) => dashboardCounts(trx, tenantId, todayStart)),
  ]);
  return {
    at: now,
    funnel,
    counts: { leads: counts.leads, createdToday: counts.created_today, hot: counts.hot, warm: counts.warm, cold: counts.cold, unscored: counts.unscored },
  };
}
