import type { Kysely } from "kysely";
import type { Identity } from "../../../../lib/auth/identity";
import { withTenant } from "../../../../lib/db/tenant";
import { userError, UserErrorCode, type UserError } from "../../../../lib/graphql/user-error";
import { uuidv7 } from "../../../../lib/ids";
import type { BillingDatabase } from "../database";
import { DAY_MS, isoDay, periodContaining, startOfUtcDay } from "../period/billing-period";
import { PLANS, type PlanCode } from "../plan/plan.catalog";
import { usageInPeriod } from "../usage/usage.repository";
import { METER_LABELS, USAGE_METERS, type UsageMeter } from "../usage/usage-meter";
import { AccountStatus, PlanChangeKind } from "./account.enums";
import type { ChangePlanInput, DeactivateAccountInput, ProvisionAccountInput } from "./account.inputs";
import { storedPlan, toAccount, toPlanChange } from "./account.mapper";
import type { ChangePlanPayload, DeactivateAccountPayload, ProvisionAccountPayload } from "./account.payloads";
import { findAccount, findAccountForUpdate, insertAccount, insertPlanChange, updateAccount } from "./account.repository";
import type { Account } from "./account.type";

type Db = Kysely<BillingDatabase>;

const MAX_NAME = 200;
const MAX_REASON = 500;
const MAX_TRIAL_DAYS = 90;

/** The caller's account as it stands now, or null when the tenant has none. */
export async function findTenantAccount(db: Db, tenantId: string, now: Date = new Date()): Promise<Account | null> {
  const row = await withTenant(db, tenantId, (trx) => findAccount(trx, tenantId));
  return row ? toAccount(row, now) : null;
}

function validateProvision(input: ProvisionAccountInput): UserError[] {
  const errors: UserError[] = [];
  const name = input.name.trim();
  if (name.length === 0 || name.length > MAX_NAME) errors.push(userError(UserErrorCode.INVALID_INPUT, `name must be 1 to ${MAX_NAME} characters`, "name"));
  if (!Number.isInteger(input.trialDays) || input.trialDays < 0 || input.trialDays > MAX_TRIAL_DAYS) {
    errors.push(userError(UserErrorCode.INVALID_INPUT, `trialDays must be a whole number from 0 to ${MAX_TRIAL_DAYS}`, "trialDays"));
  }
  return errors;
}

/**
 * Opens the caller's tenant's account (a GHL INSTALL). Provisioning a tenant whose account
 * is open changes nothing; a cancelled account is reactivated on the given plan, billed
 * from today, without a second trial.
 */
export async function provisionAccount(db: Db, identity: Identity, input: ProvisionAccountInput, now: Date = new Date()): Promise<ProvisionAccountPayload> {
  const errors = validateProvision(input);
  if (errors.length > 0) return { account: null, created: false, userErrors: errors };
  const tenantId = identity.tenant;
  return withTenant(db, tenantId, async (trx) => {
    const existing = await findAccountForUpdate(trx, tenantId);
    if (existing && existing.status !== AccountStatus.CANCELED) return { account: toAccount(existing, now), created: false, userErrors: [] };
    const change = { id: uuidv7(), tenant_id: tenantId, plan: input.plan, effective_at: startOfUtcDay(now), changed_at: now, changed_by: identity.sub, note: null };
    if (existing) {
      const row = await updateAccount(trx, tenantId, { name: input.name.trim(), plan: input.plan, status: AccountStatus.ACTIVE, canceled_at: null, updated_at: now });
      await insertPlanChange(trx, { ...change, kind: PlanChangeKind.REACTIVATED, previous_plan: null });
      return { account: toAccount(row, now), created: true, userErrors: [] };
    }
    const trialEndsAt = input.trialDays > 0 ? new Date(now.getTime() + input.trialDays * DAY_MS) : null;
    const row = await insertAccount(trx, {
      tenant_id: tenantId,
      name: input.name.trim(),
      plan: input.plan,
      status: trialEndsAt ? AccountStatus.TRIALING : AccountStatus.ACTIVE,
      trial_ends_at: trialEndsAt,
      created_at: now,
      canceled_at: null,
      updated_at: now,
    });
    if (!row) {
      // A concurrent provisioning won the insert; the row is committed and visible now.
      const winner = await findAccount(trx, tenantId);
      return { account: winner ? toAccount(winner, now) : null, created: false, userErrors: [] };
    }
    await insertPlanChange(trx, { ...change, kind: PlanChangeKind.PROVISIONED, previous_plan: null });
    return { account: toAccount(row, now), created: true, userErrors: [] };
  });
}

