import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema, resolveKeyOnlyReference, type ReferenceResolvers } from "../../../lib/server/federated-schema";
import { DashboardSubscriptionResolver } from "./dashboard/dashboard.subscription";
import { LeadActivityResolver } from "./lead/lead.resolver";
import { Lead } from "./lead/lead.type";
import { ReportResolver } from "./report/report.resolver";

/** Builds the analytics subgraph's federated schema. */
export function buildAnalyticsSchema(): Promise<GraphQLSchema> {
  // `Lead` is reached only through `_entities`, so it is named here or type-graphql would leave it out.
  return buildFederatedSchema([ReportResolver, LeadActivityResolver, DashboardSubscriptionResolver], { Lead: { __resolveReference: resolveKeyOnlyReference } } as ReferenceResolvers, [Lead]);
}
