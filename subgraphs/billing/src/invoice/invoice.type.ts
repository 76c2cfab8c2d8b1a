import { Field, ID, Int, ObjectType } from "type-graphql";
import { connectionType } from "../../../../lib/pagination/connection";
import { Currency, Money } from "../money/money";
import { BillingPeriodType } from "../period/billing-period.type";
import { Plan } from "../plan/plan.type";
import { UsageMeter } from "../usage/usage-meter";
import { InvoiceLineKind, InvoiceStatus } from "./invoice.enums";

/** One line of an invoice. */
@ObjectType({ description: "One line of an invoice: a plan fee for some days, or a meter's overage." })
export class InvoiceLine {
  @Field(() => InvoiceLineKind)
  kind!: InvoiceLineKind;

  @Field()
  description!: string;

  @Field(() => UsageMeter, { nullable: true, description: "The meter of an OVERAGE line." })
  meter!: UsageMeter | null;

  @Field(() => Int, { description: "Days for a PLAN_FEE line; units beyond the allowance for OVERAGE." })
  quantity!: number;

  @Field(() => Money, { nullable: true, description: "Price per unit of an OVERAGE line." })
  unitPrice!: Money | null;

  @Field(() => Money)
  amount!: Money;
}

/** An invoice: issued for a closed period, or the DRAFT preview of the current one. */
@ObjectType({ description: "An invoice for one billing period. Amounts are integer cents." })
export class Invoice {
  @Field(() => ID, { nullable: true, description: "Null for a DRAFT preview, which is not stored." })
  id!: string | null;

  @Field(() => String, { nullable: true, description: "The account's invoice number; null for a DRAFT." })
  number!: string | null;

  @Field(() => BillingPeriodType)
  period!: BillingPeriodType;

  @Field(() => InvoiceStatus)
  status!: InvoiceStatus;

  @Field(() => Currency)
  currency!: Currency;

  @Field(() => Plan, { description: "The plan whose allowances priced the overage: the period's last." })
  plan!: Plan;

  @Field(() => Money)
  subtotal!: Money;

  @Field(() => Money)
  total!: Money;

  @Field(() => Date, { nullable: true })
  issuedAt!: Date | null;

  /** A DRAFT's lines, computed with it; an issued invoice's lines are loaded per request. */
  draftLines?: InvoiceLine[];
}

/** A page of invoices. */
export const InvoiceConnection = connectionType("Invoice", Invoice);
