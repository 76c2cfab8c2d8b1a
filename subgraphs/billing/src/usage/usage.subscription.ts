import { Authorized, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import { Role } from "../../../../lib/auth/roles";
import type { BillingContext } from "../context";
import { Usage } from "./usage.type";

/** `usageUpdated`'s stream: the caller's tenant's usage, shared with its other subscribers. */
function subscribeToUsage({ context }: SubscribeResolverData<unknown, Record<string, never>, BillingContext>): Promise<AsyncIterableIterator<Usage>> {
  return context.usage.subscribe(context.identity.tenant);
}

/** Live usage meters: ADMIN only, like every billing figure; each subscriber sees its own tenant only. */
@Resolver(() => Usage)
export class UsageSubscriptionResolver {
  @Authorized(Role.ADMIN)
  @Subscription(() => Usage, {
    subscribe: subscribeToUsage,
    description: "The current period's usage now, then again as billing meters new events (at most once a second). ADMIN only; NOT_FOUND before the team has an account.",
  })
  usageUpdated(@Root() usage: Usage): Usage {
    return usage;
  }
}
