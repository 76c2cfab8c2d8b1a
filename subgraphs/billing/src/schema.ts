import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema, type ReferenceResolvers } from "../../../lib/server/federated-schema";
import { AccountResolver, resolveAccountReference } from "./account/account.resolver";
import { InvoiceResolver } from "./invoice/invoice.resolver";
import { PlanResolver } from "./plan/plan.resolver";

/** Builds the billing subgraph's federated schema. */
export function buildBillingSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema([AccountResolver, InvoiceResolver, PlanResolver], { Account: { __resolveReference: resolveAccountReference } } as ReferenceResolvers);
}
