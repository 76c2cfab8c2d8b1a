import type { Kysely } from "kysely";
import { withTenant } from "../../../../lib/db/tenant";
import type { BillingDatabase } from "../database";
import { usd } from "../money/money";
import { periodContaining } from "../period/billing-period";
import { PLANS, type PlanCode } from "../plan/plan.catalog";
import { usageInPeriod } from "./usage.repository";
import { USAGE_METERS } from "./usage-meter";
import type { Usage } from "./usage.type";

/** The tenant's usage in the period containing `now`, against `plan`'s allowances. */
export async function currentUsage(db: Kysely<BillingDatabase>, tenantId: string, plan: PlanCode, now: Date = new Date()): Promise<Usage> {
  const period = periodContaining(now);
  const usage = await withTenant(db, tenantId, (trx) => usageInPeriod(trx, tenantId, period.start));
  const spec = PLANS[plan];
  return {
    period,
    meters: USAGE_METERS.map((meter) => {
      const used = usage.get(meter) ?? 0;
      const { included, overageUnitPriceCents } = spec.allowances[meter];
      const overage = Math.max(0, used - included);
      return { meter, used, included, overage, overageAmount: usd(overage * overageUnitPriceCents) };
    }),
  };
}