/**
 * Closes the caller's tenant's account (a GHL UNINSTALL): billed through today, no plan
 * from tomorrow. Deactivating a closed account changes nothing.
 */
export async function deactivateAccount(db: Db, identity: Identity, input: DeactivateAccountInput, now: Date = new Date()): Promise<DeactivateAccountPayload> {
  const reason = input.reason?.trim() || null;
  if (reason !== null && reason.length > MAX_REASON) return { account: null, userErrors: [userError(UserErrorCode.INVALID_INPUT, `reason must be at most ${MAX_REASON} characters`, "reason")] };
  const tenantId = identity.tenant;
  return withTenant(db, tenantId, async (trx) => {
    const existing = await findAccountForUpdate(trx, tenantId);
    if (!existing) return { account: null, userErrors: [userError(UserErrorCode.NOT_FOUND, `tenant ${tenantId} has no billing account`)] };
    if (existing.status === AccountStatus.CANCELED) return { account: toAccount(existing, now), userErrors: [] };
    const row = await updateAccount(trx, tenantId, { status: AccountStatus.CANCELED, canceled_at: now, updated_at: now });
    await insertPlanChange(trx, {
      id: uuidv7(),
      tenant_id: tenantId,
      kind: PlanChangeKind.CANCELED,
      plan: null,
      previous_plan: existing.plan,
      effective_at: new Date(startOfUtcDay(now).getTime() + DAY_MS),
      changed_at: now,
      changed_by: identity.sub,
      note: reason,
    });
    return { account: toAccount(row, now), userErrors: [] };
  });
}

function usageAboveAllowance(plan: PlanCode, usage: ReadonlyMap<UsageMeter, number>, periodEnd: Date): UserError[] {
  const spec = PLANS[plan];
  return USAGE_METERS.flatMap((meter) => {
    const used = usage.get(meter) ?? 0;
    const { included } = spec.allowances[meter];
    if (used <= included) return [];
    return [
      userError(
        UserErrorCode.USAGE_EXCEEDS_PLAN,
        `cannot move to ${spec.name}: this period has already used ${used} of ${METER_LABELS[meter].toLowerCase()} and ${spec.name} includes ${included}; change after the period ends on ${isoDay(periodEnd)}`,
        "plan",
      ),
    ];
  });
}

/**
 * Moves the caller's account to another plan from today: the period's fee is prorated to
 * the day and the change is recorded. A move that this period's usage already exceeds
 * (a downgrade below usage) is refused with the reason.
 */
export async function changePlan(db: Db, identity: Identity, input: ChangePlanInput, now: Date = new Date()): Promise<ChangePlanPayload> {
  const tenantId = identity.tenant;
  return withTenant(db, tenantId, async (trx) => {
    const existing = await findAccountForUpdate(trx, tenantId);
    if (!existing) return { account: null, change: null, userErrors: [userError(UserErrorCode.NOT_FOUND, `tenant ${tenantId} has no billing account`)] };
    if (existing.status === AccountStatus.CANCELED) {
      return { account: toAccount(existing, now), change: null, userErrors: [userError(UserErrorCode.ILLEGAL_TRANSITION, "the account is canceled; installing the app again reactivates it", "plan")] };
    }
    const current = storedPlan(existing.plan);
    if (current === input.plan) return { account: toAccount(existing, now), change: null, userErrors: [] };
    const period = periodContaining(now);
    const refused = usageAboveAllowance(input.plan, await usageInPeriod(trx, tenantId, period.start), period.end);
    if (refused.length > 0) return { account: toAccount(existing, now), change: null, userErrors: refused };
    const row = await updateAccount(trx, tenantId, { plan: input.plan, updated_at: now });
    const change = await insertPlanChange(trx, {
      id: uuidv7(),
      tenant_id: tenantId,
      kind: PlanChangeKind.CHANGED,
      plan: input.plan,
      previous_plan: current,
      effective_at: startOfUtcDay(now),
      changed_at: now,
      changed_by: identity.sub,
      note: null,
    });
    return { account: toAccount(row, now), change: toPlanChange(change), userErrors: [] };
  });
}
