import { registerEnumType } from "type-graphql";

/** Where an invoice is in its life. */
export enum InvoiceStatus {
  /** Not issued: the running preview of the current period. */
  DRAFT = "DRAFT",
  /** Issued when its period was closed; awaiting payment. */
  OPEN = "OPEN",
  PAID = "PAID",
  VOID = "VOID",
}
registerEnumType(InvoiceStatus, { name: "InvoiceStatus", description: "DRAFT (preview), OPEN (issued), PAID or VOID." });

/** What an invoice line charges for. */
export enum InvoiceLineKind {
  /** A plan's monthly fee for the days it was in effect (0 for trial days). */
  PLAN_FEE = "PLAN_FEE",
  /** Units of one meter beyond what the plan includes. */
  OVERAGE = "OVERAGE",
}
registerEnumType(InvoiceLineKind, { name: "InvoiceLineKind", description: "A plan fee or a meter's overage." });
