import { sql, type Kysely } from "kysely";
import type { Identity } from "../../../../lib/auth/identity";
import { withTenant } from "../../../../lib/db/tenant";
import { userError, UserErrorCode, type UserError } from "../../../../lib/graphql/user-error";
import { uuidv7 } from "../../../../lib/ids";
import type { Logger } from "../../../../lib/logger";
import type { Connection } from "../../../../lib/pagination/connection";
import type { ConnectionArguments } from "../../../../lib/pagination/page-request";
import { mapConnection } from "../../../../lib/pagination/connection";
import { findAccountForUpdate, listPlanChanges, findAccount } from "../account/account.repository";
import { usageSettledBefore } from "../billing.consumer";
import type { BillingDatabase, InvoiceRow } from "../database";
import { pageNewestFirst } from "../paging";
import { parsePeriodLabel, periodContaining, previousPeriod, type BillingPeriod } from "../period/billing-period";
import { isPlanCode } from "../plan/plan.catalog";
import { lockTenantUsage, usageInPeriod } from "../usage/usage.repository";
import { draftInvoice, type InvoiceDraft, type PlanChangeFact } from "./invoice.calculator";
import { InvoiceStatus } from "./invoice.enums";
import type { CloseBillingPeriodInput } from "./invoice.inputs";
import { toDraftInvoice, toInvoice } from "./invoice.mapper";
import type { CloseBillingPeriodPayload } from "./invoice.payloads";
import { countInvoices, findInvoiceForPeriod, insertInvoice, listInvoices } from "./invoice.repository";
import type { Invoice } from "./invoice.type";

type Db = Kysely<BillingDatabase>;

async function computeDraft(trx: Db, tenantId: string, period: BillingPeriod, trialEndsAt: Date | null): Promise<InvoiceDraft | null> {
  const changes: PlanChangeFact[] = (await listPlanChanges(trx, tenantId)).map((row) => ({
    plan: row.plan !== null && isPlanCode(row.plan) ? row.plan : null,
    effectiveAt: row.effective_at,
  }));
  return draftInvoice({ period, changes, trialEndsAt, usage: await usageInPeriod(trx, tenantId, period.start) });
}

/** What closing one tenant's period came to. */
export type CloseResult = { invoice: InvoiceRow; created: boolean } | { error: UserError };

/**
 * Closes one tenant's period: computes its invoice and stores it OPEN, with its lines, in
 * one transaction. Holding the tenant's usage lock alone, no usage can land in the period
 * while its invoice is written (later events count in the current period). A period
 * already closed returns its invoice and makes no second one.
 */
export async function closePeriodForTenant(db: Db, tenantId: string, period: BillingPeriod, closedBy: string): Promise<CloseResult> {
  return withTenant(db, tenantId, async (trx) => {
    await lockTenantUsage(trx, tenantId, "close");
    const account = await findAccountForUpdate(trx, tenantId);
    if (!account) return { error: userError(UserErrorCode.NOT_FOUND, `tenant ${tenantId} has no billing account`) };
    const existing = await findInvoiceForPeriod(trx, tenantId, period.start);
    if (existing) return { invoice: existing, created: false };
    const draft = await computeDraft(trx, tenantId, period, account.trial_ends_at);
    if (!draft) return { error: userError(UserErrorCode.NOTHING_TO_BILL, `the account was on no plan during ${period.label}`, "period") };
    const id = uuidv7();
    const invoice = await insertInvoice(
      trx,
      {
        id,
        tenant_id: tenantId,
        number: `INV-${String((await countInvoices(trx, tenantId)) + 1).padStart(6, "0")}`,
        period_start: period.start,
        period_end: period.end,
        plan: draft.plan,
        status: InvoiceStatus.OPEN,
        currency: draft.currency,
        subtotal_cents: draft.subtotalCents,
        total_cents: draft.totalCents,
        closed_by: closedBy,
      },
      draft.lines.map((line, position) => ({
        id: uuidv7(),
        invoice_id: id,
        tenant_id: tenantId,
        position,
        kind: line.kind,
        description: line.description,
        meter: line.meter,
        quantity: line.quantity,
        unit_price_cents: line.unitPriceCents,
        amount_cents: line.amountCents,
      })),
    );
    // The usage lock and the account row lock make a concurrent close wait for this one.
    if (!invoice) throw new Error(`billing: invoice for ${tenantId} ${period.label} appeared under the close lock`);
    return { invoice, created: true };
  });
}

