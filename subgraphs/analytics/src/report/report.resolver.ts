import { Arg, Args, ArgsType, Authorized, Ctx, Field, Query, Resolver } from "type-graphql";
import { Role } from "../../../../lib/auth/roles";
import { ConnectionArgs } from "../../../../lib/pagination/connection-args";
import type { Connection } from "../../../../lib/pagination/connection";
import { analyticsLag } from "../analytics.consumer";
import type { AnalyticsContext } from "../context";
import { DateRangeInput, toDateRange } from "./date-range";
import * as service from "./report.service";
import { AnalyticsLag, PipelineFunnel, ScoreDistribution, SourcePerformance, VolumeBucketConnection, VolumeInterval, WebhookLatency, type VolumeBucket } from "./report.types";

@ArgsType()
class LeadVolumeArgs extends ConnectionArgs {
  @Field(() => VolumeInterval)
  interval!: VolumeInterval;

  @Field(() => DateRangeInput)
  range!: DateRangeInput;
}

/** Pipeline reports over the caller's tenant, from analytics' read models. Any role may read them. */
@Resolver()
export class ReportResolver {
  @Authorized()
  @Query(() => PipelineFunnel, { description: "Leads created in the range: how many reached each stage, and conversion between stages." })
  pipelineFunnel(@Arg("range", () => DateRangeInput) range: DateRangeInput, @Ctx() ctx: AnalyticsContext): Promise<PipelineFunnel> {
    return service.pipelineFunnel(ctx.db, ctx.identity.tenant, toDateRange(range));
  }

  @Authorized()
  @Query(() => [SourcePerformance], { description: "Leads created in the range, by source: volume, qualified and won rates, score, speed to first contact." })
  sourcePerformance(@Arg("range", () => DateRangeInput) range: DateRangeInput, @Ctx() ctx: AnalyticsContext): Promise<SourcePerformance[]> {
    return service.sourcePerformance(ctx.db, ctx.identity.tenant, toDateRange(range));
  }

  @Authorized()
  @Query(() => ScoreDistribution, { description: "Current scores of the leads created in the range, in ten buckets by tier." })
  scoreDistribution(@Arg("range", () => DateRangeInput) range: DateRangeInput, @Ctx() ctx: AnalyticsContext): Promise<ScoreDistribution> {
    return service.scoreDistribution(ctx.db, ctx.identity.tenant, toDateRange(range));
  }

  @Authorized()
  @Query(() => VolumeBucketConnection, { description: "Leads created per hour, day or week over the range, empty buckets included, oldest first." })
  leadVolume(@Args() args: LeadVolumeArgs, @Ctx() ctx: AnalyticsContext): Promise<Connection<VolumeBucket>> {
    return service.leadVolume(ctx.db, ctx.identity.tenant, args.interval, toDateRange(args.range), args);
  }

  @Authorized()
  @Query(() => WebhookLatency, { description: "GHL webhook processing in the range: latency percentiles and error rate." })
  webhookLatency(@Arg("range", () => DateRangeInput) range: DateRangeInput, @Ctx() ctx: AnalyticsContext): Promise<WebhookLatency> {
    return service.webhookLatency(ctx.db, ctx.identity.tenant, toDateRange(range));
  }

  @Authorized(Role.ADMIN)
  @Query(() => AnalyticsLag, { description: "How far analytics trails the events log (ADMIN)." })
  async analyticsLag(@Ctx() ctx: AnalyticsContext): Promise<AnalyticsLag> {
    const { eventsBehind, secondsBehind } = await analyticsLag(ctx.db);
    return { eventsBehind, secondsBehind };
  }
}
