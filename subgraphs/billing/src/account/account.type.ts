import { Directive, Field, ID, Int, ObjectType } from "type-graphql";
import { connectionType } from "../../../../lib/pagination/connection";
import { PlanCode } from "../plan/plan.catalog";
import { Plan } from "../plan/plan.type";
import { AccountStatus, PlanChangeKind } from "./account.enums";

/** A team's billing account; billing owns it, keyed by the tenant (GHL location) id. */
@Directive('@key(fields: "tenantId")')
@ObjectType({ description: "A team's billing account. Every field requires ADMIN." })
export class Account {
  @Field(() => ID, { description: "The tenant: the team's GHL location id." })
  tenantId!: string;

  @Field()
  name!: string;

  @Field(() => Plan)
  plan!: Plan;

  @Field(() => AccountStatus)
  status!: AccountStatus;

  @Field(() => Date, { nullable: true })
  trialEndsAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  canceledAt!: Date | null;
}

/** What the account's plan entitles the team to. */
@ObjectType({ description: "What the account's plan entitles the team to." })
export class AccountLimits {
  @Field(() => Int, { description: "API requests per minute the gateway admits." })
  apiRequestsPerMinute!: number;

  @Field(() => Int)
  seats!: number;

  @Field(() => Int)
  includedLeads!: number;

  @Field(() => Int)
  includedAiScorings!: number;
}

/** One recorded change of an account's plan or status. */
@ObjectType({ description: "One recorded change of an account's plan or status." })
export class PlanChange {
  @Field(() => ID)
  id!: string;

  @Field(() => PlanChangeKind)
  kind!: PlanChangeKind;

  @Field(() => PlanCode, { nullable: true, description: "The plan from `effectiveAt`; null for a cancellation." })
  plan!: PlanCode | null;

  @Field(() => PlanCode, { nullable: true })
  previousPlan!: PlanCode | null;

  @Field({ description: "Midnight UTC of the first day billed at `plan` (the day after, for a cancellation)." })
  effectiveAt!: Date;

  @Field()
  changedAt!: Date;

  @Field({ description: "Who made the change: a user id or an API key." })
  changedBy!: string;

  @Field(() => String, { nullable: true, description: "Why, when the caller said." })
  note!: string | null;
}

/** A page of plan changes. */
export const PlanChangeConnection = connectionType("PlanChange", PlanChange);
