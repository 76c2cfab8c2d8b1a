import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import { Role } from "../../../../lib/auth/roles";
import type { BillingContext } from "../context";
import { CloseBillingPeriodInput } from "./invoice.inputs";
import { CloseBillingPeriodPayload } from "./invoice.payloads";
import { closeBillingPeriod } from "./invoice.service";
import { Invoice, InvoiceLine } from "./invoice.type";

/** Invoices: lines are batched per request; closing a period needs ADMIN. */
@Resolver(() => Invoice)
export class InvoiceResolver {
  @Authorized(Role.ADMIN)
  @FieldResolver(() => [InvoiceLine])
  lines(@Root() invoice: Invoice, @Ctx() ctx: BillingContext): InvoiceLine[] | Promise<InvoiceLine[]> {
    if (invoice.draftLines) return invoice.draftLines;
    if (invoice.id === null) return [];
    return ctx.loaders.invoiceLines.load(invoice.id);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CloseBillingPeriodPayload, { description: "Issues the team's invoice for a month that has ended; closing it again returns the same invoice." })
  closeBillingPeriod(@Arg("input") input: CloseBillingPeriodInput, @Ctx() ctx: BillingContext): Promise<CloseBillingPeriodPayload> {
    return closeBillingPeriod(ctx.db, ctx.identity, input);
  }
}
