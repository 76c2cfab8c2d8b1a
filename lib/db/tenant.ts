import { sql, type Kysely, type QueryExecutorProvider } from "kysely";
import pg from "pg";

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
 *
 * BEGIN and the binding go out as one simple-protocol query (it may hold several
 * statements, but no parameters, so the tenant is an escaped literal): one round trip
 * fewer on every request, which counted at a hundred webhooks a second.
 */
export async function withTenant<DB, T>(db: Kysely<DB>, tenantId: string, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (tenantId.includes("\0")) throw new Error("a tenant id cannot hold a NUL character");
  return db.connection().execute(async (connection) => {
    let result: T;
    try {
      await sql.raw(`begin; select set_config('app.tenant_id', ${pg.escapeLiteral(tenantId)}, true), events.begin_append()`).execute(connection);
      result = await fn(connection);
    } catch (error) {
      // Never hand the pool a connection inside a transaction. The failure that matters is
      // the one above; a rollback on a broken connection adds nothing.
      await sql.raw("rollback").execute(connection).catch(() => undefined);
      throw error;
    }
    await sql.raw("commit").execute(connection);
    return result;
  });
}
