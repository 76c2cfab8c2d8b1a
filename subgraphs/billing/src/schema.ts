import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema, type ReferenceResolvers } from "../../../lib/server/federated-schema";
import { AccountResolver, resolveAccountReference } from "./account/account.resolver";
import { InvoiceResolver } from "./invoice/invoice.resolver";
import { PlanResolver } from "./plan/plan.resolver";
import { UsageSubscriptionResolver } from "./usage/usage.subscription";

/** Builds the billing subgraph's federated schema. */
export function buildBillingSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema([AccountResolver, InvoiceResolver, PlanResolver, UsageSubscriptionResolver], { Account: { __resolveReference: resolveAccountReference } } as ReferenceResolvers);
}
