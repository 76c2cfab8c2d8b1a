import { Authorized, Query, Resolver } from "type-graphql";
import { PLAN_LIST } from "./plan.catalog";
import { Plan, toPlan } from "./plan.type";

/** The price list: the one billing query every role may read. */
@Resolver(() => Plan)
export class PlanResolver {
  @Authorized()
  @Query(() => [Plan], { description: "Every plan, cheapest first. Any role may read it." })
  plans(): Plan[] {
    return PLAN_LIST.map(toPlan);
  }
}
