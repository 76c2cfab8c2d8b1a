import { sql, type Kysely } from "kysely";
import { toStoredEvent, type LogRow } from "../../lib/events/event-log";
import type { StoredEvent } from "../../lib/events/event-types";

/** The tenant's events as stored, in the log's order, payloads validated as a consumer would (read as the owner). */
export async function storedEventsOf(ownerDb: Kysely<unknown>, tenantId: string): Promise<StoredEvent[]> {
  const { rows } = await sql<LogRow>`
    select id, tx::text as tx, tenant_id, type, aggregate_id, payload, occurred_at, producer
    from events.log where tenant_id = ${tenantId} order by tx, id`.execute(ownerDb);
  return rows.map(toStoredEvent);
}
