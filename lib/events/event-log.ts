import { sql, type QueryExecutorProvider } from "kysely";
import { isEventType, parseEventPayload, type NewEvent, type StoredEvent } from "./event-types";

/** Channel notified (on commit only) whenever an event is appended; the payload names it (`<tenant>:<type>:<id>`). */
export const EVENTS_CHANNEL = "hub_events";

/**
 * Appends an event inside the caller's transaction (a transactional outbox): the event
 * exists if and only if the state change commits. The notification is sent by Postgres
 * at commit, in the same single statement.
 */
export async function appendEvent(trx: QueryExecutorProvider, producer: string, event: NewEvent): Promise<void> {
  await appendEvents(trx, producer, [event]);
}

/** Appends several events, in order, in one statement (as {@link appendEvent} does one). */
export async function appendEvents(trx: QueryExecutorProvider, producer: string, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(
    (event, order) =>
      sql`(${order}::int, ${event.tenantId}::text, ${event.type}::text, ${event.aggregateId}::text, ${JSON.stringify(event.payload)}::jsonb, ${event.occurredAt ?? null}::timestamptz)`,
  );
  // events.append writes the row and its notification, which names the event (see
  // `parseEventNotification`) so readers that want only some events skip the others.
  await sql`
    select events.append(e.tenant, e.type, e.aggregate, e.payload, ${producer}, e.occurred_at)
    from (values ${sql.join(rows)}) as e(ord, tenant, type, aggregate, payload, occurred_at)
    order by e.ord`.execute(trx);
}

/** Where a consumer stands in the log: after the event at (`tx`, `id`). */
export interface LogPosition {
  tx: string;
  id: number;
}

/** The position before the first event. */
export const LOG_START: LogPosition = { tx: "0", id: 0 };

/** A row of `events.log` as selected for reading (`tx` as text). */
export interface LogRow {
  id: number;
  tenant_id: string;
  type: string;
  aggregate_id: string;
  payload: unknown;
  occurred_at: Date;
  producer: string;
  tx: string;
}

/**
 * Reads up to `limit` events after `after`, in commit-safe order.
 *
 * Ids are handed out before commit, so id order is not commit order: reading "id > offset"
 * would skip an event whose transaction commits after a later id was consumed. So the log
 * is read in (tx, id) order and only up to the oldest transaction still in flight that
 * has declared it appends (`events.append_horizon`; see the append-horizon migration):
 * every appender below it has settled, an undeclared transaction can never append, and
 * every future appender gets a larger xid, so nothing can ever appear behind the returned
 * position. Transactions that never append (a projection's batch) hold no reader back.
 */
export async function readEvents(db: QueryExecutorProvider, after: LogPosition, limit: number): Promise<StoredEvent[]> {
  const { rows } = await sql<LogRow>`
    select id, tenant_id, type, aggregate_id, payload, occurred_at, producer, tx::text as tx
    from events.read_after(${after.tx}::xid8, ${after.id}, ${limit})`.execute(db);
  return rows.map(toStoredEvent);
}

/**
 * The log's current head under the same commit-safe horizon as {@link readEvents}: reading
 * forward from it yields exactly the events that become readable from now on (a live tail
 * starts here), and never one that was readable before.
 */
export async function readHeadPosition(db: QueryExecutorProvider): Promise<LogPosition> {
  const { rows } = await sql<LogPosition>`select tx::text as tx, id from events.head_position()`.execute(db);
  return rows[0] ?? LOG_START;
}

/** Maps a log row to a typed event, validating its payload against its type. */
export function toStoredEvent(row: LogRow): StoredEvent {
  if (!isEventType(row.type)) throw new Error(`unknown event type in log: ${row.type} (id ${row.id})`);
  const base = { id: row.id, tx: row.tx, occurredAt: row.occurred_at, producer: row.producer, tenantId: row.tenant_id, aggregateId: row.aggregate_id };
  // The payload is re-validated on read: the log outlives the code that wrote it.
  return { ...base, type: row.type, payload: parseEventPayload(row.type, row.payload) } as StoredEvent;
}

/** How far a consumer trails the log: events not yet read, and how old the oldest of them is. */
export interface ConsumerLag {
  eventsBehind: number;
  /** When the oldest unread event happened; null when caught up. */
  oldestUnreadAt: Date | null;
}

/** Measures a consumer's lag across all tenants (counts only; no tenant's rows are read). */
export async function consumerLag(db: QueryExecutorProvider, consumer: string): Promise<ConsumerLag> {
  const { rows } = await sql<{ events_behind: number; oldest_unread_at: Date | null }>`
    select events_behind, oldest_unread_at from events.consumer_lag(${consumer})`.execute(db);
  return { eventsBehind: rows[0]?.events_behind ?? 0, oldestUnreadAt: rows[0]?.oldest_unread_at ?? null };
}

/** A row of `events.open_batch`: the consumer's position, and an event after it or nulls. */
type BatchRow = { from_tx: string; from_id: number } & (LogRow | Record<keyof LogRow, null>);

function hasEvent(row: BatchRow): row is BatchRow & LogRow {
  return row.id !== null;
}

/**
 * Opens a consumer's batch in the caller's transaction, in one round trip: takes the
 * consumer's lock (replicas of one consumer take turns), declares the transaction an
 * appender when `appends` (see `withTenant`), and reads the saved position and up to `limit`
 * events after it.
 *
 * The batch commits without waiting for its WAL to reach disk (`synchronous_commit` off,
 * for this transaction only). The position moves in the same transaction as the handler's
 * writes, so a crash that loses the commit loses both and the batch is read again; and a
 * later durable commit flushes the WAL before it, this batch's included. What it saves is
 * a flush wait on every batch: on scoring's, it comes before `LeadScored` is visible.
 */
export async function openBatch(db: QueryExecutorProvider, consumer: string, limit: number, appends: boolean): Promise<{ position: LogPosition; events: StoredEvent[] }> {
  const { rows } = await sql<BatchRow>`
    select from_tx::text as from_tx, from_id, id, tenant_id, type, aggregate_id, payload, occurred_at, producer, tx::text as tx
    from (select set_config('synchronous_commit', 'off', true)) as relaxed, events.open_batch(${consumer}, ${limit}, ${appends})`.execute(db);
  const first = rows[0];
  return { position: first ? { tx: first.from_tx, id: first.from_id } : LOG_START, events: rows.filter(hasEvent).map(toStoredEvent) };
}

/** Saves a consumer's position; call in the same transaction as the handler's writes. */
export async function savePosition(db: QueryExecutorProvider, consumer: string, position: LogPosition): Promise<void> {
  await sql`
    insert into events.consumer_offsets (consumer, last_tx, last_id, updated_at)
    values (${consumer}, ${position.tx}::xid8, ${position.id}, now())
    on conflict (consumer) do update set last_tx = excluded.last_tx, last_id = excluded.last_id, updated_at = now()`.execute(db);
}
