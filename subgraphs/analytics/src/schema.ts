import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema, type ReferenceResolvers } from "../../../lib/server/federated-schema";
import { LeadActivityResolver, resolveLeadReference } from "./lead/lead.resolver";
import { ReportResolver } from "./report/report.resolver";

/** Builds the analytics subgraph's federated schema. */
export function buildAnalyticsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema([ReportResolver, LeadActivityResolver], { Lead: { __resolveReference: resolveLeadReference } } as ReferenceResolvers);
}
