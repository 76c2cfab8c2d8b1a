import type { Insertable, Kysely } from "kysely";
import type { BillingDatabase, InvoiceLineRow, InvoiceLineTable, InvoiceRow, InvoiceTable } from "../database";

type Db = Kysely<BillingDatabase>;

/** The tenant's invoice for the period starting at `periodStart`, if it was closed. */
export function findInvoiceForPeriod(db: Db, tenantId: string, periodStart: Date): Promise<InvoiceRow | undefined> {
  return db.selectFrom("billing.invoices").selectAll().where("tenant_id", "=", tenantId).where("period_start", "=", periodStart).executeTakeFirst();
}

/** How many invoices the tenant has: the next one's number follows. */
export async function countInvoices(db: Db, tenantId: string): Promise<number> {
  const { count } = await db.selectFrom("billing.invoices").select((eb) => eb.fn.countAll<number>().as("count")).where("tenant_id", "=", tenantId).executeTakeFirstOrThrow();
  return Number(count);
}

/** Inserts an invoice and its lines; a period already invoiced inserts nothing and returns undefined. */
export async function insertInvoice(db: Db, invoice: Insertable<InvoiceTable>, lines: readonly Insertable<InvoiceLineTable>[]): Promise<InvoiceRow | undefined> {
  const inserted = await db
    .insertInto("billing.invoices")
    .values(invoice)
    .onConflict((oc) => oc.columns(["tenant_id", "period_start"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted && lines.length > 0) await db.insertInto("billing.invoice_lines").values([...lines]).execute();
  return inserted;
}

/** Every invoice of the tenant, newest period first (one a month). */
export function listInvoices(db: Db, tenantId: string): Promise<InvoiceRow[]> {
  return db.selectFrom("billing.invoices").selectAll().where("tenant_id", "=", tenantId).orderBy("period_start", "desc").orderBy("id", "desc").execute();
}

/** The lines of many invoices in one statement, in order. */
export function findLinesForInvoices(db: Db, tenantId: string, invoiceIds: readonly string[]): Promise<InvoiceLineRow[]> {
  return db
    .selectFrom("billing.invoice_lines")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("invoice_id", "in", invoiceIds)
    .orderBy("invoice_id")
    .orderBy("position")
    .execute();
}
