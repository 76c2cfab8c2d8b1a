import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema, type ReferenceResolvers } from "../../../lib/server/federated-schema";
import { LeadIntelligenceResolver, resolveLeadReference } from "./lead/lead.resolver";
import { PropertyResolver, resolvePropertyReference } from "./property/property.resolver";

/** Builds the intelligence subgraph's federated schema. */
export function buildIntelligenceSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema([LeadIntelligenceResolver, PropertyResolver], {
    Lead: { __resolveReference: resolveLeadReference },
    Property: { __resolveReference: resolvePropertyReference },
  } as ReferenceResolvers);
}
