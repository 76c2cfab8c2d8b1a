import type { AccountRow, PlanChangeRow } from "../database";
import { isPlanCode, PLANS, type PlanCode } from "../plan/plan.catalog";
import { toPlan } from "../plan/plan.type";
import { AccountStatus, isPlanChangeKind } from "./account.enums";
import type { Account, AccountLimits, PlanChange } from "./account.type";

/** A stored plan code; anything else is a corrupt row, not a client's fault. */
export function storedPlan(value: string): PlanCode {
  if (!isPlanCode(value)) throw new Error(`billing: unknown stored plan ${JSON.stringify(value)}`);
  return value;
}

/** The status an account has at `now`: a trial that has ended reads as ACTIVE. */
export function effectiveStatus(row: AccountRow, now: Date): AccountStatus {
  if (row.status === AccountStatus.TRIALING) return row.trial_ends_at !== null && row.trial_ends_at.getTime() <= now.getTime() ? AccountStatus.ACTIVE : AccountStatus.TRIALING;
  if (row.status === AccountStatus.ACTIVE || row.status === AccountStatus.CANCELED) return row.status;
  throw new Error(`billing: unknown stored account status ${JSON.stringify(row.status)}`);
}

/** Maps an account row as it stands at `now`. */
export function toAccount(row: AccountRow, now: Date): Account {
  return {
    tenantId: row.tenant_id,
    name: row.name,
    plan: toPlan(PLANS[storedPlan(row.plan)]),
    status: effectiveStatus(row, now),
    trialEndsAt: row.trial_ends_at,
    createdAt: row.created_at,
    canceledAt: row.canceled_at,
  };
}

/** What the account's plan entitles the team to. */
export function limitsOf(plan: PlanCode): AccountLimits {
  const spec = PLANS[plan];
  return {
    apiRequestsPerMinute: spec.apiRequestsPerMinute,
    seats: spec.seats,
    includedLeads: spec.allowances.LEADS_CREATED.included,
    includedAiScorings: spec.allowances.LEADS_SCORED.included,
  };
}

/** Maps a plan-change row. */
export function toPlanChange(row: PlanChangeRow): PlanChange {
  if (!isPlanChangeKind(row.kind)) throw new Error(`billing: unknown stored plan change ${JSON.stringify(row.kind)}`);
  return {
    id: row.id,
    kind: row.kind,
    plan: row.plan === null ? null : storedPlan(row.plan),
    previousPlan: row.previous_plan === null ? null : storedPlan(row.previous_plan),
    effectiveAt: row.effective_at,
    changedAt: row.changed_at,
    changedBy: row.changed_by,
    note: row.note,
  };
}
