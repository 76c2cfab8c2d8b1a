import { sql, type Kysely, type Transaction } from "kysely";

/**
 * Runs `fn` in a transaction bound to one tenant: `app.tenant_id` is set for the
 * transaction only, so Postgres row-level security confines every statement to that
 * tenant even if a query forgets its own `tenant_id` filter.
 */
export async function withTenant<DB, T>(db: Kysely<DB>, tenantId: string, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
    return fn(trx);
  });
}
