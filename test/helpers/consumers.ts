import { sql, type Kysely } from "kysely";
import { eventually } from "./eventually";

/**
 * Whether `consumer`'s saved position is at or past the last event of `tenant` in the log's
 * own order, (tx, id). A tenant without events has nothing to wait for.
 */
export async function consumerHasPassedTenant(ownerDb: Kysely<unknown>, consumer: string, tenant: string): Promise<boolean> {
  const { rows } = await sql<{ passed: boolean }>`
    with last_event as (
      select tx, id from events.log where tenant_id = ${tenant} order by tx desc, id desc limit 1
    )
    select not exists (select 1 from last_event)
        or coalesce((select (o.last_tx, o.last_id) >= (e.tx, e.id)
                     from events.consumer_offsets o, last_event e
                     where o.consumer = ${consumer}), false) as passed`.execute(ownerDb);
  return rows[0]?.passed ?? false;
}

/**
 * Waits until `consumer` (e.g. `analytics`, `billing`) has read past every event of
 * `tenant`. The tenant's last event is looked up on every try, so events the consumers
 * append in reaction (intelligence's `LeadScored`) are waited for too once they exist.
 * Runs as the owner: the offsets and the log are read across row-level security.
 *
 * Not for a consumer that wakes on some types only (intelligence): it passes over the
 * others without saving its position, which may then trail the tenant's last event for good.
 */
export async function waitForConsumer(ownerDb: Kysely<unknown>, consumer: string, tenant: string, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      if (!(await consumerHasPassedTenant(ownerDb, consumer, tenant))) throw new Error(`consumer ${consumer} has not yet read past the last event of tenant ${tenant}`);
    },
    timeoutMs,
    50,
  );
}