/**
 * `closeBillingPeriod` for the caller's tenant: the period must be a month that has ended,
 * and every event from before its end must have been metered.
 */
export async function closeBillingPeriod(db: Db, identity: Identity, input: CloseBillingPeriodInput, now: Date = new Date()): Promise<CloseBillingPeriodPayload> {
  const refuse = (error: UserError): CloseBillingPeriodPayload => ({ invoice: null, created: false, userErrors: [error] });
  const period = parsePeriodLabel(input.period.trim());
  if (!period) return refuse(userError(UserErrorCode.INVALID_INPUT, "period must be a calendar month written YYYY-MM, e.g. 2026-03", "period"));
  if (period.end.getTime() > now.getTime()) {
    return refuse(userError(UserErrorCode.PERIOD_NOT_ENDED, `${period.label} ends at ${period.end.toISOString()}; it can be closed after that`, "period"));
  }
  if (!(await usageSettledBefore(db, period.end))) {
    return refuse(userError(UserErrorCode.USAGE_PENDING, `usage from before ${period.end.toISOString()} is still being metered; try again in a few seconds`, "period"));
  }
  const result = await closePeriodForTenant(db, identity.tenant, period, identity.sub);
  if ("error" in result) return refuse(result.error);
  return { invoice: toInvoice(result.invoice), created: result.created, userErrors: [] };
}

/** The tenant's invoices, newest period first, a page at a time. */
export async function invoiceConnection(db: Db, tenantId: string, args: ConnectionArguments): Promise<Connection<Invoice>> {
  const rows = await withTenant(db, tenantId, (trx) => listInvoices(trx, tenantId));
  return mapConnection(pageNewestFirst("invoices", rows, args, (row) => ({ at: row.period_start, id: row.id })), toInvoice);
}

/** The DRAFT invoice of the period containing `now`, as it stands; null without a plan in it. */
export async function upcomingInvoice(db: Db, tenantId: string, now: Date = new Date()): Promise<Invoice | null> {
  const draft = await withTenant(db, tenantId, async (trx) => {
    const account = await findAccount(trx, tenantId);
    return account ? computeDraft(trx, tenantId, periodContaining(now), account.trial_ends_at) : null;
  });
  return draft ? toDraftInvoice(draft) : null;
}

/** Who the scheduler says closed a period. */
export const SCHEDULER = "scheduler";

/**
 * The scheduler's pass: closes the month before `now` for every account that still needs
 * its invoice, once every event from that month has been metered. Safe to run from many
 * instances at once: a period already closed is skipped. Returns how many it closed.
 */
export async function closeDuePeriods(db: Db, logger: Logger, now: Date = new Date()): Promise<number> {
  const period = previousPeriod(periodContaining(now));
  if (!(await usageSettledBefore(db, period.end))) {
    logger.info({ period: period.label }, "usage still being metered; closing the period later");
    return 0;
  }
  const { rows } = await sql<{ tenant_id: string }>`select tenant_id from billing.accounts_to_invoice(${period.start}, ${period.end}) as t(tenant_id)`.execute(db);
  let closed = 0;
  for (const { tenant_id: tenantId } of rows) {
    try {
      const result = await closePeriodForTenant(db, tenantId, period, SCHEDULER);
      if ("invoice" in result && result.created) closed += 1;
    } catch (error) {
      // One account's failure must not hold up the others; the next pass retries it.
      logger.error({ err: error, tenant: tenantId, period: period.label }, "closing the period failed");
    }
  }
  if (closed > 0) logger.info({ period: period.label, invoices: closed }, "billing period closed");
  return closed;
}
