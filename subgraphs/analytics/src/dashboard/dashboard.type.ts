import { Field, Int, ObjectType } from "type-graphql";
import { PipelineFunnel } from "../report/report.types";

/** Headline counts of a tenant's live leads. */
@ObjectType({ description: "Headline counts of the team's leads (deleted leads excluded)." })
export class DashboardCounts {
  @Field(() => Int, { description: "Leads not deleted." })
  leads!: number;

  @Field(() => Int, { description: "Leads created since 00:00 UTC today." })
  createdToday!: number;

  @Field(() => Int, { description: "Leads whose current score is HOT." })
  hot!: number;

  @Field(() => Int, { description: "Leads whose current score is WARM." })
  warm!: number;

  @Field(() => Int, { description: "Leads whose current score is COLD." })
  cold!: number;

  @Field(() => Int, { description: "Leads not scored yet." })
  unscored!: number;
}

/** What a live dashboard shows, as of one moment. */
@ObjectType({ description: "A live dashboard's figures, as of `at`." })
export class DashboardSnapshot {
  @Field({ description: "When the figures were read." })
  at!: Date;

  @Field(() => PipelineFunnel, { description: "The funnel of the leads created in the 30 days before `at`." })
  funnel!: PipelineFunnel;

  @Field(() => DashboardCounts)
  counts!: DashboardCounts;
}
