import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema, type ReferenceResolvers } from "../../../lib/server/federated-schema";
import { AppointmentResolver } from "./appointment/appointment.resolver";
import { LeadResolver, resolveLeadReference } from "./lead/lead.resolver";
import { LeadSubscriptionResolver } from "./lead/lead.subscription";

/** Builds the leads subgraph's federated schema. */
export function buildLeadsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema([LeadResolver, AppointmentResolver, LeadSubscriptionResolver], { Lead: { __resolveReference: resolveLeadReference } } as ReferenceResolvers);
}
