import { sql, type Kysely } from "kysely";
import { isEventType, parseEventPayload, type StoredEvent } from "../../lib/events/event-types";

interface LogRow {
  id: string;
  tx: string;
  tenant_id: string;
  type: string;
  aggregate_id: string;
  payload: unknown;
  occurred_at: Date;
  producer: string;
}

/** The tenant's events as stored, in the log's order, payloads validated as a consumer would (read as the owner). */
export async function storedEventsOf(ownerDb: Kysely<unknown>, tenantId: string): Promise<StoredEvent[]> {
  const { rows } = await sql<LogRow>`
    select id, tx::text as tx, tenant_id, type, aggregate_id, payload, occurred_at, producer
    from events.log where tenant_id = ${tenantId} order by tx, id`.execute(ownerDb);
  return rows.map((row) => {
    if (!isEventType(row.type)) throw new Error(`unknown event type ${row.type}`);
    const base = { id: Number(row.id), tx: row.tx, occurredAt: row.occurred_at, producer: row.producer, tenantId: row.tenant_id, aggregateId: row.aggregate_id };
    return { ...base, type: row.type, payload: parseEventPayload(row.type, row.payload) } as StoredEvent;
  });
}
