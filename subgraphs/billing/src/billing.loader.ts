import DataLoader from "dataloader";
import type { Kysely } from "kysely";
import { withTenant } from "../../../lib/db/tenant";
import type { BillingLoaders } from "./context";
import type { BillingDatabase } from "./database";
import { toInvoiceLine } from "./invoice/invoice.mapper";
import { findLinesForInvoices } from "./invoice/invoice.repository";
import type { InvoiceLine } from "./invoice/invoice.type";

/** Creates the loaders for one request, bound to the caller's tenant. */
export function createBillingLoaders(db: Kysely<BillingDatabase>, tenantId: string): BillingLoaders {
  const invoiceLines = new DataLoader<string, InvoiceLine[]>(async (ids) => {
    const rows = await withTenant(db, tenantId, (trx) => findLinesForInvoices(trx, tenantId, ids));
    const byInvoice = new Map<string, InvoiceLine[]>(ids.map((id) => [id, []]));
    for (const row of rows) byInvoice.get(row.invoice_id)?.push(toInvoiceLine(row));
    return ids.map((id) => byInvoice.get(id) ?? []);
  });
  return { invoiceLines };
}
