import { sql, type Kysely, type QueryExecutorProvider, type Transaction } from "kysely";

/**
 * Binds the rest of the caller's transaction to one tenant: `app.tenant_id` is set for the
 * transaction only (a consumer whose batch spans tenants calls this per tenant).
 */
export async function setTransactionTenant(trx: QueryExecutorProvider, tenantId: string): Promise<void> {
  await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
}

/**
 * Runs `fn` in a transaction bound to one tenant, so Postgres row-level security confines
 * every statement to that tenant even if a query forgets its own `tenant_id` filter.
 *
 * The transaction may also append to the events log: it declares that before anything is
 * written (`events.begin_append`, in the same statement), which a log append that follows
 * another write requires. Readers of the log wait only for declared transactions, so
 * these must stay short; a long job that never appends should not use this.
 */
export async function withTenant<DB, T>(db: Kysely<DB>, tenantId: string, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.tenant_id', ${tenantId}, true), events.begin_append()`.execute(trx);
    return fn(trx);
  });
}
