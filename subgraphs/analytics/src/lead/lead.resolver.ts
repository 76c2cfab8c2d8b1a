import { Args, Authorized, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { ConnectionArgs } from "../../../../lib/pagination/connection-args";
import type { Connection } from "../../../../lib/pagination/connection";
import { isTimestampSortValue } from "../../../../lib/pagination/cursor";
import { toPageRequest } from "../../../../lib/pagination/page-request";
import { LeadActivityConnection, type LeadActivity } from "../activity/activity.type";
import type { AnalyticsContext } from "../context";
import { Lead } from "./lead.type";

/** What analytics adds to `Lead`. */
@Resolver(() => Lead)
export class LeadActivityResolver {
  @Authorized()
  @FieldResolver(() => LeadActivityConnection, { description: "What happened to the lead, from the events log, newest first." })
  activity(@Root() lead: Lead, @Args() args: ConnectionArgs, @Ctx() ctx: AnalyticsContext): Promise<Connection<LeadActivity>> {
    return ctx.loaders.activity(toPageRequest(args, "activity", isTimestampSortValue)).load(lead.id);
  }
}
