import { sql, type Kysely } from "kysely";
import { toStoredEvent, type LogRow } from "../../lib/events/event-log";
import type { StoredEvent } from "../../lib/events/event-types";

/** The tenant's events as stored, in the log's order, payloads validated as a consumer would (read as the owner). */
export async function storedEventsOf(ownerDb: Kysely<unknown>, tenantId: string): Promise<StoredEvent[]> {
  const { rows } = await sql<LogRow>`
    select l.id, l.tx::text as tx, l.tenant_id, l.type, l.aggregate_id, l.payload, l.occurred_at, l.producer
    from events.log l where l.tenant_id = ${tenantId}
    -- The column, not the text it is selected as: as text, xid 1001 would sort before 987.
    order by l.tx, l.id`.execute(ownerDb);
  return rows.map(toStoredEvent);
}
