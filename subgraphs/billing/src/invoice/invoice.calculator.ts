import type { Currency } from "../money/money";
import { divideRoundingHalfUp, formatUsd } from "../money/money";
import { DAY_MS, isoDay, type BillingPeriod } from "../period/billing-period";
import { PLANS, type PlanCode } from "../plan/plan.catalog";
import { METER_LABELS, USAGE_METERS, type UsageMeter } from "../usage/usage-meter";
import { InvoiceLineKind } from "./invoice.enums";

/** One recorded plan change: from `effectiveAt` (a UTC midnight) the account is on `plan`, or on none. */
export interface PlanChangeFact {
  plan: PlanCode | null;
  effectiveAt: Date;
}

/** A run of consecutive days of a period on one plan, either in trial (free) or billed. */
export interface PlanSegment {
  plan: PlanCode;
  from: Date;
  /** Exclusive. */
  to: Date;
  days: number;
  trial: boolean;
}

/** An invoice line as computed, before it is stored. */
export interface InvoiceLineDraft {
  kind: InvoiceLineKind;
  description: string;
  meter: UsageMeter | null;
  quantity: number;
  unitPriceCents: number | null;
  amountCents: number;
}

/** An invoice as computed for one account and period. */
export interface InvoiceDraft {
  period: BillingPeriod;
  /** The plan at the end of the period (or at cancellation): its allowances price the overage. */
  plan: PlanCode;
  currency: Currency;
  lines: InvoiceLineDraft[];
  subtotalCents: number;
  totalCents: number;
}

/** What an invoice is computed from. */
export interface InvoiceInputs {
  period: BillingPeriod;
  /** Every change of the account, in the order they were recorded. */
  changes: readonly PlanChangeFact[];
  trialEndsAt: Date | null;
  usage: ReadonlyMap<UsageMeter, number>;
}

/**
 * The plan of each day of `period`, grouped into runs. A day is on the plan of the last
 * recorded change that took effect by the day's start, so the day of a change is billed at
 * the new plan, and of several changes on one day the last wins. Days that begin before the
 * trial ends are trial days.
 */
export function planSegments(period: BillingPeriod, changes: readonly PlanChangeFact[], trialEndsAt: Date | null): PlanSegment[] {
  const segments: PlanSegment[] = [];
  for (let dayStart = period.start.getTime(); dayStart < period.end.getTime(); dayStart += DAY_MS) {
    let plan: PlanCode | null = null;
    for (const change of changes) if (change.effectiveAt.getTime() <= dayStart) plan = change.plan;
    if (plan === null) continue;
    const trial = trialEndsAt !== null && dayStart < trialEndsAt.getTime();
    const last = segments[segments.length - 1];
    if (last && last.plan === plan && last.trial === trial && last.to.getTime() === dayStart) {
      last.to = new Date(dayStart + DAY_MS);
      last.days += 1;
    } else {
      segments.push({ plan, from: new Date(dayStart), to: new Date(dayStart + DAY_MS), days: 1, trial });
    }
  }
  return segments;
}

function feeLine(segment: PlanSegment, period: BillingPeriod): InvoiceLineDraft {
  const spec = PLANS[segment.plan];
  const span = `${isoDay(segment.from)} to ${isoDay(new Date(segment.to.getTime() - DAY_MS))}`;
  const amountCents = segment.trial ? 0 : divideRoundingHalfUp(spec.monthlyPriceCents * segment.days, period.days);
  return {
    kind: InvoiceLineKind.PLAN_FEE,
    description: segment.trial
      ? `${spec.name} plan, free trial, ${span} (${segment.days} of ${period.days} days)`
      : `${spec.name} plan, ${span} (${segment.days} of ${period.days} days of ${formatUsd(spec.monthlyPriceCents)})`,
    meter: null,
    quantity: segment.days,
    unitPriceCents: null,
    amountCents,
  };
}

function overageLines(plan: PlanCode, usage: ReadonlyMap<UsageMeter, number>): InvoiceLineDraft[] {
  const lines: InvoiceLineDraft[] = [];
  for (const meter of USAGE_METERS) {
    const used = usage.get(meter) ?? 0;
    const { included, overageUnitPriceCents } = PLANS[plan].allowances[meter];
    const over = used - included;
    if (over <= 0) continue;
    lines.push({
      kind: InvoiceLineKind.OVERAGE,
      description: `${METER_LABELS[meter]}: ${used} used, ${included} included, ${over} over at ${formatUsd(overageUnitPriceCents)}`,
      meter,
      quantity: over,
      unitPriceCents: overageUnitPriceCents,
      amountCents: over * overageUnitPriceCents,
    });
  }
  return lines;
}

/**
 * Computes an account's invoice for a period, or null when the account was on no plan on
 * any day of it. Plan fees are prorated to the day: each run of days on a plan costs
 * `monthly price × days / days in the month`, rounded to the cent (halves up); trial days
 * cost nothing. Usage beyond the allowances of the period's last plan is charged per unit.
 */
export function draftInvoice({ period, changes, trialEndsAt, usage }: InvoiceInputs): InvoiceDraft | null {
  const segments = planSegments(period, changes, trialEndsAt);
  const last = segments[segments.length - 1];
  if (!last) return null;
  const lines = [...segments.map((segment) => feeLine(segment, period)), ...overageLines(last.plan, usage)];
  const subtotalCents = lines.reduce((sum, line) => sum + line.amountCents, 0);
  return { period, plan: last.plan, currency: PLANS[last.plan].currency, lines, subtotalCents, totalCents: subtotalCents };
}
