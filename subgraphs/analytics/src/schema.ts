import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema, type ReferenceResolvers } from "../../../lib/server/federated-schema";
import { LeadActivityResolver, resolveLeadReference } from "./lead/lead.resolver";
import { Lead } from "./lead/lead.type";
import { ReportResolver } from "./report/report.resolver";

/** Builds the analytics subgraph's federated schema. */
export function buildAnalyticsSchema(): Promise<GraphQLSchema> {
  // `Lead` is reached only through `_entities`, so it is named here or type-graphql would leave it out.
  return buildFederatedSchema([ReportResolver, LeadActivityResolver], { Lead: { __resolveReference: resolveLeadReference } } as ReferenceResolvers, [Lead]);
}
