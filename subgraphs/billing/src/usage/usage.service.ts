import type { Kysely } from "kysely";
import { withTenant } from "../../../../lib/db/tenant";
import { ErrorCode, fieldError } from "../../../../lib/errors";
import { findTenantAccount } from "../account/account.service";
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

/** The tenant's usage in the current period against its account's plan; `NOT_FOUND` before it has an account. */
export async function currentTenantUsage(db: Kysely<BillingDatabase>, tenantId: string, now: Date = new Date()): Promise<Usage> {
  const account = await findTenantAccount(db, tenantId, now);
  if (!account) throw fieldError(ErrorCode.NOT_FOUND, "the team has no billing account yet");
  return currentUsage(db, tenantId, account.plan.code, now);
}
