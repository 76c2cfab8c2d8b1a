import type { InvoiceLineRow, InvoiceRow } from "../database";
import { Currency, usd } from "../money/money";
import { periodContaining } from "../period/billing-period";
import { storedPlan } from "../account/account.mapper";
import { PLANS } from "../plan/plan.catalog";
import { toPlan } from "../plan/plan.type";
import { isUsageMeter } from "../usage/usage-meter";
import type { InvoiceDraft, InvoiceLineDraft } from "./invoice.calculator";
import { InvoiceLineKind, InvoiceStatus } from "./invoice.enums";
import type { Invoice, InvoiceLine } from "./invoice.type";

function storedEnum<T extends string>(values: Record<string, T>, value: string, what: string): T {
  const known = Object.values(values).find((candidate) => candidate === value);
  if (known === undefined) throw new Error(`billing: unknown stored ${what} ${JSON.stringify(value)}`);
  return known;
}

/** Maps a stored invoice (its lines are loaded separately). */
export function toInvoice(row: InvoiceRow): Invoice {
  return {
    id: row.id,
    number: row.number,
    period: periodContaining(row.period_start),
    status: storedEnum(InvoiceStatus, row.status, "invoice status"),
    currency: storedEnum(Currency, row.currency, "currency"),
    plan: toPlan(PLANS[storedPlan(row.plan)]),
    subtotal: usd(row.subtotal_cents),
    total: usd(row.total_cents),
    issuedAt: row.issued_at,
  };
}

function line(draft: InvoiceLineDraft): InvoiceLine {
  return {
    kind: draft.kind,
    description: draft.description,
    meter: draft.meter,
    quantity: draft.quantity,
    unitPrice: draft.unitPriceCents === null ? null : usd(draft.unitPriceCents),
    amount: usd(draft.amountCents),
  };
}

/** Maps a stored invoice line. */
export function toInvoiceLine(row: InvoiceLineRow): InvoiceLine {
  const meter = row.meter === null ? null : row.meter;
  if (meter !== null && !isUsageMeter(meter)) throw new Error(`billing: unknown stored meter ${JSON.stringify(meter)}`);
  return line({
    kind: storedEnum(InvoiceLineKind, row.kind, "invoice line kind"),
    description: row.description,
    meter,
    quantity: row.quantity,
    unitPriceCents: row.unit_price_cents,
    amountCents: row.amount_cents,
  });
}

/** The DRAFT preview of a period still open: computed, not stored. */
export function toDraftInvoice(draft: InvoiceDraft): Invoice {
  return {
    id: null,
    number: null,
    period: draft.period,
    status: InvoiceStatus.DRAFT,
    currency: draft.currency,
    plan: toPlan(PLANS[draft.plan]),
    subtotal: usd(draft.subtotalCents),
    total: usd(draft.totalCents),
    issuedAt: null,
    draftLines: draft.lines.map(line),
  };
}
