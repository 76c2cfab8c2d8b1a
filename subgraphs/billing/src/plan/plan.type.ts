import { Field, Int, ObjectType } from "type-graphql";
import { Money, usd } from "../money/money";
import { UsageMeter, USAGE_METERS } from "../usage/usage-meter";
import { PlanCode, type PlanSpec } from "./plan.catalog";

/** How much of one meter a plan includes per period, and the price of each unit beyond. */
@ObjectType({ description: "How much of one meter a plan includes per month, and the price of each unit beyond." })
export class MeterAllowance {
  @Field(() => UsageMeter)
  meter!: UsageMeter;

  @Field(() => Int)
  included!: number;

  @Field(() => Money)
  overageUnitPrice!: Money;
}

/** A plan as clients see it. */
@ObjectType({ description: "A billing plan: its monthly price and what it includes." })
export class Plan {
  @Field(() => PlanCode)
  code!: PlanCode;

  @Field()
  name!: string;

  @Field(() => Money, { description: "Price of a whole calendar month; partial months are prorated to the day." })
  monthlyPrice!: Money;

  @Field(() => Int)
  seats!: number;

  @Field(() => Int, { description: "API requests per minute the gateway admits for the team." })
  apiRequestsPerMinute!: number;

  @Field(() => Int, { description: "Leads created per month before overage." })
  includedLeads!: number;

  @Field(() => Int, { description: "AI lead scorings per month before overage." })
  includedAiScorings!: number;

  @Field(() => [MeterAllowance])
  allowances!: MeterAllowance[];
}

/** Maps a catalog entry to its GraphQL shape. */
export function toPlan(spec: PlanSpec): Plan {
  return {
    code: spec.code,
    name: spec.name,
    monthlyPrice: usd(spec.monthlyPriceCents),
    seats: spec.seats,
    apiRequestsPerMinute: spec.apiRequestsPerMinute,
    includedLeads: spec.allowances.LEADS_CREATED.included,
    includedAiScorings: spec.allowances.LEADS_SCORED.included,
    allowances: USAGE_METERS.map((meter) => ({ meter, included: spec.allowances[meter].included, overageUnitPrice: usd(spec.allowances[meter].overageUnitPriceCents) })),
  };
}
