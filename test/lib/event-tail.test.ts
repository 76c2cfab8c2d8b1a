import pg from "pg";
import { sql } from "kysely";
import { createDatabase } from "../../lib/db/database";
import { withTenant } from "../../lib/db/tenant";
import { appendEvent, readHeadPosition } from "../../lib/events/event-log";
import { createEventTail, type EventTail } from "../../lib/events/event-tail";
import type { StoredEvent } from "../../lib/events/event-types";
import { createLogger } from "../../lib/logger";
import { eventually } from "../helpers/eventually";
import { testDatabaseUrls, uniqueTenant } from "../helpers/stack";

const urls = testDatabaseUrls();
const db = createDatabase<unknown>(urls.app, { name: "event-tail-test" });
const owner = createDatabase<unknown>(urls.owner, { name: "event-tail-owner" });
const logger = createLogger("test", "silent");
const tenant = uniqueTenant("tail");
const otherTenant = uniqueTenant("tail-other");
const tails: EventTail[] = [];

afterAll(async () => {
  for (const tail of tails) await tail.stop();
  await db.destroy();
  await owner.destroy();
});

function startTail(name: string): EventTail {
  const tail = createEventTail({ name, db, connectionString: urls.app, logger, pollMs: 100 });
  tails.push(tail);
  return tail;
}

/** Appends a `LeadNoteAdded` for `aggregateId` in a transaction of its own. */
async function append(aggregateId: string, tenantId = tenant): Promise<void> {
  await withTenant(db, tenantId, (trx) => appendEvent(trx, "test", { type: "LeadNoteAdded", tenantId, aggregateId, payload: { noteId: aggregateId, author: "test" } }));
}

/** A client holding an open transaction that has appended one event for this test's tenant. */
async function openTransactionWithEvent(aggregateId: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: urls.app });
  await client.connect();
  await client.query("begin");
  await client.query("select set_config('app.tenant_id', $1, true)", [tenant]);
  await client.query("insert into events.log (tenant_id, type, aggregate_id, payload, producer) values ($1, 'LeadNoteAdded', $2, $3, 'test')", [
    tenant,
    aggregateId,
    JSON.stringify({ noteId: aggregateId, author: "test" }),
  ]);
  return client;
}

/** The aggregates of the next `count` events a subscriber receives. */
async function take(stream: AsyncIterator<StoredEvent>, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const item = await stream.next();
    if (item.done) throw new Error(`stream ended after ${ids.join(", ")}`);
    ids.push(item.value.aggregateId);
  }
  return ids;
}

/** The log's own order of these aggregates, (tx, id), as the owner sees it. */
async function logOrder(aggregateIds: readonly string[]): Promise<string[]> {
  const { rows } = await sql<{ aggregate_id: string }>`
    select aggregate_id from events.log where tenant_id = ${tenant} and aggregate_id = any(${[...aggregateIds]}::text[]) order by tx, id`.execute(owner);
  return rows.map((row) => row.aggregate_id);
}

/** Waits until `aggregateId`'s event lies at or below the log's head, i.e. is readable by every reader. */
async function waitUntilSettled(aggregateId: string): Promise<void> {
  const { rows } = await sql<{ tx: string; id: number }>`select tx::text as tx, id from events.log where aggregate_id = ${aggregateId}`.execute(owner);
  const event = rows[0]!;
  await eventually(async () => {
    const head = await readHeadPosition(db);
    const settled = BigInt(head.tx) > BigInt(event.tx) || (head.tx === event.tx && head.id >= event.id);
    if (!settled) throw new Error(`event ${aggregateId} is still above the log's head`);
  });
}

describe("event tail", () => {
  it("delivers the events committed after it started, its tenant's and types only, in the log's order", async () => {
    await append("before-start");
    await waitUntilSettled("before-start");
    const tail = startTail("event-tail-test");
    const mine = await tail.subscribe(tenant, { types: ["LeadNoteAdded"], feed: "test" });
    const theirs = await tail.subscribe(otherTenant, { types: ["LeadNoteAdded"], feed: "test" });

    await append("first");
    await append("someone-else", otherTenant);
    await withTenant(db, tenant, (trx) => appendEvent(trx, "test", { type: "LeadDeleted", tenantId: tenant, aggregateId: "another-type", payload: { ghlContactId: null } }));
    await append("second");
    await append("third");

    // "before-start" was readable before the tail started: it is never delivered.
    expect(await take(mine, 3)).toEqual(["first", "second", "third"]);
    expect(await take(theirs, 1)).toEqual(["someone-else"]);
  });

  it("delivers two interleaved transactions that commit out of id order, each once, in the log's order", async () => {
    const tail = startTail("event-tail-interleaved");
    const stream = await tail.subscribe(tenant, { types: ["LeadNoteAdded"], feed: "test" });
    // T1 takes the lower id and stays open; T2 takes a higher id and commits first.
    const t1 = await openTransactionWithEvent("t1-lower-id");
    const t2 = await openTransactionWithEvent("t2-higher-id");
    try {
      await t2.query("commit");
      await append("while-t1-open");
      await t1.query("commit");
    } finally {
      await Promise.all([t1.end(), t2.end()]);
    }
    await append("after-both");

    const delivered = await take(stream, 4);
    expect(delivered).toEqual(await logOrder(delivered));
    expect(new Set(delivered)).toEqual(new Set(["t1-lower-id", "t2-higher-id", "while-t1-open", "after-both"]));
    // Nothing behind the last: a skipped or repeated event would show up before this one.
    await append("sentinel");
    expect(await take(stream, 1)).toEqual(["sentinel"]);
  });

  it("stops cleanly: subscribers' streams end, its connection closes, and it takes no new subscribers", async () => {
    const name = `event-tail-stop-${tenant}`;
    // Listeners share their process' connection per database: a database URL of its own
    // (which also names the connection) gives this tail a connection nothing else uses.
    const own = new URL(urls.app);
    own.searchParams.set("application_name", name);
    const tail = createEventTail({ name, db, connectionString: own.toString(), logger, pollMs: 100 });
    const connections = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where application_name = ${name}`.execute(owner)).rows[0]!.n;
    expect(await connections()).toBe(0);
    const stream = await tail.subscribe(tenant, { types: ["LeadNoteAdded"], feed: "test" });
    expect(await connections()).toBe(1);
    const pending = stream.next();

    await tail.stop();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    await expect(stream.next()).resolves.toEqual({ done: true, value: undefined });
    await eventually(async () => expect(await connections()).toBe(0));
    await expect(tail.subscribe(tenant, { types: ["LeadNoteAdded"], feed: "test" })).rejects.toThrow(/stopped/);
  });
});
