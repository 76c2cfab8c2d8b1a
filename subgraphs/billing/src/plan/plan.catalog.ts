import { registerEnumType } from "type-graphql";
import { Currency } from "../money/money";
import { UsageMeter } from "../usage/usage-meter";

/** The plans a team can be on. */
export enum PlanCode {
  STARTER = "STARTER",
  PROFESSIONAL = "PROFESSIONAL",
  ENTERPRISE = "ENTERPRISE",
}
registerEnumType(PlanCode, { name: "PlanCode", description: "A billing plan." });

/** Type guard for a {@link PlanCode} name (as stored). */
export function isPlanCode(value: unknown): value is PlanCode {
  return value === PlanCode.STARTER || value === PlanCode.PROFESSIONAL || value === PlanCode.ENTERPRISE;
}

/** How much of one meter a plan includes each period, and the price of each unit beyond. */
export interface MeterAllowanceSpec {
  included: number;
  overageUnitPriceCents: number;
}

/** A plan's price and entitlements. Prices are integer cents per calendar month. */
export interface PlanSpec {
  code: PlanCode;
  name: string;
  monthlyPriceCents: number;
  currency: Currency;
  seats: number;
  apiRequestsPerMinute: number;
  allowances: Readonly<Record<UsageMeter, MeterAllowanceSpec>>;
}

/**
 * The price list. Changing a price changes future invoices only: a closed invoice keeps
 * its lines as computed.
 */
export const PLANS: Readonly<Record<PlanCode, PlanSpec>> = {
  STARTER: {
    code: PlanCode.STARTER,
    name: "Starter",
    monthlyPriceCents: 9_900,
    currency: Currency.USD,
    seats: 3,
    apiRequestsPerMinute: 120,
    allowances: {
      LEADS_CREATED: { included: 500, overageUnitPriceCents: 25 },
      LEADS_SCORED: { included: 2_000, overageUnitPriceCents: 2 },
      MESSAGES_ANALYZED: { included: 1_000, overageUnitPriceCents: 3 },
      WEBHOOKS_PROCESSED: { included: 10_000, overageUnitPriceCents: 1 },
    },
  },
  PROFESSIONAL: {
    code: PlanCode.PROFESSIONAL,
    name: "Professional",
    monthlyPriceCents: 29_900,
    currency: Currency.USD,
    seats: 10,
    apiRequestsPerMinute: 600,
    allowances: {
      LEADS_CREATED: { included: 2_500, overageUnitPriceCents: 20 },
      LEADS_SCORED: { included: 10_000, overageUnitPriceCents: 2 },
      MESSAGES_ANALYZED: { included: 5_000, overageUnitPriceCents: 2 },
      WEBHOOKS_PROCESSED: { included: 50_000, overageUnitPriceCents: 1 },
    },
  },
  ENTERPRISE: {
    code: PlanCode.ENTERPRISE,
    name: "Enterprise",
    monthlyPriceCents: 99_900,
    currency: Currency.USD,
    seats: 50,
    apiRequestsPerMinute: 3_000,
    allowances: {
      LEADS_CREATED: { included: 15_000, overageUnitPriceCents: 10 },
      LEADS_SCORED: { included: 60_000, overageUnitPriceCents: 1 },
      MESSAGES_ANALYZED: { included: 30_000, overageUnitPriceCents: 1 },
      WEBHOOKS_PROCESSED: { included: 300_000, overageUnitPriceCents: 1 },
    },
  },
};

/** Every plan, cheapest first. */
export const PLAN_LIST: readonly PlanSpec[] = [PLANS.STARTER, PLANS.PROFESSIONAL, PLANS.ENTERPRISE];
