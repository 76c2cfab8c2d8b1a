import type { Insertable, Kysely, Updateable } from "kysely";
import type { AccountRow, AccountTable, BillingDatabase, PlanChangeRow, PlanChangeTable } from "../database";

type Db = Kysely<BillingDatabase>;

/** The tenant's account, if it has one. */
export function findAccount(db: Db, tenantId: string): Promise<AccountRow | undefined> {
  return db.selectFrom("billing.accounts").selectAll().where("tenant_id", "=", tenantId).executeTakeFirst();
}

/** The tenant's account, locked for update in the caller's transaction. */
export function findAccountForUpdate(db: Db, tenantId: string): Promise<AccountRow | undefined> {
  return db.selectFrom("billing.accounts").selectAll().where("tenant_id", "=", tenantId).forUpdate().executeTakeFirst();
}

/** Inserts an account; when the tenant already has one, inserts nothing and returns undefined. */
export function insertAccount(db: Db, row: Insertable<AccountTable>): Promise<AccountRow | undefined> {
  return db.insertInto("billing.accounts").values(row).onConflict((oc) => oc.column("tenant_id").doNothing()).returningAll().executeTakeFirst();
}

/** Updates the tenant's account and returns it as it now is. */
export function updateAccount(db: Db, tenantId: string, changes: Updateable<AccountTable>): Promise<AccountRow> {
  return db.updateTable("billing.accounts").set(changes).where("tenant_id", "=", tenantId).returningAll().executeTakeFirstOrThrow();
}

/** Records a plan change. */
export function insertPlanChange(db: Db, row: Insertable<PlanChangeTable>): Promise<PlanChangeRow> {
  return db.insertInto("billing.plan_changes").values(row).returningAll().executeTakeFirstOrThrow();
}

/** Every plan change of the tenant in recorded order (a handful per year). */
export function listPlanChanges(db: Db, tenantId: string): Promise<PlanChangeRow[]> {
  return db.selectFrom("billing.plan_changes").selectAll().where("tenant_id", "=", tenantId).orderBy("changed_at").orderBy("id").execute();
}
