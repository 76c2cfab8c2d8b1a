import { Arg, Args, Authorized, Ctx, Directive, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import { Role, SCOPE_MANAGE_ACCOUNTS, SCOPE_READ_ENTITLEMENTS } from "../../../../lib/auth/roles";
import { ErrorCode, fieldError } from "../../../../lib/errors";
import { ConnectionArgs } from "../../../../lib/pagination/connection-args";
import { mapConnection, type Connection } from "../../../../lib/pagination/connection";
import type { BillingContext } from "../context";
import { invoiceConnection, upcomingInvoice } from "../invoice/invoice.service";
import { Invoice, InvoiceConnection } from "../invoice/invoice.type";
import { pageNewestFirst } from "../paging";
import { withTenant } from "../../../../lib/db/tenant";
import { currentUsage } from "../usage/usage.service";
import { Usage } from "../usage/usage.type";
import { AccountStatus } from "./account.enums";
import { ChangePlanInput, DeactivateAccountInput, ProvisionAccountInput } from "./account.inputs";
import { limitsOf, toPlanChange } from "./account.mapper";
import { ChangePlanPayload, DeactivateAccountPayload, ProvisionAccountPayload } from "./account.payloads";
import { listPlanChanges } from "./account.repository";
import { changePlan, deactivateAccount, findTenantAccount, provisionAccount } from "./account.service";
import { Account, AccountLimits, PlanChange, PlanChangeConnection } from "./account.type";

/** The caller's account: ADMIN only, like every billing field but `plans`. */
@Resolver(() => Account)
export class AccountResolver {
  @Authorized(Role.ADMIN)
  @Query(() => Account, { nullable: true, description: "The caller's team's account; null before the app is installed." })
  account(@Ctx() ctx: BillingContext): Promise<Account | null> {
    return findTenantAccount(ctx.db, ctx.identity.tenant);
  }

  @Authorized(SCOPE_READ_ENTITLEMENTS)
  @Directive("@inaccessible")
  @Query(() => AccountLimits, { nullable: true, description: "For the gateway's rate limiter: the tenant's entitlements; null without an open account." })
  async entitlements(@Ctx() ctx: BillingContext): Promise<AccountLimits | null> {
    const account = await findTenantAccount(ctx.db, ctx.identity.tenant);
    return account && account.status !== AccountStatus.CANCELED ? limitsOf(account.plan.code) : null;
  }

  @Authorized(Role.ADMIN)
  @FieldResolver(() => Usage, { description: "Metered usage in the current period against the plan's allowances." })
  currentUsage(@Root() account: Account, @Ctx() ctx: BillingContext): Promise<Usage> {
    return currentUsage(ctx.db, account.tenantId, account.plan.code);
  }

  @Authorized(Role.ADMIN)
  @FieldResolver(() => AccountLimits)
  limits(@Root() account: Account): AccountLimits {
    return limitsOf(account.plan.code);
  }

  @Authorized(Role.ADMIN)
  @FieldResolver(() => InvoiceConnection, { description: "Issued invoices, newest period first." })
  invoices(@Root() account: Account, @Args() args: ConnectionArgs, @Ctx() ctx: BillingContext): Promise<Connection<Invoice>> {
    return invoiceConnection(ctx.db, account.tenantId, args);
  }

  @Authorized(Role.ADMIN)
  @FieldResolver(() => Invoice, { nullable: true, description: "The current period's invoice so far (DRAFT, not stored)." })
  upcomingInvoice(@Root() account: Account, @Ctx() ctx: BillingContext): Promise<Invoice | null> {
    return upcomingInvoice(ctx.db, account.tenantId);
  }

  @Authorized(Role.ADMIN)
  @FieldResolver(() => PlanChangeConnection, { description: "Every provisioning, plan change, cancellation and reactivation, newest first." })
  async planChanges(@Root() account: Account, @Args() args: ConnectionArgs, @Ctx() ctx: BillingContext): Promise<Connection<PlanChange>> {
    const rows = await withTenant(ctx.db, account.tenantId, (trx) => listPlanChanges(trx, account.tenantId));
    return mapConnection(pageNewestFirst("planChanges", rows, args, (row) => ({ at: row.changed_at, id: row.id })), toPlanChange);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ChangePlanPayload, { description: "Moves the team to another plan from today, prorated to the day." })
  changePlan(@Arg("input") input: ChangePlanInput, @Ctx() ctx: BillingContext): Promise<ChangePlanPayload> {
    return changePlan(ctx.db, ctx.identity, input);
  }

  @Authorized(SCOPE_MANAGE_ACCOUNTS)
  @Mutation(() => ProvisionAccountPayload, { description: "Service callers only (the GHL bridge, on INSTALL): opens the tenant's account; idempotent." })
  provisionAccount(@Arg("input") input: ProvisionAccountInput, @Ctx() ctx: BillingContext): Promise<ProvisionAccountPayload> {
    return provisionAccount(ctx.db, ctx.identity, input);
  }

  @Authorized(SCOPE_MANAGE_ACCOUNTS)
  @Mutation(() => DeactivateAccountPayload, { description: "Service callers only (the GHL bridge, on UNINSTALL): closes the tenant's account; idempotent." })
  deactivateAccount(@Arg("input") input: DeactivateAccountInput, @Ctx() ctx: BillingContext): Promise<DeactivateAccountPayload> {
    return deactivateAccount(ctx.db, ctx.identity, input);
  }
}

/**
 * Resolves `Account` references: ADMIN only, and only the caller's own tenant (another
 * tenant's key resolves to nothing).
 */
export async function resolveAccountReference(reference: unknown, ctx: BillingContext): Promise<Account | null> {
  if (ctx.identity.role !== Role.ADMIN) throw fieldError(ErrorCode.FORBIDDEN, "this operation requires role ADMIN");
  const tenantId = typeof reference === "object" && reference !== null ? (reference as { tenantId?: unknown }).tenantId : undefined;
  if (typeof tenantId !== "string" || tenantId !== ctx.identity.tenant) return null;
  return findTenantAccount(ctx.db, tenantId);
}
