import { Authorized, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import type { AnalyticsContext } from "../context";
import { DashboardSnapshot } from "./dashboard.type";

/** `dashboardUpdated`'s stream: the caller's tenant's snapshots, shared with its other subscribers. */
function subscribeToDashboard({ context }: SubscribeResolverData<unknown, Record<string, never>, AnalyticsContext>): Promise<AsyncIterableIterator<DashboardSnapshot>> {
  return context.dashboards.subscribe(context.identity.tenant);
}

/** The live dashboard. Any role may subscribe; each subscriber sees its own tenant only. */
@Resolver(() => DashboardSnapshot)
export class DashboardSubscriptionResolver {
  @Authorized()
  @Subscription(() => DashboardSnapshot, {
    subscribe: subscribeToDashboard,
    description: "The team's dashboard now, then again as analytics takes in changes (at most once a second).",
  })
  dashboardUpdated(@Root() snapshot: DashboardSnapshot): DashboardSnapshot {
    return snapshot;
  }
}
