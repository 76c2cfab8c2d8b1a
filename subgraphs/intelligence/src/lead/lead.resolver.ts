import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import { Role } from "../../../../lib/auth/roles";
import { ConnectionArgs } from "../../../../lib/pagination/connection-args";
import type { Connection } from "../../../../lib/pagination/connection";
import { isTimestampSortValue } from "../../../../lib/pagination/cursor";
import { toPageRequest } from "../../../../lib/pagination/page-request";
import type { IntelligenceContext } from "../context";
import { analyzeMessage } from "../insight/insight.service";
import { AnalyzeMessageInput } from "../insight/insight.inputs";
import { AnalyzeMessagePayload } from "../insight/insight.payloads";
import { ConversationInsightConnection, type ConversationInsight } from "../insight/insight.type";
import { isMatchSortValue } from "../match/match.paging";
import { PropertyMatchConnection, type PropertyMatch } from "../match/match.type";
import { RescoreLeadInput } from "../score/score.inputs";
import { RescoreLeadPayload } from "../score/score.payloads";
import { rescoreLead } from "../score/score.service";
import { LeadScore, LeadScoreConnection } from "../score/score.type";
import { Lead } from "./lead.type";

/** What intelligence adds to `Lead`: readable by every role; rescoring and analysis need AGENT or ADMIN. */
@Resolver(() => Lead)
export class LeadIntelligenceResolver {
  @Authorized()
  @FieldResolver(() => LeadScore, { nullable: true, description: "The lead's current score; null until it is first scored." })
  score(@Root() lead: Lead, @Ctx() ctx: IntelligenceContext): Promise<LeadScore | null> {
    return ctx.loaders.latestScore.load(lead.id);
  }

  @Authorized()
  @FieldResolver(() => LeadScoreConnection, { description: "Every score the lead was given, newest first." })
  scoreHistory(@Root() lead: Lead, @Args() args: ConnectionArgs, @Ctx() ctx: IntelligenceContext): Promise<Connection<LeadScore>> {
    return ctx.loaders.scoreHistory(toPageRequest(args, "scoreHistory", isTimestampSortValue)).load(lead.id);
  }

  @Authorized()
  @FieldResolver(() => PropertyMatchConnection, { description: "Available listings that fit the lead's search, best first." })
  propertyMatches(@Root() lead: Lead, @Args() args: ConnectionArgs, @Ctx() ctx: IntelligenceContext): Promise<Connection<PropertyMatch>> {
    return ctx.loaders.propertyMatches(toPageRequest(args, "propertyMatches", isMatchSortValue)).load(lead.id);
  }

  @Authorized()
  @FieldResolver(() => ConversationInsightConnection, { description: "What the lead's messages said, newest first." })
  insights(@Root() lead: Lead, @Args() args: ConnectionArgs, @Ctx() ctx: IntelligenceContext): Promise<Connection<ConversationInsight>> {
    return ctx.loaders.insights(toPageRequest(args, "insights", isTimestampSortValue)).load(lead.id);
  }

  @Authorized(Role.AGENT, Role.ADMIN)
  @Mutation(() => RescoreLeadPayload, { description: "Scores a lead again now, against today's listings." })
  rescoreLead(@Arg("input") input: RescoreLeadInput, @Ctx() ctx: IntelligenceContext): Promise<RescoreLeadPayload> {
    return rescoreLead(ctx.db, ctx.evaluator, ctx.identity, input);
  }

  @Authorized(Role.AGENT, Role.ADMIN)
  @Mutation(() => AnalyzeMessagePayload, { description: "Reads a message from a lead; what it says feeds the lead's score." })
  analyzeMessage(@Arg("input") input: AnalyzeMessageInput, @Ctx() ctx: IntelligenceContext): Promise<AnalyzeMessagePayload> {
    return analyzeMessage(ctx.db, ctx.analyzer, ctx.evaluator, ctx.identity, input);
  }
}
