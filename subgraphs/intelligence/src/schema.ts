import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema, resolveKeyOnlyReference, type ReferenceResolvers } from "../../../lib/server/federated-schema";
import { LeadIntelligenceResolver } from "./lead/lead.resolver";
import { PropertyResolver, resolvePropertyReference } from "./property/property.resolver";
import { ScoreSubscriptionResolver } from "./score/score.subscription";

/** Builds the intelligence subgraph's federated schema. */
export function buildIntelligenceSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema([LeadIntelligenceResolver, PropertyResolver, ScoreSubscriptionResolver], {
    Lead: { __resolveReference: resolveKeyOnlyReference },
    Property: { __resolveReference: resolvePropertyReference },
  } as ReferenceResolvers);
}
