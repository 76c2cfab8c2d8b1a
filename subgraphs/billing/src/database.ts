import type { Generated, Selectable } from "kysely";

/** `billing.accounts`: one per tenant (GHL location) that installed the app. */
export interface AccountTable {
  tenant_id: string;
  name: string;
  plan: string;
  /** As stored: TRIALING, ACTIVE or CANCELED; a trial past its end reads as ACTIVE. */
  status: string;
  trial_ends_at: Date | null;
  created_at: Generated<Date>;
  canceled_at: Date | null;
  updated_at: Generated<Date>;
}

/** `billing.plan_changes`: the account's plan history, in recorded order. */
export interface PlanChangeTable {
  id: string;
  tenant_id: string;
  kind: string;
  /** Null for a cancellation: from `effective_at` the account is on no plan. */
  plan: string | null;
  previous_plan: string | null;
  effective_at: Date;
  changed_at: Generated<Date>;
  changed_by: string;
  /** Why, when the caller said (e.g. the GHL app was uninstalled). */
  note: string | null;
}

/** `billing.usage_events`: the log events already counted, by event id. */
export interface UsageEventTable {
  event_id: number;
  tenant_id: string;
  meter: string;
  period_start: Date;
}

/** `billing.usage_counters`: per tenant, period and meter, how many units were used. */
export interface UsageCounterTable {
  tenant_id: string;
  period_start: Date;
  meter: string;
  quantity: number;
}

/** `billing.invoices`: one per account and closed period. */
export interface InvoiceTable {
  id: string;
  tenant_id: string;
  number: string;
  period_start: Date;
  period_end: Date;
  plan: string;
  status: string;
  currency: string;
  subtotal_cents: number;
  total_cents: number;
  issued_at: Generated<Date>;
  closed_by: string;
}

/** `billing.invoice_lines`: an invoice's lines, in order. */
export interface InvoiceLineTable {
  id: string;
  invoice_id: string;
  tenant_id: string;
  position: number;
  kind: string;
  description: string;
  meter: string | null;
  quantity: number;
  unit_price_cents: number | null;
  amount_cents: number;
}

/** The tables the billing subgraph owns, as Kysely sees them. */
export interface BillingDatabase {
  "billing.accounts": AccountTable;
  "billing.plan_changes": PlanChangeTable;
  "billing.usage_events": UsageEventTable;
  "billing.usage_counters": UsageCounterTable;
  "billing.invoices": InvoiceTable;
  "billing.invoice_lines": InvoiceLineTable;
}

/** Rows as read. */
export type AccountRow = Selectable<AccountTable>;
export type PlanChangeRow = Selectable<PlanChangeTable>;
export type InvoiceRow = Selectable<InvoiceTable>;
export type InvoiceLineRow = Selectable<InvoiceLineTable>;
