import { Field, Float, Int, ObjectType, registerEnumType } from "type-graphql";
import { LeadSource, LeadStatus } from "../../../leads/src/lead/lead.enums";
import { connectionType } from "../../../../lib/pagination/connection";

/** One stage of the funnel. */
@ObjectType({ description: "How many leads reached a stage, and how many of the previous stage's did." })
export class FunnelStage {
  @Field(() => LeadStatus)
  status!: LeadStatus;

  @Field(() => Int, { description: "Leads that reached this stage (or, for CLOSED_LOST, were lost)." })
  reached!: number;

  @Field(() => Float, { nullable: true, description: "reached / the previous stage's reached, 0-1; null for NEW, CLOSED_LOST, or when the previous stage is empty." })
  conversionFromPrevious!: number | null;
}

/** The pipeline funnel of the leads created in a range. */
@ObjectType({ description: "The pipeline funnel of the leads created in a range." })
export class PipelineFunnel {
  @Field(() => Int)
  totalLeads!: number;

  @Field(() => [FunnelStage], { description: "NEW to CLOSED_WON in pipeline order, then CLOSED_LOST." })
  stages!: FunnelStage[];
}

/** How one lead source performs. */
@ObjectType({ description: "How the leads of one source, created in a range, perform." })
export class SourcePerformance {
  @Field(() => LeadSource)
  source!: LeadSource;

  @Field(() => Int)
  leads!: number;

  @Field(() => Float, { description: "Share that reached QUALIFIED or beyond, 0-1." })
  qualifiedRate!: number;

  @Field(() => Float, { description: "Share that reached CLOSED_WON, 0-1." })
  wonRate!: number;

  @Field(() => Float, { nullable: true, description: "Mean current score of the scored leads; null when none is scored." })
  averageScore!: number | null;

  @Field(() => Float, { nullable: true, description: "Median hours from creation to the first move out of NEW; null when none was contacted." })
  medianHoursToFirstContact!: number | null;
}

/** One tenth of the score range. */
@ObjectType({ description: "Leads whose current score lies in [min, max], by tier." })
export class ScoreBucket {
  @Field(() => Int)
  min!: number;

  @Field(() => Int)
  max!: number;

  @Field(() => Int)
  total!: number;

  @Field(() => Int)
  hot!: number;

  @Field(() => Int)
  warm!: number;

  @Field(() => Int)
  cold!: number;
}

/** Current scores of the leads created in a range. */
@ObjectType({ description: "Current scores of the leads created in a range, in ten buckets." })
export class ScoreDistribution {
  @Field(() => [ScoreBucket], { description: "0-9, 10-19, ..., 90-100." })
  buckets!: ScoreBucket[];

  @Field(() => Int, { description: "Leads not scored yet." })
  unscored!: number;
}

/** Size of a lead-volume bucket. */
export enum VolumeInterval {
  HOUR = "HOUR",
  DAY = "DAY",
  WEEK = "WEEK",
}
registerEnumType(VolumeInterval, { name: "VolumeInterval", description: "Size of a lead-volume bucket (UTC; weeks start on Monday)." });

/** Leads created in one bucket of time. */
@ObjectType({ description: "Leads created in [start, end)." })
export class VolumeBucket {
  @Field()
  start!: Date;

  @Field()
  end!: Date;

  @Field(() => Int)
  leads!: number;
}

/** `VolumeBucketConnection`: a page of the time series, oldest first. */
export const VolumeBucketConnection = connectionType("VolumeBucket", VolumeBucket);

/** Webhook processing over a range. */
@ObjectType({ description: "How fast and how reliably GHL webhooks were processed in a range." })
export class WebhookLatency {
  @Field(() => Int)
  processed!: number;

  @Field(() => Float, { nullable: true })
  p50Ms!: number | null;

  @Field(() => Float, { nullable: true })
  p95Ms!: number | null;

  @Field(() => Float, { nullable: true })
  p99Ms!: number | null;

  @Field(() => Float, { nullable: true, description: "Share that failed or went dead, 0-1; null when none was processed." })
  errorRate!: number | null;
}

/** How far analytics trails the events log. */
@ObjectType({ description: "How far analytics trails the events log (all tenants)." })
export class AnalyticsLag {
  @Field(() => Int)
  eventsBehind!: number;

  @Field(() => Float, { description: "Age of the oldest event not yet projected; 0 when caught up." })
  secondsBehind!: number;
}

